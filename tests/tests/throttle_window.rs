//! The throttle's window bookkeeping, without HTTP: the first answer, the
//! last request of a window held until the next may have begun, a newer
//! window told by its counts, late answers about older windows, spent
//! windows without a reset, huge resets.

use std::time::{Duration, Instant};

use apifault::{LocalThrottle, RateLimit, Throttle, ThrottleStore};
use http::{HeaderMap, HeaderValue};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

const PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// Reserves as many requests as the window allows at `now`, all in flight
/// at once, then answers them (without announcements) at `now`.
fn drain(window: &LocalThrottle, now: Instant) -> usize {
    let mut sent = 0;
    while sent <= 1_000 && window.reserve(now).is_ok() {
        sent += 1;
    }
    for _ in 0..sent {
        window.release_sent(now, now);
    }
    sent
}

/// One request sent at `sent`, answered at `at` with `announced`.
fn exchange(window: &LocalThrottle, sent: Instant, at: Instant, announced: RateLimit) {
    assert!(window.reserve(sent).is_ok(), "the request is let through");
    window.observe_response(sent, at, announced);
    window.release_sent(sent, at);
}

#[test]
fn the_first_request_goes_alone_until_it_is_answered() {
    let window = LocalThrottle::default();
    let t0 = Instant::now();
    assert!(window.reserve(t0).is_ok());
    assert_eq!(
        window.reserve(t0),
        Err(t0 + PROBE_INTERVAL),
        "the window may be smaller than the tasks"
    );
    window.observe_response(t0, t0, RateLimit::new(10, 4, secs(60)));
    window.release_sent(t0, t0);
    assert_eq!(drain(&window, t0), 3, "4 left: 3 now, the last held");
}

#[test]
fn the_last_request_waits_until_the_next_window_may_have_begun() {
    let window = LocalThrottle::default();
    let t0 = Instant::now();
    exchange(&window, t0, t0, RateLimit::new(10, 4, secs(60)));
    assert_eq!(drain(&window, t0), 3);
    assert_eq!(
        window.reserve(t0 + secs(30)),
        Err(t0 + secs(60)),
        "held until the reset"
    );
    assert!(window.reserve(t0 + secs(60)).is_ok(), "then sent");
    assert_eq!(
        window.reserve(t0 + secs(60)),
        Err(t0 + secs(61)),
        "nothing more until the window is surely over (a reset rounded down)"
    );
    window.release_sent(t0 + secs(60), t0 + secs(60));
    assert_eq!(
        drain(&window, t0 + secs(61)),
        1,
        "then one request asks the next window's budget"
    );
}

#[test]
fn an_answer_with_as_many_left_as_before_is_a_newer_window() {
    let window = LocalThrottle::default();
    let t0 = Instant::now();
    exchange(&window, t0, t0, RateLimit::new(10, 1, secs(60)));
    // The last one, sent when the window may have reset, lands in the next.
    exchange(
        &window,
        t0 + secs(60),
        t0 + secs(60),
        RateLimit::new(10, 9, secs(60)),
    );
    assert_eq!(
        drain(&window, t0 + secs(60)),
        8,
        "9 left: 8 now, the last held"
    );
    assert_eq!(window.reserve(t0 + secs(61)), Err(t0 + secs(120)));
}

#[test]
fn a_late_answer_about_an_older_window_is_ignored() {
    let window = LocalThrottle::default();
    let t0 = Instant::now();
    exchange(&window, t0, t0, RateLimit::new(10, 2, secs(60)));
    let straggler = t0 + secs(1);
    assert!(window.reserve(straggler).is_ok());
    // The last one, at 60 s, opens the next window...
    exchange(
        &window,
        t0 + secs(60),
        t0 + secs(60),
        RateLimit::new(10, 9, secs(60)),
    );
    // ...then the straggler's answer says its window (over by 62 s) is
    // spent: not the window that ends after 119 s.
    window.observe_response(straggler, t0 + secs(61), RateLimit::new(10, 0, secs(0)));
    window.release_sent(straggler, t0 + secs(61));
    assert_eq!(
        drain(&window, t0 + secs(61)),
        7,
        "9 left, less the straggler (it may have been counted in the new window), less the last one held"
    );
}

#[test]
fn a_late_answer_after_the_rollover_opens_nothing() {
    let window = LocalThrottle::default();
    let t0 = Instant::now();
    exchange(&window, t0, t0, RateLimit::new(5, 2, secs(10)));
    let straggler = t0 + secs(1);
    assert!(window.reserve(straggler).is_ok());
    // The window is surely over at 11 s; a straggler from it answers.
    assert!(
        window.reserve(t0 + secs(11)).is_err(),
        "the straggler is still in flight"
    );
    window.observe_response(straggler, t0 + secs(11), RateLimit::new(5, 4, secs(1)));
    window.release_sent(straggler, t0 + secs(11));
    assert_eq!(
        drain(&window, t0 + secs(11)),
        1,
        "not a window to trust: one request asks"
    );
}

#[test]
fn a_spent_window_without_reset_is_probed_one_request_at_a_time() {
    let window = LocalThrottle::default();
    let t0 = Instant::now();
    window.observe(
        t0,
        RateLimit {
            limit: None,
            remaining: Some(0),
            reset: None,
        },
    );
    assert!(window.reserve(t0).is_ok(), "one probe");
    assert!(
        window.reserve(t0).is_err(),
        "no second request while the probe is out"
    );
    window.observe_response(
        t0,
        t0,
        RateLimit {
            limit: None,
            remaining: Some(3),
            reset: Some(secs(30)),
        },
    );
    window.release_sent(t0, t0);
    assert_eq!(drain(&window, t0), 2, "3 left: 2 now, the last held");
    assert_eq!(window.reserve(t0), Err(t0 + secs(30)));
}

#[test]
fn an_api_that_never_announces_is_not_held_once_it_answered() {
    let window = LocalThrottle::default();
    let t0 = Instant::now();
    assert!(window.reserve(t0).is_ok());
    window.release_sent(t0, t0);
    assert_eq!(drain(&window, t0), 1_001);
}

#[tokio::test(start_paused = true)]
async fn a_huge_reset_holds_at_most_max_wait() {
    let throttle = Throttle::new();
    let mut headers = HeaderMap::new();
    headers.insert("ratelimit-remaining", HeaderValue::from_static("0"));
    headers.insert("ratelimit-reset", HeaderValue::from_static("4294967295"));
    let permit = throttle.acquire().await;
    permit.observe(&headers);
    drop(permit);
    let started = tokio::time::Instant::now();
    let _next = throttle.acquire().await;
    assert_eq!(started.elapsed(), apifault::LocalThrottle::DEFAULT_MAX_WAIT);
}
