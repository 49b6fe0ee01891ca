//! Waits the server asked for (an `After` error with its hint: a 429 and its
//! reset) are not failures: `max_retries` bounds the failures that back
//! off, `max_server_waits` the server's waits, and `max_elapsed` both. All
//! on tokio's paused clock: nothing here sleeps in real time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use apifault::{Jitter, Retry, RetryPolicy, StopReason};
use apifault_tests::{FlakyError, Script};
use tokio::time::Instant;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn rate_limited(wait: u64) -> FlakyError {
    FlakyError::RateLimited {
        wait: Some(secs(wait)),
    }
}

/// Every wait the hooks saw, and its reason.
type Waits = Arc<Mutex<Vec<(Duration, Retry)>>>;

/// A policy without jitter that records every wait and its reason.
fn recording(policy: RetryPolicy) -> (RetryPolicy, Waits) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&waits);
    let policy = policy
        .jitter(Jitter::None)
        .on_retry(move |e| seen.lock().unwrap().push((e.delay, e.reason)));
    (policy, waits)
}

#[tokio::test(start_paused = true)]
async fn rate_limits_use_up_none_of_the_retries_for_failures() {
    // Mediagenix: 5xx back off 2, 4, 8, 16 s, four retries; a 429 waits its
    // reset in between, as often as it comes.
    let (policy, waits) = recording(
        RetryPolicy::exponential(secs(2))
            .max_retries(4)
            .max_server_wait(secs(300))
            .no_max_elapsed(),
    );
    let script = Script::new([
        rate_limited(200),
        FlakyError::Internal,
        rate_limited(30),
        FlakyError::Internal,
        rate_limited(200),
        rate_limited(10),
        FlakyError::Internal,
        FlakyError::Internal,
    ]);
    let start = Instant::now();
    let (result, report) = apifault::retry_with_report(&policy, || async { script.call() }).await;
    assert_eq!(result, Ok(9), "{report:?}");
    assert_eq!(
        *waits.lock().unwrap(),
        [
            (secs(200), Retry::After),
            (secs(2), Retry::Backoff),
            (secs(30), Retry::After),
            (secs(4), Retry::Backoff),
            (secs(200), Retry::After),
            (secs(10), Retry::After),
            (secs(8), Retry::Backoff),
            (secs(16), Retry::Backoff),
        ],
        "the backoff step grows with failures only"
    );
    assert_eq!(start.elapsed(), secs(470));
    assert_eq!((report.attempts, report.stop), (9, StopReason::Succeeded));
}

#[tokio::test(start_paused = true)]
async fn a_fifth_failure_gives_up_after_rate_limits_were_waited_out() {
    let (policy, waits) = recording(
        RetryPolicy::exponential(secs(2))
            .max_retries(4)
            .max_server_wait(secs(300))
            .no_max_elapsed(),
    );
    let mut errors = vec![rate_limited(200), rate_limited(200)];
    errors.extend(std::iter::repeat_n(FlakyError::Internal, 5));
    let script = Script::new(errors);
    let (result, report) = apifault::retry_with_report(&policy, || async { script.call() }).await;
    assert_eq!(result, Err(FlakyError::Internal));
    assert_eq!((report.attempts, report.stop), (7, StopReason::MaxRetries));
    assert_eq!(
        waits.lock().unwrap().len(),
        6,
        "two resets and four backoffs"
    );
}

#[tokio::test(start_paused = true)]
async fn max_server_waits_bounds_the_rate_limits() {
    let (policy, waits) = recording(
        RetryPolicy::exponential(secs(1))
            .max_retries(0)
            .max_server_waits(3)
            .no_max_elapsed(),
    );
    let script = Script::always(rate_limited(5));
    let start = Instant::now();
    let (result, report) = apifault::retry_with_report(&policy, || async { script.call() }).await;
    assert_eq!(result, Err(rate_limited(5)));
    assert_eq!(
        (report.attempts, report.stop),
        (4, StopReason::MaxServerWaits)
    );
    assert_eq!(report.stop.to_string(), "max_server_waits reached");
    assert!(report.stop.exhausted());
    assert_eq!(*waits.lock().unwrap(), [(secs(5), Retry::After); 3]);
    assert_eq!(start.elapsed(), secs(15));
}

#[tokio::test(start_paused = true)]
async fn the_default_bounds_server_waits_at_ten() {
    let policy = RetryPolicy::default().no_max_elapsed();
    assert_eq!((policy.retries(), policy.server_waits()), (3, 10));
    let script = Script::always(rate_limited(1));
    let (_, report) = apifault::retry_with_report(&policy, || async { script.call() }).await;
    assert_eq!(
        (report.attempts, report.stop),
        (11, StopReason::MaxServerWaits)
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_without_a_hint_backs_off_and_counts_as_a_failure() {
    let (policy, waits) = recording(
        RetryPolicy::exponential(secs(1))
            .max_retries(2)
            .no_max_elapsed(),
    );
    let script = Script::always(FlakyError::RateLimited { wait: None });
    let (_, report) = apifault::retry_with_report(&policy, || async { script.call() }).await;
    assert_eq!((report.attempts, report.stop), (3, StopReason::MaxRetries));
    assert_eq!(
        *waits.lock().unwrap(),
        [(secs(1), Retry::Backoff), (secs(2), Retry::Backoff)]
    );
}

/// A 503 that carries `Retry-After` but retries by backoff.
#[derive(Debug, Clone, PartialEq, apifault::ApiError)]
enum Busy {
    #[api(status = 503)]
    Unavailable {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
}

#[tokio::test(start_paused = true)]
async fn a_backoff_error_that_waits_its_hint_is_still_a_failure() {
    let (policy, waits) = recording(
        RetryPolicy::exponential(secs(1))
            .max_retries(2)
            .max_server_waits(0)
            .no_max_elapsed(),
    );
    let script = Script::always(Busy::Unavailable {
        wait: Some(secs(20)),
    });
    let (_, report) = apifault::retry_with_report(&policy, || async { script.call() }).await;
    assert_eq!((report.attempts, report.stop), (3, StopReason::MaxRetries));
    assert_eq!(
        *waits.lock().unwrap(),
        [(secs(20), Retry::After), (secs(20), Retry::After)]
    );
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_bounds_server_waits_and_failures_together() {
    let (policy, waits) = recording(
        RetryPolicy::exponential(secs(2))
            .max_retries(4)
            .max_server_wait(secs(300))
            .max_elapsed(secs(250)),
    );
    let script = Script::new([
        rate_limited(200),
        FlakyError::Internal,
        FlakyError::Internal,
        FlakyError::Internal,
        rate_limited(60),
    ]);
    let start = Instant::now();
    let (result, report) = apifault::retry_with_report(&policy, || async { script.call() }).await;
    // 200 + 2 + 4 + 8 = 214 s waited; 60 s more would end at 274 s.
    assert_eq!(result, Err(rate_limited(60)));
    assert_eq!((report.attempts, report.stop), (5, StopReason::MaxElapsed));
    assert_eq!(waits.lock().unwrap().len(), 4);
    assert_eq!(start.elapsed(), secs(214));
}

#[test]
fn blocking_code_counts_the_same_way() {
    let policy = RetryPolicy::exponential(secs(1))
        .jitter(Jitter::None)
        .max_retries(1)
        .max_server_waits(2)
        .no_max_elapsed()
        .clock(apifault::ManualClock::new());
    let script = Script::new([
        rate_limited(9),
        FlakyError::Internal,
        rate_limited(9),
        FlakyError::Internal,
    ]);
    let (result, report) = apifault::retry_blocking_with_report(&policy, || script.call());
    assert_eq!(result, Err(FlakyError::Internal));
    assert_eq!((report.attempts, report.stop), (4, StopReason::MaxRetries));
    assert_eq!(report.waited, secs(19));
}
