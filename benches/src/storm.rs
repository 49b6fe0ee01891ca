//! A retry storm in virtual time: clients calling an API that fails every
//! request for a while, then recovers. It counts the requests sent per client
//! call during the outage (the amplification) with and without a
//! [`RetryBudget`](apifault::RetryBudget), and how long after the recovery
//! the calls succeed again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use apifault::{ApiError, RetryPolicy};
use tokio::time::Instant;

/// The API's one error.
#[derive(Debug, ApiError)]
pub enum StormError {
    /// Every request during the outage.
    #[api(status = 503)]
    Unavailable,
}

/// What one run measured.
#[derive(Clone, Copy, Debug)]
pub struct StormReport {
    /// Client calls started during the outage.
    pub calls: u64,
    /// Requests that reached the API during the outage.
    pub requests: u64,
    /// `requests / calls`.
    pub amplification: f64,
    /// From the recovery until the last client has its first success:
    /// clients still waiting out a long backoff recover late.
    pub time_to_recover: Duration,
}

/// Runs `clients` clients, each calling once a second for `outage` plus a
/// minute, against an API down for `outage`. Must run on a paused tokio
/// clock (it takes minutes of virtual time).
pub async fn simulate(clients: usize, outage: Duration, policy: RetryPolicy) -> StormReport {
    let start = Instant::now();
    let recovery = start + outage;
    let end = recovery + Duration::from_secs(60);
    let calls = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let recovered = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let (calls, requests, recovered, policy) = (
            Arc::clone(&calls),
            Arc::clone(&requests),
            Arc::clone(&recovered),
            policy.clone(),
        );
        tasks.spawn(async move {
            // Spread the clients over the first second.
            tokio::time::sleep(Duration::from_micros(
                (client as u64 * 1_000_000) / clients as u64,
            ))
            .await;
            let mut first_success = None;
            while Instant::now() < end {
                let began = Instant::now();
                let result = apifault::retry(&policy, || {
                    let requests = &requests;
                    async move {
                        if Instant::now() < recovery {
                            requests.fetch_add(1, Ordering::Relaxed);
                            Err(StormError::Unavailable)
                        } else {
                            Ok(())
                        }
                    }
                })
                .await;
                if began < recovery {
                    calls.fetch_add(1, Ordering::Relaxed);
                }
                if result.is_ok() && first_success.is_none() {
                    first_success = Some(Instant::now());
                }
                let next = began + Duration::from_secs(1);
                tokio::time::sleep_until(next.max(Instant::now())).await;
            }
            let late = first_success
                .map_or(end, |at| at)
                .saturating_duration_since(recovery);
            recovered.fetch_max(
                u64::try_from(late.as_millis()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
        });
    }
    while tasks.join_next().await.is_some() {}
    let calls = calls.load(Ordering::Relaxed);
    let requests = requests.load(Ordering::Relaxed);
    StormReport {
        calls,
        requests,
        amplification: requests as f64 / calls.max(1) as f64,
        time_to_recover: Duration::from_millis(recovered.load(Ordering::Relaxed)),
    }
}
