//! Attack: a server enforcing short windows over real loopback HTTP, with
//! its reset rounded up or down, against 1 and 16 tasks sharing one
//! `Throttle`. The promise: not a single 429, and at least 80% of the
//! throughput the server allows (`limit` a window, as requests a second). Windows of 1 s and 2 s run in real time
//! (a few seconds each); 10 s and 60 s on tokio's paused clock, which the
//! server's windows use too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apifault::Throttle;
use apifault_tests::http_support::serve;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use tokio::time::Instant;

struct Limiter {
    limit: u64,
    window: Duration,
    round_up: bool,
    /// The current window's start (it opens with the first request after
    /// the last one ended) and its count.
    current: Mutex<Option<(Instant, u64)>>,
    served: AtomicU64,
    rejected: AtomicU64,
}

async fn limited(State(limiter): State<Arc<Limiter>>) -> Response {
    let now = Instant::now();
    let (count, left) = {
        let mut current = limiter.current.lock().unwrap();
        let (start, count) = match *current {
            Some((start, count)) if now < start + limiter.window => (start, count + 1),
            _ => (now, 1),
        };
        *current = Some((start, count));
        (
            count,
            (start + limiter.window).saturating_duration_since(now),
        )
    };
    let reset = if limiter.round_up {
        left.as_secs() + u64::from(left.subsec_nanos() > 0)
    } else {
        left.as_secs()
    };
    let mut response = if count <= limiter.limit {
        limiter.served.fetch_add(1, Ordering::SeqCst);
        "ok".into_response()
    } else {
        limiter.rejected.fetch_add(1, Ordering::SeqCst);
        StatusCode::TOO_MANY_REQUESTS.into_response()
    };
    let headers = response.headers_mut();
    headers.insert("Ratelimit-Limit", limiter.limit.into());
    headers.insert(
        "Ratelimit-Remaining",
        limiter.limit.saturating_sub(count).into(),
    );
    headers.insert("Ratelimit-Reset", reset.into());
    response
}

/// Sends `windows * limit` requests from `tasks` tasks through one
/// throttle; asserts no 429 and the throughput.
async fn hammer(window: Duration, limit: u64, round_up: bool, tasks: u64, windows: u64) {
    let limiter = Arc::new(Limiter {
        limit,
        window,
        round_up,
        current: Mutex::new(None),
        served: AtomicU64::new(0),
        rejected: AtomicU64::new(0),
    });
    let app = axum::Router::new()
        .route("/", get(limited))
        .with_state(Arc::clone(&limiter));
    let addr = serve(app).await;
    let http = reqwest::Client::new();
    let throttle = Throttle::new();
    let total = windows * limit;
    let left = Arc::new(AtomicU64::new(total));
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let (http, throttle, left) = (http.clone(), throttle.clone(), Arc::clone(&left));
        set.spawn(async move {
            while left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                let response =
                    apifault::reqwest::send(&throttle, http.get(format!("http://{addr}/")))
                        .await
                        .expect("loopback request");
                assert!(response.status().is_success() || response.status() == 429);
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done.expect("task");
    }
    let took = started.elapsed();
    let case = format!("{window:?} windows of {limit}, up {round_up}, {tasks} tasks");
    assert_eq!(limiter.rejected.load(Ordering::SeqCst), 0, "{case}: 429s");
    assert_eq!(limiter.served.load(Ordering::SeqCst), total, "{case}");
    // The server allows `limit` a window: requests a second against that.
    // (The first window's burst is free, so a short run may exceed 100%;
    // a throttle that waited a second too long each window would not.)
    let allowed = limit as f64 / window.as_secs_f64();
    let share = (total as f64 / took.as_secs_f64()) / allowed;
    assert!(
        share >= 0.8,
        "{case}: {:.0}% of the allowed throughput ({took:?})",
        share * 100.0
    );
    assert!(
        took >= window * u32::try_from(windows - 2).unwrap(),
        "{case}: faster than allowed? {took:?}"
    );
}

#[tokio::test]
async fn one_second_windows_rounded_up_16_tasks() {
    hammer(Duration::from_secs(1), 50, true, 16, 3).await;
}

#[tokio::test]
async fn one_second_windows_rounded_down_16_tasks() {
    hammer(Duration::from_secs(1), 50, false, 16, 3).await;
}

#[tokio::test]
async fn one_second_windows_rounded_up_1_task() {
    hammer(Duration::from_secs(1), 50, true, 1, 3).await;
}

#[tokio::test]
async fn one_second_windows_rounded_down_1_task() {
    hammer(Duration::from_secs(1), 50, false, 1, 3).await;
}

#[tokio::test]
async fn two_second_windows_rounded_up_16_tasks() {
    hammer(Duration::from_secs(2), 40, true, 16, 2).await;
}

#[tokio::test]
async fn two_second_windows_rounded_down_16_tasks() {
    hammer(Duration::from_secs(2), 40, false, 16, 2).await;
}

#[tokio::test]
async fn two_second_windows_rounded_up_1_task() {
    hammer(Duration::from_secs(2), 40, true, 1, 2).await;
}

#[tokio::test]
async fn two_second_windows_rounded_down_1_task() {
    hammer(Duration::from_secs(2), 40, false, 1, 2).await;
}

#[tokio::test(start_paused = true)]
async fn ten_and_sixty_second_windows_on_the_paused_clock() {
    for window in [10, 60] {
        for round_up in [true, false] {
            for tasks in [1, 16] {
                hammer(Duration::from_secs(window), 50, round_up, tasks, 6).await;
            }
        }
    }
}

/// Answers every request 200 with "none left, reset in 0 s": a lie a
/// throttle must not turn into a busy loop.
async fn zero_left_reset_zero(State(calls): State<Arc<AtomicU64>>) -> Response {
    calls.fetch_add(1, Ordering::SeqCst);
    let mut response = "ok".into_response();
    let headers = response.headers_mut();
    headers.insert("Ratelimit-Remaining", 0.into());
    headers.insert("Ratelimit-Reset", 0.into());
    response
}

#[tokio::test(start_paused = true)]
async fn none_left_and_a_reset_of_zero_holds_each_request_a_second_not_a_spin() {
    let calls = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new()
        .route("/", get(zero_left_reset_zero))
        .with_state(Arc::clone(&calls));
    let addr = serve(app).await;
    let http = reqwest::Client::new();
    let throttle = Throttle::new();
    let started = Instant::now();
    for _ in 0..5 {
        apifault::reqwest::send(&throttle, http.get(format!("http://{addr}/")))
            .await
            .expect("loopback request");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    // "0 s" may mean "under a second" (rounded down): each next request
    // waits that second out.
    assert_eq!(started.elapsed().as_secs(), 4, "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_wait_for_the_throttle_takes_nothing_from_the_window() {
    let throttle = Throttle::new();
    let first = throttle.acquire().await;
    // Held (the first request is out): given up on, a hundred times.
    for _ in 0..100 {
        let held = tokio::time::timeout(Duration::from_millis(10), throttle.acquire()).await;
        assert!(held.is_err());
    }
    first.observe_rate_limit(apifault::RateLimit::new(3, 2, Duration::from_secs(60)));
    drop(first);
    let started = Instant::now();
    let _a = throttle.acquire().await;
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "two left: the cancelled waits took none"
    );
}
