//! The `Throttle` against a server that enforces 150 requests per 60 s
//! window over real HTTP: 1,000 requests from 8 concurrent tasks and not a
//! single 429. Time is tokio's paused clock, which the server's windows use
//! too, so the test waits out no real window.

use std::time::Duration;

use apifault::Throttle;
use apifault_tests::http_support::FixedWindow;
use tokio::time::Instant;

const LIMIT: u32 = 150;
const WINDOW: Duration = Duration::from_secs(60);

#[tokio::test(start_paused = true)]
async fn a_throttled_client_never_sees_a_429() {
    let (addr, limiter) = FixedWindow::serve(LIMIT, WINDOW).await;
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
    assert_eq!(limiter.rejected(), 0);
    assert_eq!(limiter.served(), 1_000);
    // 1,000 requests at 150 a window need 7 windows: the throttle waited
    // out 6 resets rather than hammering the API.
    assert!(started.elapsed() >= WINDOW * 6, "{:?}", started.elapsed());
    assert!(started.elapsed() <= WINDOW * 8, "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn without_the_throttle_the_same_load_is_rejected() {
    let (addr, limiter) = FixedWindow::serve(LIMIT, WINDOW).await;
    let http = reqwest::Client::new();
    for _ in 0..200 {
        let _ = http
            .get(format!("http://{addr}/"))
            .send()
            .await
            .expect("loopback request");
    }
    assert_eq!(limiter.rejected(), 50, "the server does enforce its limit");
}
