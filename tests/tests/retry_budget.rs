//! The retry budget caps how much an outage multiplies the load.

use std::time::Duration;

use apifault::{ManualClock, RetryBudget, RetryPolicy, StopReason};
use apifault_tests::{FlakyError, Script};

#[test]
fn the_budget_stops_a_storm() {
    // 1,000 calls against an API that fails everything; each call may retry
    // 3 times. Without a budget that is 4,000 requests; with a 10% budget
    // (and no floor), at most ~1,100.
    let clock = ManualClock::new();
    let base = RetryPolicy::exponential(Duration::from_millis(100))
        .max_retries(3)
        .no_max_elapsed()
        .clock(clock.clone());
    let storm = |policy: &RetryPolicy| {
        let script = Script::always(FlakyError::Internal);
        let mut exhausted = 0;
        for _ in 0..1_000 {
            let (_, report) = apifault::retry_blocking_with_report(policy, || script.call());
            if report.stop == StopReason::BudgetExhausted {
                exhausted += 1;
            }
        }
        (script.calls(), exhausted)
    };
    let (unbounded, _) = storm(&base);
    assert_eq!(unbounded, 4_000);

    let budgeted = base.clone().budget(RetryBudget::new(0.1, 0));
    let (sent, exhausted) = storm(&budgeted);
    let amplification = f64::from(sent) / 1_000.0;
    assert!(amplification <= 1.11, "{sent} requests for 1,000 calls");
    assert!(
        amplification >= 1.05,
        "the budget still allows some retries: {sent}"
    );
    assert!(
        exhausted > 900,
        "most calls stop on the budget: {exhausted}"
    );
}

#[test]
fn the_floor_refills_with_time() {
    let clock = ManualClock::new();
    let budget = RetryBudget::new(0.0, 2);
    let policy = RetryPolicy::exponential(Duration::from_millis(1))
        .max_retries(10)
        .no_max_elapsed()
        .budget(budget)
        .clock(clock.clone());
    let script = Script::always(FlakyError::Internal);
    let (_, report) = apifault::retry_blocking_with_report(&policy, || script.call());
    assert_eq!(report.stop, StopReason::BudgetExhausted);
    assert_eq!(script.calls(), 3, "one second of floor: 2 retries");

    clock.advance(Duration::from_secs(1));
    let script = Script::always(FlakyError::Internal);
    let _ = apifault::retry_blocking(&policy, || script.call());
    assert_eq!(script.calls(), 3, "a second later, 2 more");
}

#[test]
fn successful_calls_earn_retries() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::exponential(Duration::from_millis(1))
        .budget(RetryBudget::new(0.5, 0))
        .clock(clock.clone());
    let ok = Script::<FlakyError>::new([]);
    for _ in 0..4 {
        assert!(apifault::retry_blocking(&policy, || ok.call()).is_ok());
    }
    // 4 calls + this one deposit 2.5 tokens: two retries.
    let script = Script::always(FlakyError::Internal);
    let (_, report) = apifault::retry_blocking_with_report(&policy, || script.call());
    assert_eq!(
        (report.attempts, report.stop),
        (3, StopReason::BudgetExhausted)
    );
}
