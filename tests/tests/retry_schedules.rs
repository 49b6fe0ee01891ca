//! Exact schedules: `RetryPolicy::delays` (the last delay repeats), any
//! iterator of delays through `RetryPolicy::backoff_with`, and
//! `delays = [...]` in the attribute.

use std::time::Duration;

use apifault::{Jitter, ManualClock, RetryPolicy, StopReason};
use apifault_tests::{FlakyError, Script};
use tokio::time::Instant;

fn unavailable() -> FlakyError {
    FlakyError::Unavailable { request_id: None }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Runs `policy` on a call that always fails with `error`: the waits, and
/// why it stopped.
fn waits(policy: RetryPolicy, error: FlakyError) -> (Vec<Duration>, StopReason) {
    let clock = ManualClock::new();
    let policy = policy.no_max_elapsed().clock(clock.clone());
    let script = Script::always(error);
    let (_, report) = apifault::retry_blocking_with_report(&policy, || script.call());
    (clock.sleeps(), report.stop)
}

#[test]
fn delays_are_waited_as_written_and_the_last_repeats() {
    let cases: [(u32, &[u64]); 4] = [
        (0, &[]),
        (2, &[2, 4]),
        (3, &[2, 4, 16]),
        (5, &[2, 4, 16, 16, 16]),
    ];
    for (retries, expected) in cases {
        let policy = RetryPolicy::delays([secs(2), secs(4), secs(16)]).max_retries(retries);
        let (sleeps, stop) = waits(policy, unavailable());
        assert_eq!(
            sleeps,
            expected.iter().copied().map(secs).collect::<Vec<_>>()
        );
        assert_eq!(stop, StopReason::MaxRetries);
    }
}

#[test]
fn delays_keep_max_delay_and_jitter_when_asked() {
    let capped = RetryPolicy::delays([secs(2), secs(40)])
        .max_delay(secs(30))
        .max_retries(3);
    assert_eq!(
        waits(capped, unavailable()).0,
        [secs(2), secs(30), secs(30)]
    );

    let jittered = RetryPolicy::delays([secs(10)])
        .jitter(Jitter::Full)
        .max_retries(50);
    let (sleeps, _) = waits(jittered, unavailable());
    assert_eq!(sleeps.len(), 50);
    assert!(sleeps.iter().all(|wait| *wait <= secs(10)));
    assert!(
        sleeps.iter().any(|wait| *wait < secs(10)),
        "full jitter draws below the step"
    );
}

#[test]
fn an_empty_schedule_retries_no_failure_but_still_waits_out_rate_limits() {
    let empty = || RetryPolicy::delays([]).max_server_waits(2);
    assert_eq!(
        waits(empty(), unavailable()),
        (vec![], StopReason::MaxRetries)
    );
    let limited = FlakyError::RateLimited {
        wait: Some(secs(7)),
    };
    assert_eq!(
        waits(empty(), limited),
        (vec![secs(7), secs(7)], StopReason::MaxServerWaits)
    );
}

#[test]
fn a_server_hint_longer_than_the_step_is_waited() {
    // A 429 without a hint backs off on the schedule; a hint wins.
    let policy = RetryPolicy::delays([secs(2), secs(4)]).max_retries(2);
    let script = Script::new([
        FlakyError::RateLimited { wait: None },
        FlakyError::RateLimited {
            wait: Some(secs(9)),
        },
        FlakyError::RateLimited { wait: None },
    ]);
    let clock = ManualClock::new();
    let policy = policy.clock(clock.clone());
    let result = apifault::retry_blocking(&policy, || script.call());
    assert_eq!(result.unwrap(), 4);
    // The waited-out hint is not a failure: the second failure waits 4 s.
    assert_eq!(clock.sleeps(), [secs(2), secs(9), secs(4)]);
}

#[test]
fn any_iterator_is_a_backoff_and_each_call_gets_its_own() {
    // Linear steps, a schedule that ends after three.
    let policy = RetryPolicy::backoff_with(|| (1..=3).map(|n| Duration::from_millis(100 * n)))
        .max_retries(10);
    for _ in 0..2 {
        let (sleeps, stop) = waits(policy.clone(), unavailable());
        assert_eq!(sleeps, [100, 200, 300].map(Duration::from_millis));
        assert_eq!(
            stop,
            StopReason::MaxRetries,
            "the schedule's end stops the retries"
        );
    }
    let bounded = policy.max_retries(2);
    assert_eq!(
        waits(bounded, unavailable()).0,
        [100, 200].map(Duration::from_millis)
    );
}

#[test]
fn a_policy_with_a_schedule_is_shared_across_threads() {
    fn shared<T: Clone + Send + Sync>(_: &T) {}
    let policy = RetryPolicy::backoff_with(|| std::iter::repeat(Duration::from_millis(5)));
    shared(&policy);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let policy = policy.clone().max_retries(3);
            std::thread::spawn(move || waits(policy, unavailable()).0)
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), [Duration::from_millis(5); 3]);
    }
}

#[apifault::retry(delays = ["2s", "4s", "16s"], max_retries = 4)]
async fn documented(script: &Script<FlakyError>) -> Result<u32, FlakyError> {
    script.call()
}

#[tokio::test(start_paused = true)]
async fn the_attribute_takes_delays() {
    let script = Script::always(unavailable());
    let started = Instant::now();
    assert!(documented(&script).await.is_err());
    assert_eq!(script.calls(), 5);
    // 2 + 4 + 16 + 16, no jitter.
    assert_eq!(started.elapsed(), secs(38));
}
