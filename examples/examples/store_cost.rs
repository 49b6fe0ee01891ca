//! What a request pays for its throttle and budget: the in-process stores
//! against the Redis ones, p50 and p99 over sequential requests (the figures
//! in BENCHMARKS.md).
//!
//!     redis-server --port 6390 --save "" --appendonly no &
//!     cargo run --release -p apifault-examples --example store_cost -- redis://127.0.0.1:6390/

use std::time::{Duration, Instant};

use apifault::redis::{RedisBudget, RedisThrottle};
use apifault::{RateLimit, RetryBudget, Throttle};

const REQUESTS: usize = 5_000;

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99))
}

/// One request's share: acquire, learn from the answer, release.
async fn throttle_cost(throttle: &Throttle) -> (Duration, Duration) {
    let announced = RateLimit::new(1_000_000, 999_999, Duration::from_secs(60));
    let mut samples = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let permit = throttle.acquire().await;
        permit.observe_rate_limit(announced);
        drop(permit);
        samples.push(started.elapsed());
    }
    percentiles(samples)
}

/// One call's share: a deposit, and a withdrawal (a retry asked for).
async fn budget_cost(budget: &RetryBudget) -> (Duration, Duration) {
    let mut samples = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let started = Instant::now();
        let now = Instant::now();
        budget.deposit(now);
        let _ = budget.withdraw(now);
        samples.push(started.elapsed());
        tokio::task::yield_now().await;
    }
    percentiles(samples)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "redis://127.0.0.1:6379/".to_owned());
    let key = format!("cost-{}", std::process::id());
    let client = redis::Client::open(url.as_str())?;

    let rows = [
        (
            "Throttle, LocalThrottle",
            throttle_cost(&Throttle::new()).await,
        ),
        (
            "Throttle, RedisThrottle",
            throttle_cost(&Throttle::with_store(RedisThrottle::new(
                client.clone(),
                &key,
            )))
            .await,
        ),
        (
            "RetryBudget, LocalBudget",
            budget_cost(&RetryBudget::new(0.1, 1)).await,
        ),
        (
            "RetryBudget, RedisBudget",
            budget_cost(&RetryBudget::with_store(RedisBudget::new(
                client, &key, 0.1, 1,
            )))
            .await,
        ),
    ];
    println!("| store | p50 | p99 |\n|---|---|---|");
    for (store, (p50, p99)) in rows {
        println!("| {store} | {p50:.1?} | {p99:.1?} |");
    }
    Ok(())
}
