//! Attack: attempts that outlast `max_elapsed`, and clocks that jump. The
//! promise (DESIGN, "Retrying"; `RetryPolicy::max_elapsed`): waits never
//! cross the deadline, no attempt starts after it, an async retry still
//! running when it passes is cut and the previous error returned
//! (`StopReason::MaxElapsed`), and a first attempt is never cut. For
//! `apifault::retry`, `retry_with_report` and the attribute alike, on
//! tokio's paused clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant as StdInstant};

use apifault::{ApiError, Clock, Jitter, ManualClock, RetryPolicy, Sleep, StopReason};
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, ApiError)]
enum E {
    /// Which attempt failed.
    #[api(status = 503)]
    Unavailable(u32),
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The case: 1 s for the call, attempts of 300 ms, 100 ms waits.
fn policy() -> RetryPolicy {
    RetryPolicy::exponential(ms(100))
        .factor(1.0)
        .jitter(Jitter::None)
        .max_retries(100)
        .max_elapsed(ms(1_000))
}

/// An attempt that takes `took` and fails with its number; records when
/// each attempt started.
struct Slow {
    took: Duration,
    calls: AtomicU32,
    starts: Mutex<Vec<Duration>>,
    origin: Instant,
}

impl Slow {
    fn new(took: Duration) -> Self {
        Slow {
            took,
            calls: AtomicU32::new(0),
            starts: Mutex::new(Vec::new()),
            origin: Instant::now(),
        }
    }

    async fn call(&self) -> Result<(), E> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        self.starts.lock().unwrap().push(self.origin.elapsed());
        tokio::time::sleep(self.took).await;
        Err(E::Unavailable(n))
    }

    fn starts(&self) -> Vec<Duration> {
        self.starts.lock().unwrap().clone()
    }
}

#[tokio::test(start_paused = true)]
async fn a_retry_running_at_the_deadline_is_cut_and_the_previous_error_returned() {
    let slow = Slow::new(ms(300));
    let started = Instant::now();
    let (result, report) = apifault::retry_with_report(&policy(), || slow.call()).await;
    // Attempts start at 0, 400, 800 ms; the third would end at 1,100 ms.
    assert_eq!(
        started.elapsed(),
        ms(1_000),
        "the call ends at the deadline"
    );
    assert_eq!(slow.starts(), [ms(0), ms(400), ms(800)]);
    assert_eq!(
        result,
        Err(E::Unavailable(2)),
        "the error of the attempt before the cut one"
    );
    assert_eq!(report.stop, StopReason::MaxElapsed);
    assert_eq!(report.attempts, 3, "the cut attempt was made");
    assert_eq!(report.elapsed, ms(1_000));
}

#[tokio::test(start_paused = true)]
async fn retry_is_cut_too() {
    let slow = Slow::new(ms(300));
    let started = Instant::now();
    let result = apifault::retry(&policy(), || slow.call()).await;
    assert_eq!(started.elapsed(), ms(1_000));
    assert_eq!(result, Err(E::Unavailable(2)));
}

#[tokio::test(start_paused = true)]
async fn a_first_attempt_is_never_cut() {
    let slow = Slow::new(ms(5_000));
    let started = Instant::now();
    let (result, report) = apifault::retry_with_report(&policy(), || slow.call()).await;
    assert_eq!(started.elapsed(), ms(5_000));
    assert_eq!(result, Err(E::Unavailable(1)));
    assert_eq!((report.attempts, report.stop), (1, StopReason::MaxElapsed));
}

#[tokio::test(start_paused = true)]
async fn waits_never_cross_the_deadline_and_no_attempt_starts_after_it() {
    // Many shapes of attempt time and wait: the call never ends after the
    // deadline (except a first attempt longer than it), and no attempt
    // starts after it.
    for took in [0, 1, 99, 100, 300, 333, 400, 999] {
        for base in [1, 50, 100, 250, 600, 999, 1_000] {
            let policy = RetryPolicy::exponential(ms(base))
                .jitter(Jitter::None)
                .max_retries(1_000)
                .max_elapsed(ms(1_000));
            let slow = Slow::new(ms(took));
            let started = Instant::now();
            let (result, report) = apifault::retry_with_report(&policy, || slow.call()).await;
            assert!(result.is_err());
            assert!(
                started.elapsed() <= ms(1_000),
                "took {took}, base {base}: {:?}",
                started.elapsed()
            );
            assert!(report.waited <= ms(1_000));
            assert!(
                slow.starts().iter().all(|&s| s <= ms(1_000)),
                "{:?}",
                slow.starts()
            );
            assert_eq!(report.stop, StopReason::MaxElapsed);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn an_attempt_ending_at_the_deadline_counts() {
    // Attempts of 300 ms with 50 ms waits: 0-300, 350-650, 700-1,000.
    let policy = RetryPolicy::exponential(ms(50))
        .factor(1.0)
        .jitter(Jitter::None)
        .max_retries(100)
        .max_elapsed(ms(1_000));
    let calls = AtomicU32::new(0);
    let result = apifault::retry(&policy, || async {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(ms(300)).await;
        if n < 3 { Err(E::Unavailable(n)) } else { Ok(n) }
    })
    .await;
    assert_eq!(result, Ok(3));
}

#[tokio::test(start_paused = true)]
async fn the_give_up_hook_sees_the_cut_and_the_previous_error() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook = Arc::clone(&seen);
    let policy = policy().on_give_up(move |event| {
        hook.lock().unwrap().push((
            event.reason,
            event.error.status(),
            event.elapsed,
            event.attempts,
        ));
    });
    let slow = Slow::new(ms(300));
    let _ = apifault::retry(&policy, || slow.call()).await;
    assert_eq!(
        *seen.lock().unwrap(),
        [(
            StopReason::MaxElapsed,
            Some(http::StatusCode::SERVICE_UNAVAILABLE),
            ms(1_000),
            3
        )]
    );
}

struct Client {
    policy: RetryPolicy,
    slow: Slow,
}

impl Client {
    #[apifault::retry(policy = &self.policy)]
    async fn fetch(&self) -> Result<(), E> {
        self.slow.call().await
    }

    #[apifault::retry(
        max_retries = 100,
        base = "100ms",
        factor = 1.0,
        jitter = "none",
        max_elapsed = "1s"
    )]
    async fn fetch_with_knobs(&self) -> Result<(), E> {
        self.slow.call().await
    }
}

#[tokio::test(start_paused = true)]
async fn the_attribute_cuts_a_retry_at_the_deadline() {
    let client = Client {
        policy: policy(),
        slow: Slow::new(ms(300)),
    };
    let started = Instant::now();
    assert_eq!(client.fetch().await, Err(E::Unavailable(2)));
    assert_eq!(started.elapsed(), ms(1_000));

    let client = Client {
        policy: policy(),
        slow: Slow::new(ms(300)),
    };
    let started = Instant::now();
    assert_eq!(client.fetch_with_knobs().await, Err(E::Unavailable(2)));
    assert_eq!(started.elapsed(), ms(1_000));
    assert_eq!(client.slow.starts(), [ms(0), ms(400), ms(800)]);
}

#[tokio::test(start_paused = true)]
async fn the_attribute_never_cuts_a_first_attempt() {
    let client = Client {
        policy: policy(),
        slow: Slow::new(ms(3_000)),
    };
    let started = Instant::now();
    assert_eq!(client.fetch().await, Err(E::Unavailable(1)));
    assert_eq!(started.elapsed(), ms(3_000));
}

#[test]
fn a_clock_jumping_forward_mid_call_stops_at_the_next_decision() {
    // Blocking attempts cannot be cut; the jump is seen when the attempt
    // ends, and nothing starts after the deadline.
    let clock = ManualClock::new();
    let policy = policy().clock(clock.clone());
    let mut calls = 0;
    let (result, report) = apifault::retry_blocking_with_report(&policy, || {
        calls += 1;
        if calls == 2 {
            clock.advance(Duration::from_secs(3_600));
        }
        Err::<(), _>(E::Unavailable(calls))
    });
    assert_eq!(result, Err(E::Unavailable(2)));
    assert_eq!((report.attempts, report.stop), (2, StopReason::MaxElapsed));
}

/// A clock that runs backwards, and jumps by hours, at every reading.
#[derive(Debug)]
struct Lunatic {
    origin: StdInstant,
    readings: AtomicU32,
}

impl Clock for Lunatic {
    fn now(&self) -> StdInstant {
        let n = self.readings.fetch_add(1, Ordering::SeqCst);
        let jump = Duration::from_secs(3_600 * u64::from(n % 5));
        if n.is_multiple_of(2) {
            self.origin + jump
        } else {
            self.origin.checked_sub(jump).unwrap_or(self.origin)
        }
    }
    fn sleep_blocking(&self, _: Duration) {}
    fn sleep(&self, _: Duration) -> Sleep {
        Box::pin(std::future::ready(()))
    }
}

#[tokio::test]
async fn a_clock_running_backwards_and_jumping_never_panics_nor_loops_forever() {
    let policy = policy().clock(Lunatic {
        origin: StdInstant::now() + Duration::from_secs(86_400),
        readings: AtomicU32::new(0),
    });
    for _ in 0..50 {
        let calls = AtomicU32::new(0);
        let (result, report) = apifault::retry_with_report(&policy, || async {
            Err::<(), _>(E::Unavailable(calls.fetch_add(1, Ordering::SeqCst) + 1))
        })
        .await;
        assert!(result.is_err());
        assert!(report.attempts <= 101, "{report:?}");
        let (result, _) =
            apifault::retry_blocking_with_report(&policy, || Err::<(), _>(E::Unavailable(0)));
        assert!(result.is_err());
    }
}

/// A clock standing at the last instant `Instant` can hold.
#[derive(Debug)]
struct EndOfTime(StdInstant);

impl EndOfTime {
    fn new() -> Self {
        let mut at = StdInstant::now();
        let mut step = Duration::from_secs(u64::MAX / 2);
        while step > Duration::from_millis(1) {
            match at.checked_add(step) {
                Some(later) => at = later,
                None => step /= 2,
            }
        }
        EndOfTime(at)
    }
}

impl Clock for EndOfTime {
    fn now(&self) -> StdInstant {
        self.0
    }
    fn sleep_blocking(&self, _: Duration) {}
    fn sleep(&self, _: Duration) -> Sleep {
        Box::pin(std::future::ready(()))
    }
}

#[tokio::test]
async fn a_clock_at_the_end_of_time_neither_panics_nor_retries_forever() {
    let policy = policy()
        .max_retries(5)
        .budget(apifault::RetryBudget::new(0.1, 10))
        .on_retry(|_| {})
        .clock(EndOfTime::new());
    let (result, report) =
        apifault::retry_with_report(&policy, || async { Err::<(), _>(E::Unavailable(1)) }).await;
    assert!(result.is_err());
    assert!(report.attempts <= 6, "{report:?}");
    let (result, _) =
        apifault::retry_blocking_with_report(&policy, || Err::<(), _>(E::Unavailable(1)));
    assert!(result.is_err());
}
