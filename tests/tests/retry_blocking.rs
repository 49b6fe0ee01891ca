//! Blocking retries on the manual clock, and the testing switch that makes
//! users' own retried code instant.

use std::time::Duration;

use apifault::{Jitter, ManualClock, RetryPolicy, StopReason};
use apifault_tests::{FlakyError, Script};

#[test]
fn blocking_waits_advance_the_manual_clock() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::exponential(Duration::from_secs(2))
        .jitter(Jitter::None)
        .max_retries(4)
        .no_max_elapsed()
        .clock(clock.clone());
    let script = Script::new([
        FlakyError::Internal,
        FlakyError::RateLimited {
            wait: Some(Duration::from_secs(7)),
        },
        FlakyError::Internal,
    ]);
    let (result, report) = apifault::retry_blocking_with_report(&policy, || script.call());
    assert_eq!(result, Ok(4));
    // The 429's wait is the server's, not a failure: the second 500 backs
    // off as the second failure (4 s), not as the third attempt.
    assert_eq!(clock.sleeps(), [2, 7, 4].map(Duration::from_secs));
    assert_eq!(clock.elapsed(), Duration::from_secs(13));
    assert_eq!(
        (report.attempts, report.waited, report.stop),
        (4, Duration::from_secs(13), StopReason::Succeeded)
    );
}

#[test]
fn max_elapsed_counts_manual_time_spent_in_attempts() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::exponential(Duration::from_secs(1))
        .jitter(Jitter::None)
        .max_retries(10)
        .max_elapsed(Duration::from_secs(10))
        .clock(clock.clone());
    let script = Script::always(FlakyError::Internal);
    let (_, report) = apifault::retry_blocking_with_report(&policy, || {
        clock.advance(Duration::from_secs(3)); // a slow attempt
        script.call()
    });
    // t=3 fail, wait 1 -> t=4; t=7 fail, wait 2 -> t=9; t=12 fail: past 10.
    assert_eq!(script.calls(), 3);
    assert_eq!(report.stop, StopReason::MaxElapsed);
    assert_eq!(clock.sleeps(), [1, 2].map(Duration::from_secs));
}

#[apifault::retry(max_retries = 5, base = "30s", max_elapsed = "1h", jitter = "none")]
fn users_own_retried_call(script: &Script<FlakyError>) -> Result<u32, FlakyError> {
    script.call()
}

#[test]
fn instant_retries_keep_the_attempt_count() {
    let _instant = apifault::testing::instant_retries();
    let script = Script::always(FlakyError::Unavailable { request_id: None });
    assert!(users_own_retried_call(&script).is_err());
    assert_eq!(
        script.calls(),
        6,
        "every attempt is made; 15.5 minutes of waits are skipped"
    );

    let script = Script::new([FlakyError::Internal, FlakyError::Internal]);
    assert_eq!(users_own_retried_call(&script), Ok(3));
}

#[test]
fn instant_retries_report_the_waits_they_skip() {
    let _instant = apifault::testing::instant_retries();
    let policy = RetryPolicy::exponential(Duration::from_secs(30))
        .jitter(Jitter::None)
        .no_max_elapsed();
    let script = Script::always(FlakyError::Internal);
    let (_, report) = apifault::retry_blocking_with_report(&policy, || script.call());
    assert_eq!(report.attempts, 4);
    assert_eq!(
        report.waited,
        Duration::from_secs(30 + 30 + 30),
        "capped by max_delay = 30 s"
    );
}
