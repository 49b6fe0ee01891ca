//! The storm simulation's targets, in virtual time: a budget keeps the
//! outage's amplification at most 1.2x, where the naive policy multiplies the
//! load several times, and recovery is not delayed by it.

use std::time::Duration;

use apifault::{RetryBudget, RetryPolicy};
use apifault_benches::storm::simulate;

#[tokio::test(start_paused = true)]
async fn a_budget_caps_the_amplification_of_an_outage() {
    let outage = Duration::from_secs(60);
    let naive = RetryPolicy::exponential(Duration::from_millis(500)).max_retries(3);
    let budgeted = naive.clone().budget(RetryBudget::new(0.1, 1));

    let without = simulate(200, outage, naive).await;
    let with = simulate(200, outage, budgeted).await;

    assert!(without.amplification > 3.0, "naive: {without:?}");
    assert!(with.amplification <= 1.2, "budgeted: {with:?}");
    assert!(with.calls >= 200 * 50, "the clients kept calling: {with:?}");
    assert!(with.time_to_recover <= Duration::from_secs(2), "{with:?}");
}
