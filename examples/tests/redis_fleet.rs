//! A fleet sharing one API quota and one retry budget through a real Redis
//! (started by the test on a free loopback port): 4 workers, each with its
//! own Redis connection, `Throttle` and HTTP client, sharing nothing in
//! memory, × 8 tasks against a loopback server that enforces one quota.
//! All on a current-thread runtime, in real time (Redis keeps the time).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apifault::redis::{RedisBudget, RedisThrottle};
use apifault::{RetryBudget, RetryPolicy, Throttle};
use apifault_examples::redis_server::RedisServer;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use tokio::time::Instant;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// A failure the fleet retries: the outage's 500.
#[derive(Debug, Clone, PartialEq, Eq, apifault::ApiError)]
enum FlakyError {
    #[api(status = 500)]
    Internal,
}

/// Serves `app` on a fresh loopback port until the runtime ends.
async fn serve(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    addr
}

/// The targets of the warnings logged on this thread.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

impl Subscriber for Warnings {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if *event.metadata().level() == Level::WARN {
            let target = event.metadata().target().to_owned();
            self.0.lock().unwrap().push(target);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

const WORKERS: u64 = 4;
const TASKS: u64 = 8;
/// Longer than the default 50 ms: on a loaded CI machine a fleet of 32
/// tasks, the server and Redis on one runtime can take that long, and a
/// worker on its fallback does not share the quota (faults are tested on
/// their own, with the default).
const PATIENCE: Duration = Duration::from_millis(250);

/// One quota: `limit` requests a window, the window opening with the
/// first request after the last one ended.
struct Limiter {
    limit: u64,
    window: Duration,
    round_up: bool,
    current: Mutex<Option<(Instant, u64)>>,
    served: AtomicU64,
    rejected: AtomicU64,
}

impl Limiter {
    fn new(limit: u64, window: Duration, round_up: bool) -> Arc<Self> {
        Arc::new(Limiter {
            limit,
            window,
            round_up,
            current: Mutex::new(None),
            served: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        })
    }

    async fn serve(self: &Arc<Self>) -> String {
        let app = axum::Router::new()
            .route("/", get(limited))
            .with_state(Arc::clone(self));
        format!("http://{}/", serve(app).await)
    }

    fn counts(&self) -> (u64, u64) {
        (
            self.served.load(Ordering::SeqCst),
            self.rejected.load(Ordering::SeqCst),
        )
    }
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

/// Runs the fleet: each worker sends `per_worker` requests from its 8
/// tasks, each through its own throttle on its own Redis connection, or
/// stops at `deadline`. Returns how long it took.
async fn fleet(
    redis: String,
    name: &str,
    url: &str,
    per_worker: u64,
    deadline: Duration,
) -> Duration {
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        // Nothing shared in memory: its own client, connection, throttle.
        let throttle = Throttle::with_store(
            RedisThrottle::new(
                redis::Client::open(redis.as_str()).expect("a redis URL"),
                name,
            )
            .timeout(PATIENCE),
        );
        let http = reqwest::Client::new();
        let url = url.to_owned();
        workers.spawn(async move {
            let left = Arc::new(AtomicU64::new(per_worker));
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..TASKS {
                let (throttle, http, url, left) = (
                    throttle.clone(),
                    http.clone(),
                    url.clone(),
                    Arc::clone(&left),
                );
                tasks.spawn(async move {
                    while left
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                    {
                        let sent = apifault::reqwest::send(&throttle, http.get(&url));
                        match tokio::time::timeout_at(started + deadline, sent).await {
                            Ok(response) => drop(response.expect("loopback request")),
                            Err(_) => return,
                        }
                    }
                });
            }
            while let Some(done) = tasks.join_next().await {
                done.expect("task");
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.expect("worker");
    }
    started.elapsed()
}

#[tokio::test]
async fn a_fleet_shares_one_second_windows_without_a_429() {
    let redis = RedisServer::start();
    let limiter = Limiter::new(30, Duration::from_secs(1), true);
    let url = limiter.serve().await;
    let windows = 4;
    let total = limiter.limit * windows;
    let took = fleet(
        redis.url(),
        "fleet:1s",
        &url,
        total / WORKERS,
        Duration::from_secs(20),
    )
    .await;
    let (served, rejected) = limiter.counts();
    assert_eq!(rejected, 0, "429s ({served} served in {took:?})");
    assert_eq!(served, total);
    let allowed = limiter.limit as f64 / limiter.window.as_secs_f64();
    let share = (total as f64 / took.as_secs_f64()) / allowed;
    println!(
        "1 s windows: {served} requests in {took:?}: {:.0}% of the quota",
        share * 100.0
    );
    assert!(
        share >= 0.8,
        "{:.0}% of the quota used ({took:?})",
        share * 100.0
    );
}

#[tokio::test]
async fn a_fleet_shares_a_ten_second_window_without_a_429() {
    // One window of 10 s, for 3 s: the fleet wants twice the quota.
    let redis = RedisServer::start();
    let limiter = Limiter::new(100, Duration::from_secs(10), false);
    let url = limiter.serve().await;
    let took = fleet(redis.url(), "fleet:10s", &url, 50, Duration::from_secs(3)).await;
    let (served, rejected) = limiter.counts();
    println!(
        "10 s window: {served} of {} served in {took:?}",
        limiter.limit
    );
    assert_eq!(rejected, 0, "429s ({served} served)");
    assert!(
        served * 10 >= limiter.limit * 8,
        "{served} of {} used",
        limiter.limit
    );
}

async fn unavailable(State(requests): State<Arc<AtomicU64>>) -> Response {
    requests.fetch_add(1, Ordering::SeqCst);
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

#[tokio::test]
async fn a_fleet_shares_one_retry_budget_through_an_outage() {
    let redis = RedisServer::start();
    let requests = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new()
        .route("/", get(unavailable))
        .with_state(Arc::clone(&requests));
    let url = format!("http://{}/", serve(app).await);
    let calls_per_task = 10;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let budget = RetryBudget::with_store(
            RedisBudget::new(redis.client(), "fleet:budget", 0.1, 1).timeout(PATIENCE),
        );
        let policy = RetryPolicy::exponential(Duration::from_millis(5))
            .max_retries(3)
            .no_max_elapsed()
            .budget(budget);
        let http = reqwest::Client::new();
        let url = url.clone();
        workers.spawn(async move {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..TASKS {
                let (policy, http, url) = (policy.clone(), http.clone(), url.clone());
                tasks.spawn(async move {
                    for _ in 0..calls_per_task {
                        let result: Result<(), FlakyError> = apifault::retry(&policy, || async {
                            let response = http.get(&url).send().await.expect("loopback");
                            assert_eq!(response.status(), 503);
                            Err(FlakyError::Internal)
                        })
                        .await;
                        assert!(result.is_err());
                    }
                });
            }
            while let Some(done) = tasks.join_next().await {
                done.expect("task");
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.expect("worker");
    }
    let calls = WORKERS * TASKS * calls_per_task;
    let requests = requests.load(Ordering::SeqCst);
    println!("outage: {requests} requests for {calls} calls");
    assert!(
        requests as f64 <= 1.2 * calls as f64,
        "{requests} requests for {calls} calls"
    );
}

#[tokio::test]
async fn a_fleet_completes_when_redis_is_killed_and_restarted() {
    let mut redis = RedisServer::start();
    let limiter = Limiter::new(30, Duration::from_secs(1), true);
    let url = limiter.serve().await;
    let total = limiter.limit * 4;
    let run = fleet(
        redis.url(),
        "fleet:restart",
        &url,
        total / WORKERS,
        Duration::from_secs(20),
    );
    let mut run = core::pin::pin!(run);
    // Kill Redis after a second, start it again (empty) a second later.
    let took = tokio::select! {
        took = &mut run => took,
        () = tokio::time::sleep(Duration::from_secs(1)) => {
            redis.stop();
            tokio::select! {
                took = &mut run => took,
                () = tokio::time::sleep(Duration::from_secs(1)) => {
                    redis.restart();
                    run.await
                }
            }
        }
    };
    let (served, rejected) = limiter.counts();
    println!("Redis restarted mid-run: {served} served, {rejected} answered 429, in {took:?}");
    assert_eq!(
        served + rejected,
        total,
        "every request was sent and answered"
    );
    assert!(
        took < Duration::from_secs(20),
        "the run completed: {took:?}"
    );
}

#[tokio::test]
async fn an_unreachable_or_frozen_redis_falls_back_and_comes_back() {
    let warnings = Warnings::default();
    let _guard = tracing::subscriber::set_default(warnings.clone());
    let redis = RedisServer::start();
    let store = RedisThrottle::new(redis.client(), "fleet:faults");
    let throttle = Throttle::with_store(store.clone());
    drop(throttle.acquire().await);
    assert!(store.is_shared());

    // Frozen: calls get no answer. A request waits no more than the
    // timeout, then goes through the fallback.
    redis.pause();
    let started = Instant::now();
    drop(throttle.acquire().await);
    drop(throttle.acquire().await);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert!(!store.is_shared());
    let warned = warnings.0.lock().unwrap().clone();
    assert!(
        warned.iter().any(|target| target.starts_with("apifault")),
        "a warning says so: {warned:?}"
    );

    // Back within seconds of Redis answering again.
    redis.resume();
    let started = Instant::now();
    while !store.is_shared() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not back to Redis"
        );
        drop(throttle.acquire().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Unreachable (nothing listens): no hang either.
    let nowhere = redis::Client::open(format!(
        "redis://{}/",
        // Bound, then released: nothing listens there.
        tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback")
            .local_addr()
            .expect("local addr")
    ))
    .unwrap();
    let throttle = Throttle::with_store(RedisThrottle::new(nowhere, "fleet:nowhere"));
    let started = Instant::now();
    for _ in 0..5 {
        drop(throttle.acquire().await);
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}
