//! The tour's fleet scenario (`--redis URL`): four workers, each with its
//! own Redis connection, `Throttle` and client, sharing nothing in memory,
//! share one Mediagenix quota through `apifault::redis::RedisThrottle`, and
//! the API answers no 429. In real time (Redis keeps the time), with the
//! page's 150 requests a window and windows shortened to 2 s so that it
//! takes a few seconds.

use std::time::{Duration, Instant};

use apifault::Throttle;
use apifault::redis::RedisThrottle;

use crate::emulator::Quota;
use crate::mediagenix::{OnDemandClient, documented_policy, start};

/// What the fleet saw.
#[derive(Debug)]
pub struct FleetReport {
    /// Per worker: calls that succeeded.
    pub calls: Vec<u64>,
    /// Requests the API answered 429, all workers together.
    pub rate_limited: usize,
    /// Requests the API answered 200.
    pub served: usize,
    /// The quota: requests per window, and the window.
    pub quota: Quota,
    /// From the first request to the last answer.
    pub took: Duration,
}

impl FleetReport {
    /// The share of the quota the fleet used: its requests a second
    /// against the `limit` a window the API allows (the first window's
    /// burst is free, so a short run may pass 100%).
    #[must_use]
    pub fn quota_used(&self) -> f64 {
        let allowed = self.quota.limit as f64 / self.quota.window.as_secs_f64();
        (self.served as f64 / self.took.as_secs_f64().max(1e-3)) / allowed
    }

    /// The report as the tour prints it.
    #[must_use]
    pub fn table(&self) -> String {
        let mut out = format!(
            "\n== Fleet: four workers share one Mediagenix quota through Redis ({} a window of {} s)\n",
            self.quota.limit,
            self.quota.window.as_secs()
        );
        for (worker, calls) in self.calls.iter().enumerate() {
            out += &format!("worker {}: {calls} calls\n", worker + 1);
        }
        out += &format!(
            "{} answered 200, {} answered 429, in {:.1} s: {:.0}% of the quota used\n",
            self.served,
            self.rate_limited,
            self.took.as_secs_f64(),
            self.quota_used() * 100.0
        );
        out
    }
}

/// Runs the fleet against a Mediagenix emulator, through the Redis at
/// `redis_url`.
///
/// # Errors
///
/// When the emulator cannot start, `redis_url` is not a Redis URL, or a
/// call fails.
pub async fn run(redis_url: &str) -> Result<FleetReport, Box<dyn std::error::Error>> {
    const WORKERS: usize = 4;
    const TASKS: usize = 8;
    const CALLS_PER_TASK: u64 = 14;
    let (base, api) = start().await?;
    let quota = Quota {
        limit: 150,
        window: Duration::from_secs(2),
    };
    api.emulator.enforce(quota);
    // A key of this run's own: a window left by an earlier run is not this
    // emulator's.
    let key = format!(
        "mediagenix:key-42:tour-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
    );
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let redis = redis::Client::open(redis_url)?;
        let throttle = Throttle::with_store(RedisThrottle::new(redis, &key));
        let client = OnDemandClient::new(base.clone(), documented_policy()).with_throttle(throttle);
        workers.spawn(async move {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..TASKS {
                let client = client.clone();
                tasks.spawn(async move {
                    for _ in 0..CALLS_PER_TASK {
                        client.get_title(1).await?;
                    }
                    Ok::<u64, crate::mediagenix::OnDemandError>(CALLS_PER_TASK)
                });
            }
            let mut calls = 0;
            while let Some(done) = tasks.join_next().await {
                calls += done
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
            }
            Ok::<u64, String>(calls)
        });
    }
    let mut calls = Vec::new();
    while let Some(done) = workers.join_next().await {
        calls.push(done??);
    }
    let took = started.elapsed();
    let statuses = api.emulator.statuses();
    Ok(FleetReport {
        calls,
        rate_limited: statuses.iter().filter(|&&s| s == 429).count(),
        served: statuses.iter().filter(|&&s| s == 200).count(),
        quota,
        took,
    })
}
