//! A retry storm in virtual time: 1,000 clients, each calling once a second,
//! against an API that fails every request for 60 s and then recovers.
//! Prints the requests per client call during the outage (amplification)
//! and the time to recover, for a naive policy (3 retries, no budget) and
//! the same policy with a `RetryBudget` (10% of calls plus 1 retry a
//! second). Runs on tokio's paused clock: a few seconds of real time.
//!
//!     cargo run --release -p apifault-benches --example storm

use std::time::Duration;

use apifault::{RetryBudget, RetryPolicy};
use apifault_benches::storm::simulate;

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let outage = Duration::from_secs(60);
    let naive = RetryPolicy::exponential(Duration::from_millis(500)).max_retries(3);
    let budgeted = naive.clone().budget(RetryBudget::new(0.1, 1));
    println!(
        "| policy | client calls in the outage | requests | amplification | time to recover |"
    );
    println!("|---|---|---|---|---|");
    for (name, policy) in [
        ("3 retries, no budget", naive),
        ("3 retries + RetryBudget(10%, 1/s)", budgeted),
    ] {
        let report = simulate(1_000, outage, policy).await;
        println!(
            "| {name} | {} | {} | {:.2}x | {:.1} s |",
            report.calls,
            report.requests,
            report.amplification,
            report.time_to_recover.as_secs_f64()
        );
    }
}
