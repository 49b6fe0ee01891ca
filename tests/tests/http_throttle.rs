//! The `Throttle` against a server that enforces 150 requests per 60 s
//! window over real HTTP: 1,000 requests from 8 concurrent tasks and not a
//! single 429. Time is tokio's paused clock, which the server's windows use
//! too, so the test waits out no real window.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apifault::Throttle;
use apifault_tests::http_support::serve;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use tokio::time::Instant;

const LIMIT: u32 = 150;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Limiter {
    window: Mutex<(Option<Instant>, u32)>,
    served: AtomicU32,
    rejected: AtomicU32,
}

async fn limited(State(limiter): State<Arc<Limiter>>) -> Response {
    let now = Instant::now();
    let (remaining, reset) = {
        let mut window = limiter.window.lock().unwrap();
        let start = match window.0 {
            Some(start) if now < start + WINDOW => start,
            _ => {
                *window = (Some(now), 0);
                now
            }
        };
        window.1 += 1;
        let left = (start + WINDOW).saturating_duration_since(now);
        // Whole seconds, rounded up, as a server must.
        let reset = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        (LIMIT.checked_sub(window.1), reset)
    };
    let mut response = match remaining {
        Some(_) => {
            limiter.served.fetch_add(1, Ordering::SeqCst);
            "ok".into_response()
        }
        None => {
            limiter.rejected.fetch_add(1, Ordering::SeqCst);
            StatusCode::TOO_MANY_REQUESTS.into_response()
        }
    };
    let headers = response.headers_mut();
    headers.insert("Ratelimit-Limit", LIMIT.into());
    headers.insert("Ratelimit-Remaining", remaining.unwrap_or(0).into());
    headers.insert("Ratelimit-Reset", reset.into());
    response
}

#[tokio::test(start_paused = true)]
async fn a_throttled_client_never_sees_a_429() {
    let limiter = Arc::new(Limiter::default());
    let app = axum::Router::new()
        .route("/", get(limited))
        .with_state(Arc::clone(&limiter));
    let addr = serve(app).await;
    let http = reqwest::Client::new();
    let throttle = Throttle::new();
    let started = Instant::now();

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (http, throttle) = (http.clone(), throttle.clone());
        tasks.spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..125 {
                let response =
                    apifault::reqwest::send(&throttle, http.get(format!("http://{addr}/")))
                        .await
                        .expect("loopback request");
                statuses.push(response.status().as_u16());
            }
            statuses
        });
    }
    let mut statuses = Vec::new();
    while let Some(result) = tasks.join_next().await {
        statuses.extend(result.expect("task"));
    }

    assert_eq!(statuses.len(), 1_000);
    assert!(
        statuses.iter().all(|&s| s == 200),
        "statuses other than 200: {:?}",
        statuses.iter().filter(|&&s| s != 200).count()
    );
    assert_eq!(limiter.rejected.load(Ordering::SeqCst), 0);
    assert_eq!(limiter.served.load(Ordering::SeqCst), 1_000);
    // 1,000 requests at 150 a window need 7 windows: the throttle waited
    // out 6 resets rather than hammering the API.
    assert!(started.elapsed() >= WINDOW * 6, "{:?}", started.elapsed());
    assert!(started.elapsed() <= WINDOW * 8, "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn without_the_throttle_the_same_load_is_rejected() {
    let limiter = Arc::new(Limiter::default());
    let app = axum::Router::new()
        .route("/", get(limited))
        .with_state(Arc::clone(&limiter));
    let addr = serve(app).await;
    let http = reqwest::Client::new();
    for _ in 0..200 {
        let _ = http
            .get(format!("http://{addr}/"))
            .send()
            .await
            .expect("loopback request");
    }
    assert_eq!(
        limiter.rejected.load(Ordering::SeqCst),
        50,
        "the server does enforce its limit"
    );
}
