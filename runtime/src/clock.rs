//! Where the retry engine reads the time and waits: the [`Clock`] trait, the
//! default clock, and [`ManualClock`] for tests that must never really sleep.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::time::Duration;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// A boxed wait, as returned by [`Clock::sleep`]. Boxing happens only when the
/// engine actually waits, never on the path where the first attempt succeeds.
///
/// ```
/// use apifault::{Clock, ManualClock, Sleep};
/// let clock = ManualClock::new();
/// let wait: Sleep = clock.sleep(std::time::Duration::from_secs(1));
/// # drop(wait);
/// assert_eq!(clock.elapsed(), std::time::Duration::from_secs(1));
/// ```
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A source of time for the retry engine.
///
/// The engine uses its default clock unless a policy names another with
/// [`RetryPolicy::clock`](crate::RetryPolicy::clock): with the `tokio`
/// feature, async waits use `tokio::time` (so that `#[tokio::test(start_paused
/// = true)]` makes them instant), and blocking waits use the thread's sleep.
/// Implement it to run on another async runtime or to drive time in tests.
///
/// ```
/// use apifault::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.sleep_blocking(Duration::from_secs(3));
/// assert_eq!(clock.now() - start, Duration::from_secs(3));
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant of this clock.
    fn now(&self) -> Instant;
    /// Waits `duration`, blocking the thread.
    fn sleep_blocking(&self, duration: Duration);
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// A clock whose time moves only when something sleeps on it or calls
/// [`advance`](ManualClock::advance); sleeping returns at once. Clones share
/// one timeline, so a test can keep a clone to read what the engine waited.
///
/// ```
/// use apifault::{ApiError, ManualClock, Retry, RetryPolicy};
/// use std::time::Duration;
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 503)]
///     Unavailable,
/// }
///
/// let clock = ManualClock::new();
/// let policy = RetryPolicy::exponential(Duration::from_secs(2))
///     .jitter(apifault::Jitter::None)
///     .max_retries(3)
///     .clock(clock.clone());
/// let result: Result<(), E> = apifault::retry_blocking(&policy, || Err(E::Unavailable));
/// assert!(result.is_err());
/// assert_eq!(clock.sleeps(), [2, 4, 8].map(Duration::from_secs));
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualState>>,
}

#[derive(Debug)]
struct ManualState {
    start: Instant,
    offset: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock standing at the real current instant, with nothing slept.
    ///
    /// ```
    /// let clock = apifault::ManualClock::new();
    /// assert!(clock.sleeps().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ManualState {
                start: Instant::now(),
                offset: Duration::ZERO,
                sleeps: Vec::new(),
            })),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut ManualState) -> R) -> R {
        // A panic while holding the lock leaves plain data behind: keep going.
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Moves time forward without recording a sleep.
    ///
    /// ```
    /// # use apifault::{Clock, ManualClock};
    /// # use std::time::Duration;
    /// let clock = ManualClock::new();
    /// let start = clock.now();
    /// clock.advance(Duration::from_millis(1500));
    /// assert_eq!(clock.now() - start, Duration::from_millis(1500));
    /// assert!(clock.sleeps().is_empty());
    /// ```
    pub fn advance(&self, duration: Duration) {
        self.with(|s| s.offset = s.offset.saturating_add(duration));
    }

    /// Every sleep so far, in order.
    ///
    /// ```
    /// # use apifault::{Clock, ManualClock};
    /// # use std::time::Duration;
    /// let clock = ManualClock::new();
    /// clock.sleep_blocking(Duration::from_secs(1));
    /// assert_eq!(clock.sleeps(), [Duration::from_secs(1)]);
    /// ```
    #[must_use]
    pub fn sleeps(&self) -> Vec<Duration> {
        self.with(|s| s.sleeps.clone())
    }

    /// How far time has moved since the clock was made.
    ///
    /// ```
    /// # use apifault::{Clock, ManualClock};
    /// # use std::time::Duration;
    /// let clock = ManualClock::new();
    /// clock.sleep_blocking(Duration::from_secs(2));
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(clock.elapsed(), Duration::from_secs(3));
    /// ```
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.with(|s| s.offset)
    }

    fn record(&self, duration: Duration) {
        self.with(|s| {
            s.offset = s.offset.saturating_add(duration);
            s.sleeps.push(duration);
        });
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.with(|s| s.start.checked_add(s.offset).unwrap_or(s.start))
    }

    fn sleep_blocking(&self, duration: Duration) {
        self.record(duration);
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        self.record(duration);
        Box::pin(core::future::ready(()))
    }
}

/// Whether one call's waits are real or skipped: the test switch
/// ([`instant_retries`](crate::testing::instant_retries)) as a clock that
/// reads the time as the call's clock does and never waits. It is chosen
/// once per call, at its first wait that is not zero, so that neither the
/// path where the first attempt succeeds nor any later wait reads the
/// switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// No wait yet.
    Unchosen,
    /// Waits on the policy's clock, or the default one.
    Real,
    /// The switch was on at the first wait: every wait of the call is
    /// counted and reported, and skipped.
    Skipped,
}

impl Waiting {
    /// Whether to skip this wait, choosing at the first.
    pub(crate) fn skips(&mut self) -> bool {
        if *self == Waiting::Unchosen {
            *self = if crate::testing::instant_retries_active() {
                Waiting::Skipped
            } else {
                Waiting::Real
            };
        }
        *self == Waiting::Skipped
    }
}

/// The clock used when a policy names none.
pub(crate) mod default {
    use core::time::Duration;
    use std::time::Instant;

    /// Now, as async waits see it: tokio's clock (pausable in tests) when
    /// the `tokio` feature is on (outside a runtime it reads the system
    /// clock).
    pub(crate) fn now_async() -> Instant {
        #[cfg(feature = "tokio")]
        {
            tokio::time::Instant::now().into_std()
        }
        #[cfg(not(feature = "tokio"))]
        {
            Instant::now()
        }
    }

    pub(crate) fn now_blocking() -> Instant {
        Instant::now()
    }

    pub(crate) async fn sleep(duration: Duration) {
        // tokio's timer only inside a tokio runtime: another crate turning
        // the feature on must not make waits panic on another executor.
        #[cfg(feature = "tokio")]
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::time::sleep(duration).await;
            return;
        }
        thread_timer::sleep(duration).await;
    }

    pub(crate) fn sleep_blocking(duration: Duration) {
        std::thread::sleep(duration);
    }

    /// Outside tokio, every wait of the process shares one timer thread
    /// (started on the first such wait, parked while there is nothing to
    /// wait for); a wait dropped before its time is removed from it at once,
    /// so cancelled waits leave neither threads nor entries behind. Users of
    /// another runtime should still give the policy a `Clock` using its
    /// timer.
    pub(crate) mod thread_timer {
        use core::future::Future;
        use core::pin::Pin;
        use core::task::{Context, Poll, Waker};
        use core::time::Duration;
        use std::collections::BTreeMap;
        use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
        use std::time::Instant;

        /// The waits, by deadline then by a unique number.
        #[derive(Default)]
        struct Timers {
            pending: BTreeMap<(Instant, u64), Waker>,
            next_id: u64,
            /// Whether the thread runs (or failed to start: then waits
            /// fall back to polling, never to panicking).
            started: bool,
        }

        struct Timer {
            timers: Mutex<Timers>,
            changed: Condvar,
        }

        fn timer() -> &'static Timer {
            static TIMER: OnceLock<Timer> = OnceLock::new();
            TIMER.get_or_init(|| Timer {
                timers: Mutex::new(Timers::default()),
                changed: Condvar::new(),
            })
        }

        fn lock(timer: &Timer) -> MutexGuard<'_, Timers> {
            timer.timers.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// The timer thread: wakes every wait whose deadline passed, then
        /// sleeps until the next deadline or a new earlier one.
        fn run(timer: &'static Timer) {
            let mut timers = lock(timer);
            loop {
                let now = Instant::now();
                while let Some(entry) = timers.pending.first_entry() {
                    if entry.key().0 > now {
                        break;
                    }
                    entry.remove().wake();
                }
                timers = match timers.pending.keys().next() {
                    Some(&(deadline, _)) => {
                        let wait = deadline.saturating_duration_since(now);
                        timer
                            .changed
                            .wait_timeout(timers, wait)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0
                    }
                    None => timer
                        .changed
                        .wait(timers)
                        .unwrap_or_else(PoisonError::into_inner),
                };
            }
        }

        /// How many waits the timer holds now.
        pub(crate) fn pending() -> usize {
            lock(timer()).pending.len()
        }

        pub(super) struct ThreadSleep {
            deadline: Option<Instant>,
            /// The key of this wait's entry while it has one.
            key: Option<(Instant, u64)>,
            duration: Duration,
        }

        pub(super) fn sleep(duration: Duration) -> ThreadSleep {
            ThreadSleep {
                deadline: None,
                key: None,
                duration,
            }
        }

        impl Future for ThreadSleep {
            type Output = ();
            fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                let now = Instant::now();
                let duration = self.duration;
                // The wait counts from its first poll; a deadline past
                // `Instant`'s range is as late as it goes.
                let deadline = *self.deadline.get_or_insert_with(|| {
                    now.checked_add(duration).unwrap_or_else(|| {
                        let (mut at, mut step) = (now, duration);
                        while !step.is_zero() {
                            match at.checked_add(step) {
                                Some(later) => at = later,
                                None => step /= 2,
                            }
                        }
                        at
                    })
                });
                let timer = timer();
                let mut timers = lock(timer);
                if let Some(key) = self.key.take() {
                    timers.pending.remove(&key);
                }
                if now >= deadline {
                    return Poll::Ready(());
                }
                let id = timers.next_id;
                timers.next_id = id.wrapping_add(1);
                let earliest = timers
                    .pending
                    .keys()
                    .next()
                    .is_none_or(|&(first, _)| deadline < first);
                timers.pending.insert((deadline, id), cx.waker().clone());
                self.key = Some((deadline, id));
                if !timers.started {
                    timers.started = true;
                    let spawned = std::thread::Builder::new()
                        .name("apifault-timer".into())
                        .spawn(move || run(timer));
                    if spawned.is_err() {
                        // No thread to wake us: ask to be polled again.
                        timers.started = false;
                        drop(timers);
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                } else if earliest {
                    timer.changed.notify_one();
                }
                Poll::Pending
            }
        }

        impl Drop for ThreadSleep {
            fn drop(&mut self) {
                if let Some(key) = self.key.take() {
                    lock(timer()).pending.remove(&key);
                }
            }
        }
    }
}
