//! The engine's waits, with exact numbers, under tokio's paused clock: no
//! test here sleeps in real time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use apifault::{Jitter, Retry, RetryPolicy, StopReason};
use apifault_tests::{FlakyError, Script};
use tokio::time::Instant;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A policy without jitter that records every delay its hooks see.
fn recording(policy: RetryPolicy) -> (RetryPolicy, Arc<Mutex<Vec<Duration>>>) {
    let delays = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&delays);
    let policy = policy.on_retry(move |e| seen.lock().unwrap().push(e.delay));
    (policy, delays)
}

fn unavailable() -> FlakyError {
    FlakyError::Unavailable { request_id: None }
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_from_base_without_jitter() {
    let (policy, delays) = recording(
        RetryPolicy::exponential(secs(2))
            .jitter(Jitter::None)
            .max_retries(4)
            .no_max_elapsed(),
    );
    let script = Script::always(unavailable());
    let start = Instant::now();
    let (result, report) = apifault::retry_with_report(&policy, || async { script.call() }).await;
    assert_eq!(result, Err(unavailable()));
    assert_eq!(
        *delays.lock().unwrap(),
        [secs(2), secs(4), secs(8), secs(16)]
    );
    assert_eq!(
        start.elapsed(),
        secs(30),
        "2 + 4 + 8 + 16 on the paused clock"
    );
    assert_eq!(script.calls(), 5);
    assert_eq!(
        (report.attempts, report.waited, report.stop),
        (5, secs(30), StopReason::MaxRetries)
    );
}

#[tokio::test(start_paused = true)]
async fn max_delay_caps_the_backoff() {
    let (policy, delays) = recording(
        RetryPolicy::exponential(secs(1))
            .factor(3.0)
            .max_delay(secs(5))
            .jitter(Jitter::None)
            .max_retries(4)
            .no_max_elapsed(),
    );
    let script = Script::always(FlakyError::Internal);
    let _ = apifault::retry(&policy, || async { script.call() }).await;
    assert_eq!(
        *delays.lock().unwrap(),
        [secs(1), secs(3), secs(5), secs(5)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_waits_exactly_its_hint() {
    let (policy, delays) = recording(RetryPolicy::exponential(secs(1)).jitter(Jitter::None));
    let script = Script::new([FlakyError::RateLimited {
        wait: Some(secs(7)),
    }]);
    let start = Instant::now();
    let result = apifault::retry(&policy, || async { script.call() }).await;
    assert_eq!(result, Ok(2));
    assert_eq!(start.elapsed(), secs(7));
    assert_eq!(*delays.lock().unwrap(), [secs(7)]);
}

#[tokio::test(start_paused = true)]
async fn a_hint_is_waited_exactly_whatever_the_jitter() {
    for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
        let (policy, delays) = recording(RetryPolicy::exponential(secs(2)).jitter(jitter));
        let script = Script::new([FlakyError::RateLimited {
            wait: Some(secs(30)),
        }]);
        let _ = apifault::retry(&policy, || async { script.call() }).await;
        assert_eq!(*delays.lock().unwrap(), [secs(30)], "{jitter:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_without_hint_backs_off() {
    let (policy, delays) = recording(RetryPolicy::exponential(secs(3)).jitter(Jitter::None));
    let script = Script::new([FlakyError::RateLimited { wait: None }]);
    assert_eq!(
        apifault::retry(&policy, || async { script.call() }).await,
        Ok(2)
    );
    assert_eq!(*delays.lock().unwrap(), [secs(3)]);
}

#[tokio::test(start_paused = true)]
async fn a_hint_over_max_server_wait_gives_up_at_once() {
    let policy = RetryPolicy::default().max_server_wait(secs(60));
    let script = Script::new([FlakyError::RateLimited {
        wait: Some(secs(200)),
    }]);
    let start = Instant::now();
    let (result, report) = apifault::retry_with_report(&policy, || async { script.call() }).await;
    assert_eq!(
        result,
        Err(FlakyError::RateLimited {
            wait: Some(secs(200))
        })
    );
    assert_eq!(script.calls(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(
        report.stop,
        StopReason::ServerWaitTooLong { asked: secs(200) }
    );
}

#[tokio::test(start_paused = true)]
async fn never_makes_one_attempt() {
    let script = Script::always(FlakyError::NotFound);
    let (result, report) =
        apifault::retry_with_report(&RetryPolicy::default(), || async { script.call() }).await;
    assert_eq!(result, Err(FlakyError::NotFound));
    assert_eq!(script.calls(), 1);
    assert_eq!(report.stop, StopReason::NotRetryable);

    let script = Script::always(unavailable());
    let (_, report) =
        apifault::retry_with_report(&RetryPolicy::never(), || async { script.call() }).await;
    assert_eq!((script.calls(), report.stop), (1, StopReason::MaxRetries));
}

#[tokio::test(start_paused = true)]
async fn max_retries_is_honoured() {
    for retries in [0, 1, 3, 7] {
        let policy = RetryPolicy::exponential(Duration::from_millis(10)).max_retries(retries);
        let script = Script::always(FlakyError::Internal);
        let _ = apifault::retry(&policy, || async { script.call() }).await;
        assert_eq!(script.calls(), retries + 1);
    }
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_gives_up_instead_of_crossing_the_deadline() {
    // Waits would be 2, 4, 8, 16: after 2 + 4 = 6 s (plus the attempts'
    // own second each), the 8 s wait would end past 15 s, so it stops.
    let (policy, delays) = recording(
        RetryPolicy::exponential(secs(2))
            .jitter(Jitter::None)
            .max_retries(10)
            .max_elapsed(secs(15)),
    );
    let script = Script::always(unavailable());
    let start = Instant::now();
    let (result, report) = apifault::retry_with_report(&policy, || async {
        tokio::time::sleep(secs(1)).await;
        script.call()
    })
    .await;
    assert!(result.is_err());
    assert_eq!(*delays.lock().unwrap(), [secs(2), secs(4)]);
    assert_eq!(script.calls(), 3);
    assert_eq!(report.stop, StopReason::MaxElapsed);
    assert_eq!(
        start.elapsed(),
        secs(9),
        "3 attempts of 1 s and 6 s of waits"
    );
    assert!(start.elapsed() <= secs(15));
}

#[tokio::test(start_paused = true)]
async fn dropping_the_future_cancels_further_attempts() {
    let policy = RetryPolicy::exponential(secs(10))
        .jitter(Jitter::None)
        .max_retries(5);
    let script = Script::always(unavailable());
    let call = apifault::retry(&policy, || async { script.call() });
    let timed_out = tokio::time::timeout(secs(15), call).await;
    assert!(timed_out.is_err(), "the call was still waiting");
    assert_eq!(script.calls(), 2, "attempts at 0 s and 10 s");
    tokio::time::sleep(secs(600)).await;
    assert_eq!(script.calls(), 2, "nothing ran after the drop");
}

#[tokio::test(start_paused = true)]
async fn hooks_see_attempts_delays_errors_and_reasons() {
    let retries = Arc::new(Mutex::new(Vec::new()));
    let give_ups = Arc::new(Mutex::new(Vec::new()));
    let (r, g) = (Arc::clone(&retries), Arc::clone(&give_ups));
    let policy = RetryPolicy::exponential(secs(1))
        .jitter(Jitter::None)
        .max_retries(2)
        .on_retry(move |e| {
            r.lock().unwrap().push((
                e.attempt,
                e.delay,
                e.reason,
                e.error.status().map(|s| s.as_u16()),
            ));
        })
        .on_give_up(move |e| {
            g.lock().unwrap().push((
                e.attempts,
                e.reason,
                e.waited,
                e.error.request_id().map(str::to_owned),
            ));
        });
    // The 429's wait is the server's, not a failure: the two retries
    // `max_retries(2)` allows go to the 500 and the first 503.
    let script = Script::new([
        FlakyError::RateLimited {
            wait: Some(secs(5)),
        },
        FlakyError::Internal,
        unavailable(),
        FlakyError::Unavailable {
            request_id: Some("req-9".into()),
        },
    ]);
    let result = apifault::retry(&policy, || async { script.call() }).await;
    assert_eq!(
        result,
        Err(FlakyError::Unavailable {
            request_id: Some("req-9".into())
        })
    );
    assert_eq!(
        *retries.lock().unwrap(),
        [
            (1, secs(5), Retry::After, Some(429)),
            (2, secs(1), Retry::Backoff, Some(500)),
            (3, secs(2), Retry::Backoff, Some(503))
        ]
    );
    assert_eq!(
        *give_ups.lock().unwrap(),
        [(4, StopReason::MaxRetries, secs(8), Some("req-9".to_owned()))]
    );
}

#[tokio::test(start_paused = true)]
async fn the_final_error_is_the_last_real_error() {
    let policy = RetryPolicy::exponential(secs(1)).max_retries(5);
    let script = Script::new([FlakyError::Internal, unavailable(), FlakyError::NotFound]);
    let result = apifault::retry(&policy, || async { script.call() }).await;
    assert_eq!(result, Err(FlakyError::NotFound));
    assert_eq!(script.calls(), 3);
}

/// A 503 that carries `Retry-After` but retries by backoff.
#[derive(Debug, PartialEq, apifault::ApiError)]
enum Busy {
    #[api(status = 503)]
    Unavailable {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
}

#[tokio::test(start_paused = true)]
async fn a_backoff_error_with_a_longer_hint_waits_the_hint() {
    let (policy, delays) = recording(
        RetryPolicy::exponential(secs(1))
            .jitter(Jitter::None)
            .max_server_wait(secs(300))
            .no_max_elapsed(),
    );
    let mut answers = vec![
        Busy::Unavailable {
            wait: Some(secs(1)),
        },
        Busy::Unavailable {
            wait: Some(secs(120)),
        },
    ];
    answers.reverse();
    let answers = Mutex::new(answers);
    let result = apifault::retry(&policy, || {
        let next = answers.lock().unwrap().pop();
        async move { next.map_or(Ok(()), Err) }
    })
    .await;
    assert!(result.is_ok());
    // 1st retry: backoff 1 s vs hint 1 s; 2nd: backoff 2 s vs hint 120 s.
    assert_eq!(*delays.lock().unwrap(), [secs(1), secs(120)]);
}

#[tokio::test(start_paused = true)]
async fn jitter_does_not_change_how_many_hints_a_deadline_allows() {
    for _ in 0..20 {
        let policy = RetryPolicy::exponential(secs(5))
            .jitter(Jitter::Full)
            .max_elapsed(secs(60));
        let script = Script::new([
            FlakyError::RateLimited {
                wait: Some(secs(30)),
            },
            FlakyError::RateLimited {
                wait: Some(secs(30)),
            },
        ]);
        let (result, report) =
            apifault::retry_with_report(&policy, || async { script.call() }).await;
        assert_eq!(result, Ok(3), "{report:?}");
        assert_eq!(report.waited, secs(60));
    }
}
