//! The throttle's window bookkeeping, without HTTP: out-of-order
//! announcements, spent windows without a reset, huge resets.

use std::time::{Duration, Instant};

use apifault::{LocalThrottle, RateLimit, Throttle, ThrottleStore};
use http::{HeaderMap, HeaderValue};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Reserves as many requests as the window allows at `now`, all in flight
/// at once, then releases them.
fn drain(window: &LocalThrottle, now: Instant) -> usize {
    let mut sent = 0;
    while sent <= 1_000 && window.reserve(now).is_ok() {
        sent += 1;
    }
    for _ in 0..sent {
        window.release();
    }
    sent
}

#[test]
fn counts_down_from_the_announcement() {
    let window = LocalThrottle::default();
    let t0 = Instant::now();
    window.observe(t0, RateLimit::new(10, 4, secs(60)));
    assert_eq!(drain(&window, t0), 4);
    assert_eq!(window.reserve(t0 + secs(30)), Err(t0 + secs(60)));
    assert_eq!(
        drain(&window, t0 + secs(60)),
        10,
        "the next window allows the limit"
    );
    assert_eq!(
        drain(&window, t0 + secs(61)),
        1,
        "then, its end unknown, one probe at a time"
    );
}

#[test]
fn a_stale_announcement_of_the_previous_window_is_ignored() {
    let window = LocalThrottle::default();
    let t0 = Instant::now();
    window.observe(t0, RateLimit::new(10, 9, secs(60)));
    assert_eq!(drain(&window, t0), 9);
    // A slow response from the window before, ending in 1 s.
    window.observe(t0 + secs(2), RateLimit::new(10, 0, secs(1)));
    assert_eq!(drain(&window, t0 + secs(5)), 0, "the window is still spent");
    assert_eq!(window.reserve(t0 + secs(5)), Err(t0 + secs(60)));
}

#[test]
fn an_announcement_about_a_finished_window_is_ignored_after_the_rollover() {
    let window = LocalThrottle::default();
    let t0 = Instant::now();
    window.observe(t0, RateLimit::new(5, 0, secs(10)));
    assert_eq!(drain(&window, t0 + secs(10)), 5, "rolled over");
    // A straggler from the old window, read just after it ended.
    window.observe(t0 + secs(10), RateLimit::new(5, 0, secs(1)));
    assert_eq!(
        drain(&window, t0 + secs(10)),
        1,
        "not a spent window to wait out: just the probe"
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
    window.observe(
        t0,
        RateLimit {
            limit: None,
            remaining: Some(3),
            reset: Some(secs(30)),
        },
    );
    window.release();
    assert_eq!(drain(&window, t0), 3);
    assert_eq!(window.reserve(t0), Err(t0 + secs(30)));
}

#[test]
fn an_api_that_never_announces_is_not_held() {
    let window = LocalThrottle::default();
    assert_eq!(drain(&window, Instant::now()), 1_001);
}

#[tokio::test(start_paused = true)]
async fn a_huge_reset_holds_at_most_max_wait() {
    let throttle = Throttle::new();
    let mut headers = HeaderMap::new();
    headers.insert("ratelimit-remaining", HeaderValue::from_static("0"));
    headers.insert("ratelimit-reset", HeaderValue::from_static("4294967295"));
    let permit = throttle.acquire().await;
    throttle.observe(&headers);
    drop(permit);
    let started = tokio::time::Instant::now();
    let _next = throttle.acquire().await;
    assert_eq!(started.elapsed(), apifault::DEFAULT_MAX_WAIT);
}
