//! [`RetryPolicy`]: how often and how long to retry, and what to tell the
//! caller's hooks. The engine that applies it is in `engine.rs`.

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use crate::budget::RetryBudget;
use crate::clock::Clock;
use crate::error::{ApiError, Retry};

/// How a backoff delay is randomised, so that clients that failed together do
/// not retry together. `d` is the exponential delay for this retry (already
/// capped by `max_delay`), `base` the policy's first delay, and `prev` the
/// delay this call waited last.
///
/// Jitter never applies to a server's hint, neither adding to it nor taking
/// from it: a [`Retry::After`] wait is exactly the hint, so that the number
/// of retries a deadline allows does not depend on chance. (A
/// [`Retry::Backoff`] error carrying a hint waits the longer of the jittered
/// backoff delay and the hint; the crate docs say the same.)
///
/// ```
/// use apifault::{Jitter, RetryPolicy};
/// use std::time::Duration;
///
/// let policy = RetryPolicy::exponential(Duration::from_secs(1)).jitter(Jitter::Equal);
/// # let _ = policy;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Jitter {
    /// Exactly `d`.
    None,
    /// Uniform in `[0, d]` ("full jitter"): the least contention, but a
    /// wait may be very short.
    #[default]
    Full,
    /// Uniform in `[d/2, d]` ("equal jitter"): at least half the delay.
    Equal,
    /// Uniform in `[base, 3 * prev]`, capped by `max_delay` ("decorrelated
    /// jitter"): grows from the last wait rather than the attempt number.
    Decorrelated,
}

/// The inputs of one jitter draw: [`Jitter::apply`]'s named arguments.
///
/// ```
/// use apifault::JitterStep;
/// use std::time::Duration;
///
/// let step = JitterStep {
///     delay: Duration::from_secs(8),
///     base: Duration::from_secs(1),
///     previous: Duration::from_secs(4),
///     max_delay: Duration::from_secs(60),
/// };
/// assert_eq!(apifault::Jitter::None.apply(step, 0.7), step.delay);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JitterStep {
    /// The backoff delay for this retry, already capped by `max_delay`.
    pub delay: Duration,
    /// The policy's first delay: the floor of [`Jitter::Decorrelated`].
    pub base: Duration,
    /// The delay this call waited last (for [`Jitter::Decorrelated`]).
    pub previous: Duration,
    /// The policy's cap on a backoff delay.
    pub max_delay: Duration,
}

impl Jitter {
    /// The wait for a backoff `step`, given a uniform random `unit` in
    /// `[0, 1)`. Public so that users can see (and test) the formulas.
    ///
    /// Total: it never panics, whatever the durations (`Duration::MAX`
    /// included) and whatever `unit` (clamped to `[0, 1]`; NaN and
    /// infinities read as 0). A wait never exceeds `step.delay` (`Full`,
    /// `Equal`) or `max(max_delay, base)` (`Decorrelated`).
    ///
    /// ```
    /// use apifault::{Jitter, JitterStep};
    /// use std::time::Duration;
    ///
    /// let step = JitterStep {
    ///     delay: Duration::from_secs(8),
    ///     base: Duration::from_secs(1),
    ///     previous: Duration::from_secs(4),
    ///     max_delay: Duration::from_secs(60),
    /// };
    /// assert_eq!(Jitter::None.apply(step, 0.3), step.delay);
    /// assert_eq!(Jitter::Full.apply(step, 0.5), Duration::from_secs(4));
    /// assert_eq!(Jitter::Equal.apply(step, 0.5), Duration::from_secs(6));
    /// assert_eq!(Jitter::Decorrelated.apply(step, 0.0), step.base);
    /// ```
    #[must_use]
    pub fn apply(self, step: JitterStep, unit: f64) -> Duration {
        let JitterStep {
            delay: d,
            base,
            previous: prev,
            max_delay,
        } = step;
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match self {
            Jitter::None => d,
            Jitter::Full => scale(d, unit),
            Jitter::Equal => {
                let half = d / 2;
                half.saturating_add(scale(d - half, unit))
            }
            Jitter::Decorrelated => {
                let high = prev.max(base).saturating_mul(3);
                let span = high.saturating_sub(base);
                base.saturating_add(scale(span, unit))
                    .min(max_delay.max(base))
            }
        }
    }
}

/// `d * unit` for `unit` in `[0, 1]`, never above `d`. `Duration::mul_f64`
/// panics where the product rounds past `Duration::MAX` (`Duration::MAX *
/// 1.0` does, through `f64`); this saturates at `d` instead.
fn scale(d: Duration, unit: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() * unit).map_or(d, |scaled| scaled.min(d))
}

/// Why the engine stopped trying.
///
/// ```
/// use apifault::{ApiError, ManualClock, RetryPolicy, StopReason};
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 422)]
///     Invalid,
/// }
///
/// let policy = RetryPolicy::default().clock(ManualClock::new());
/// let (_, report) = apifault::retry_blocking_with_report(&policy, || Err::<(), _>(E::Invalid));
/// assert_eq!(report.stop, StopReason::NotRetryable);
/// assert_eq!(report.stop.to_string(), "the error is not retryable");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopReason {
    /// An attempt succeeded.
    Succeeded,
    /// The error said [`Retry::Never`].
    NotRetryable,
    /// The call is not idempotent and the error was not
    /// [`safe_to_resend`](ApiError::safe_to_resend).
    NotSafeToResend,
    /// `max_retries` retries were made after failures.
    MaxRetries,
    /// `max_server_waits` waits the server asked for were made (a rate
    /// limit that keeps answering 429).
    MaxServerWaits,
    /// `max_elapsed` was reached: the next wait would have crossed it, or
    /// an async retry still running when it passed was cut (the call then
    /// returns the error before it).
    MaxElapsed,
    /// The server asked for a wait longer than `max_server_wait`.
    ServerWaitTooLong {
        /// What the server asked for.
        asked: Duration,
    },
    /// The shared [`RetryBudget`] had no retry left.
    BudgetExhausted,
}

impl StopReason {
    /// Whether the engine gave up on an error that it would otherwise have
    /// retried (a limit was reached), as opposed to succeeding or stopping
    /// on an error that must not be retried.
    ///
    /// ```
    /// use apifault::StopReason;
    /// assert!(StopReason::MaxRetries.exhausted());
    /// assert!(!StopReason::NotRetryable.exhausted());
    /// ```
    #[must_use]
    pub fn exhausted(self) -> bool {
        !matches!(
            self,
            StopReason::Succeeded | StopReason::NotRetryable | StopReason::NotSafeToResend
        )
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Succeeded => f.write_str("succeeded"),
            StopReason::NotRetryable => f.write_str("the error is not retryable"),
            StopReason::NotSafeToResend => {
                f.write_str("the call is not idempotent and the server may have applied it")
            }
            StopReason::MaxRetries => f.write_str("max_retries reached"),
            StopReason::MaxServerWaits => f.write_str("max_server_waits reached"),
            StopReason::MaxElapsed => f.write_str("max_elapsed reached"),
            StopReason::ServerWaitTooLong { asked } => {
                write!(
                    f,
                    "the server asked to wait {asked:?}, over max_server_wait"
                )
            }
            StopReason::BudgetExhausted => f.write_str("the retry budget is spent"),
        }
    }
}

/// What [`RetryPolicy::on_retry`] hooks see before each wait.
///
/// ```
/// use apifault::RetryPolicy;
/// let policy = RetryPolicy::default().on_retry(|event| {
///     println!("attempt {} failed with {:?}; next in {:?} ({})", event.attempt, event.error.status(), event.delay, event.reason);
/// });
/// # let _ = policy;
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct RetryEvent<'a> {
    /// The attempt that just failed (1 for the first call).
    pub attempt: u32,
    /// How long the engine will wait before the next attempt.
    pub delay: Duration,
    /// Why it waits: [`Retry::After`] when the delay is the server's hint,
    /// [`Retry::Backoff`] otherwise.
    pub reason: Retry,
    /// The error of the failed attempt.
    pub error: &'a dyn ApiError,
    /// Time since the call began (see [`RetryReport::elapsed`](crate::RetryReport::elapsed)
    /// for a policy without `max_elapsed`).
    pub elapsed: Duration,
}

/// What [`RetryPolicy::on_give_up`] hooks see when the engine stops on an
/// error.
///
/// ```
/// use apifault::RetryPolicy;
/// let policy = RetryPolicy::default().on_give_up(|event| {
///     if event.reason.exhausted() {
///         eprintln!("gave up after {} attempts and {:?} of waits", event.attempts, event.waited);
///     }
/// });
/// # let _ = policy;
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct GiveUpEvent<'a> {
    /// Attempts made, the last one included.
    pub attempts: u32,
    /// Why the engine stopped.
    pub reason: StopReason,
    /// The last error, which the call returns.
    pub error: &'a dyn ApiError,
    /// Time since the call began.
    pub elapsed: Duration,
    /// Total time spent waiting between attempts.
    pub waited: Duration,
}

impl fmt::Debug for RetryEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryEvent")
            .field("attempt", &self.attempt)
            .field("delay", &self.delay)
            .field("reason", &self.reason)
            .field("status", &self.error.status())
            .field("elapsed", &self.elapsed)
            .finish()
    }
}

impl fmt::Debug for GiveUpEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GiveUpEvent")
            .field("attempts", &self.attempts)
            .field("reason", &self.reason)
            .field("status", &self.error.status())
            .field("elapsed", &self.elapsed)
            .field("waited", &self.waited)
            .finish()
    }
}

type RetryHook = Arc<dyn Fn(&RetryEvent<'_>) + Send + Sync>;
/// Makes a sequence of backoff steps (see [`RetryPolicy::backoff_with`]).
type StepsFactory = Arc<dyn Fn() -> Box<dyn Iterator<Item = Duration>> + Send + Sync>;

/// Where a policy's backoff steps come from: a sequence of delays, one per
/// retry after a failure.
#[derive(Clone)]
pub(crate) enum Schedule {
    /// `base * factor^(n - 1)`.
    Exponential,
    /// A written schedule; the last step repeats. Empty: no step at all.
    Delays(Arc<[Duration]>),
    /// A fresh iterator per call; its end stops the retries.
    Iter(StepsFactory),
}
type GiveUpHook = Arc<dyn Fn(&GiveUpEvent<'_>) + Send + Sync>;

/// How to retry: exponential backoff with jitter, bounded by a number of
/// retries and a total time, waiting exactly what the server asked when it
/// asked, within a cap.
///
/// Cheap to clone (hooks, budget and clock are shared), `Send + Sync`.
/// Building one allocates only for hooks, a budget or a clock.
///
/// ```
/// use apifault::{Jitter, RetryBudget, RetryPolicy};
/// use std::time::Duration;
///
/// let policy = RetryPolicy::exponential(Duration::from_secs(2)) // 2s, 4s, 8s, …
///     .factor(2.0)
///     .max_delay(Duration::from_secs(60))
///     .max_retries(4)
///     .max_elapsed(Duration::from_secs(120))
///     .jitter(Jitter::Full)
///     .max_server_wait(Duration::from_secs(300))
///     .budget(RetryBudget::new(0.1, 1))
///     .on_retry(|e| eprintln!("retry {} in {:?}", e.attempt, e.delay));
/// assert_eq!(policy.backoff(3), Duration::from_secs(8));
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    pub(crate) base: Duration,
    pub(crate) factor: f64,
    /// `factor` when it is a whole number that fits a `u32`, else 0.
    pub(crate) whole_factor: u32,
    pub(crate) max_delay: Duration,
    pub(crate) schedule: Schedule,
    pub(crate) max_retries: u32,
    pub(crate) max_elapsed: Option<Duration>,
    pub(crate) jitter: Jitter,
    pub(crate) max_server_wait: Duration,
    pub(crate) max_server_waits: u32,
    pub(crate) idempotent: bool,
    pub(crate) budget: Option<RetryBudget>,
    pub(crate) on_retry: Option<RetryHook>,
    pub(crate) on_give_up: Option<GiveUpHook>,
    pub(crate) clock: Option<Arc<dyn Clock>>,
}

impl Default for RetryPolicy {
    /// Sensible for a public API: 3 retries after failures, exponential
    /// from 1 s (factor 2, capped at 30 s) with full jitter, at most 60 s
    /// for the whole call, a server hint honoured up to 60 s and up to 10
    /// times, the call taken as idempotent, no budget and no hooks.
    ///
    /// ```
    /// use apifault::RetryPolicy;
    /// use std::time::Duration;
    /// let policy = RetryPolicy::default();
    /// assert_eq!(policy.backoff(1), Duration::from_secs(1));
    /// assert_eq!(policy.backoff(3), Duration::from_secs(4));
    /// assert_eq!(policy.backoff(10), Duration::from_secs(30));
    /// ```
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(1),
            factor: 2.0,
            whole_factor: 2,
            max_delay: Duration::from_secs(30),
            schedule: Schedule::Exponential,
            max_retries: 3,
            max_elapsed: Some(Duration::from_secs(60)),
            jitter: Jitter::Full,
            max_server_wait: Duration::from_secs(60),
            max_server_waits: 10,
            idempotent: true,
            budget: None,
            on_retry: None,
            on_give_up: None,
            clock: None,
        }
    }
}

impl RetryPolicy {
    /// The default policy with its first backoff delay set to `base`.
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// # use std::time::Duration;
    /// let policy = RetryPolicy::exponential(Duration::from_secs(2));
    /// assert_eq!(policy.backoff(2), Duration::from_secs(4));
    /// ```
    #[must_use]
    pub fn exponential(base: Duration) -> Self {
        RetryPolicy {
            base,
            ..Self::default()
        }
    }

    /// No retries at all: one attempt, whatever the error.
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// assert_eq!(RetryPolicy::never().retries(), 0);
    /// assert_eq!(RetryPolicy::never().server_waits(), 0);
    /// ```
    #[must_use]
    pub fn never() -> Self {
        RetryPolicy {
            max_retries: 0,
            max_server_waits: 0,
            ..Self::default()
        }
    }

    /// A vendor's exact schedule, written as documented: the backoff before
    /// the first retry after a failure is `delays[0]`, before the second
    /// `delays[1]`, and so on; **the last delay repeats** for any later
    /// retry. Everything else is the [default](Self::default) policy
    /// (3 retries, `max_elapsed` 60 s, server hints honoured), except that
    /// the delays are waited exactly: no jitter (add it back with
    /// [`jitter`](Self::jitter)) and no `max_delay` cap (set one with
    /// [`max_delay`](Self::max_delay)). [`max_retries`](Self::max_retries)
    /// still bounds the number of retries; it does not grow with the list.
    ///
    /// An empty list is a schedule with no step: a failure that backs off
    /// is not retried ([`StopReason::MaxRetries`]), while a wait the server
    /// asked for (a 429 with its reset) still is.
    ///
    /// ```
    /// use apifault::RetryPolicy;
    /// use std::time::Duration;
    ///
    /// let s = Duration::from_secs;
    /// // "a 1st retry 2 seconds after, a 2nd 4 seconds after, a 3rd 16 seconds after"
    /// let policy = RetryPolicy::delays([s(2), s(4), s(16)]).max_retries(5);
    /// let steps: Vec<_> = (1..=5).map(|n| policy.backoff(n)).collect();
    /// assert_eq!(steps, [s(2), s(4), s(16), s(16), s(16)]);
    /// ```
    #[must_use]
    pub fn delays(delays: impl IntoIterator<Item = Duration>) -> Self {
        let delays: Arc<[Duration]> = delays.into_iter().collect();
        RetryPolicy {
            base: delays.first().copied().unwrap_or(Duration::ZERO),
            max_delay: Duration::MAX,
            jitter: Jitter::None,
            schedule: Schedule::Delays(delays),
            ..Self::default()
        }
    }

    /// Any sequence of delays as the backoff: `steps` makes a fresh
    /// iterator for each call (a policy is shared by many calls at once,
    /// and each needs its own sequence), and its `n`th item is the backoff
    /// before the `n`th retry after a failure. When the iterator ends, the
    /// call gives up as at `max_retries` ([`StopReason::MaxRetries`]).
    /// Backon's builders (`ExponentialBuilder::default().build()`, …) are
    /// such iterators.
    ///
    /// The iterator is made on a call's failures, not before: a call whose
    /// first attempt succeeds pays nothing. (The engine makes a fresh one
    /// at each failure and takes its `n`th item, so a call keeps no
    /// iterator between attempts; `steps` should give the same sequence
    /// each time, up to its own randomness.) As with
    /// [`delays`](Self::delays), the steps are waited exactly (no jitter,
    /// no `max_delay` cap unless set), and the default policy's other
    /// bounds apply ([`max_retries`](Self::max_retries) 3, `max_elapsed`
    /// 60 s).
    ///
    /// ```
    /// use apifault::RetryPolicy;
    /// use std::time::Duration;
    ///
    /// // 100 ms, 200 ms, 300 ms, … (linear), at most 5 retries.
    /// let policy = RetryPolicy::backoff_with(|| (1..).map(|n| Duration::from_millis(100 * n)))
    ///     .max_retries(5);
    /// assert_eq!(policy.backoff(3), Duration::from_millis(300));
    /// ```
    #[must_use]
    pub fn backoff_with<I>(steps: impl Fn() -> I + Send + Sync + 'static) -> Self
    where
        I: IntoIterator<Item = Duration>,
        I::IntoIter: 'static,
    {
        RetryPolicy {
            base: Duration::ZERO,
            max_delay: Duration::MAX,
            jitter: Jitter::None,
            schedule: Schedule::Iter(Arc::new(move || Box::new(steps().into_iter()))),
            ..Self::default()
        }
    }

    /// Sets the first backoff delay (default 1 s). It shapes the
    /// exponential schedule only (and is the floor of
    /// [`Jitter::Decorrelated`]); a policy made by [`delays`](Self::delays)
    /// or [`backoff_with`](Self::backoff_with) keeps its steps.
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// # use std::time::Duration;
    /// let policy = RetryPolicy::default().base(Duration::from_millis(250));
    /// assert_eq!(policy.backoff(3), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn base(mut self, base: Duration) -> Self {
        self.base = base;
        self
    }

    /// Multiplies the delay by `factor` after each retry (default 2; values
    /// below 1, NaN or infinite are read as 1). Exponential schedules only,
    /// as for [`base`](Self::base).
    ///
    /// ```
    /// # use apifault::{Jitter, RetryPolicy};
    /// # use std::time::Duration;
    /// let policy = RetryPolicy::exponential(Duration::from_secs(1)).factor(3.0);
    /// assert_eq!(policy.backoff(3), Duration::from_secs(9));
    /// ```
    #[must_use]
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = if factor.is_finite() && factor >= 1.0 {
            factor
        } else {
            1.0
        };
        self.whole_factor = if self.factor.fract() == 0.0 && self.factor <= f64::from(u32::MAX) {
            self.factor as u32
        } else {
            0
        };
        self
    }

    /// Caps every backoff delay (not a server's hint; see
    /// [`max_server_wait`](Self::max_server_wait)). Default 30 s.
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// # use std::time::Duration;
    /// let policy = RetryPolicy::exponential(Duration::from_secs(1)).max_delay(Duration::from_secs(5));
    /// assert_eq!(policy.backoff(4), Duration::from_secs(5));
    /// ```
    #[must_use]
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// At most `retries` retries after failures: errors that back off
    /// (a 5xx, a transport error, a 429 without a hint). Default 3.
    ///
    /// Waits the server asked for (a [`Retry::After`] error with its hint,
    /// such as a 429 with `Retry-After` or a rate-limit reset) do not count
    /// here: a rate limit is not a failure. They are bounded by
    /// [`max_server_waits`](Self::max_server_waits), and
    /// [`max_elapsed`](Self::max_elapsed) bounds both. A call whose errors
    /// are all failures makes at most `retries + 1` attempts.
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// assert_eq!(RetryPolicy::default().max_retries(5).retries(), 5);
    /// ```
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Bounds the whole call, attempts and waits included (backoff waits
    /// and the server's waits alike). Default 60 s.
    ///
    /// - A wait that would end past the deadline gives up instead.
    /// - No attempt starts after it.
    /// - An async retry (with [`retry`](crate::retry()),
    ///   [`retry_with_report`](crate::retry_with_report), the
    ///   [`retry`](macro@crate::retry) attribute on an `async fn`, or the
    ///   tower layer) still running when the deadline passes is cut: its
    ///   future is dropped, and the call returns the error of the attempt
    ///   before it, with [`StopReason::MaxElapsed`]. An attempt that ends
    ///   exactly at the deadline counts.
    /// - A first attempt is never cut: with nothing to return in its place,
    ///   it runs to its end (give the HTTP client its own timeout for that).
    ///   Blocking attempts cannot be cut either; the deadline is checked
    ///   when they end.
    ///
    /// ```
    /// use apifault::{ApiError, Jitter, RetryPolicy, StopReason};
    /// use std::time::Duration;
    ///
    /// #[derive(Debug, PartialEq, ApiError)]
    /// enum E {
    ///     #[api(status = 503)]
    ///     Unavailable(u32),
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let policy = RetryPolicy::exponential(Duration::from_millis(100))
    ///     .jitter(Jitter::None)
    ///     .max_elapsed(Duration::from_secs(1));
    /// let mut calls = 0;
    /// let started = tokio::time::Instant::now();
    /// let (result, report) = apifault::retry_with_report(&policy, || {
    ///     calls += 1;
    ///     let n = calls;
    ///     async move {
    ///         // Attempts of 600 ms: the second runs from 700 ms and is cut at 1 s.
    ///         tokio::time::sleep(Duration::from_millis(600)).await;
    ///         Err::<(), _>(E::Unavailable(n))
    ///     }
    /// })
    /// .await;
    /// assert_eq!(result, Err(E::Unavailable(1)));
    /// assert_eq!(report.stop, StopReason::MaxElapsed);
    /// assert_eq!(started.elapsed(), Duration::from_secs(1));
    /// # }
    /// ```
    #[must_use]
    pub fn max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = Some(max_elapsed);
        self
    }

    /// Removes the bound on the whole call's time.
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// let policy = RetryPolicy::default().no_max_elapsed();
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub fn no_max_elapsed(mut self) -> Self {
        self.max_elapsed = None;
        self
    }

    /// How backoff delays are randomised. Default [`Jitter::Full`].
    ///
    /// ```
    /// # use apifault::{Jitter, RetryPolicy};
    /// let policy = RetryPolicy::default().jitter(Jitter::None);
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The longest server hint (`Retry-After`, …) the engine waits out; a
    /// longer one gives up at once rather than retrying early. Default 60 s.
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// # use std::time::Duration;
    /// let policy = RetryPolicy::default().max_server_wait(Duration::from_secs(300));
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub fn max_server_wait(mut self, max_server_wait: Duration) -> Self {
        self.max_server_wait = max_server_wait;
        self
    }

    /// At most `waits` retries after waiting what the server asked for: a
    /// [`Retry::After`] error that carries its hint (a 429 with
    /// `Retry-After`, `Ratelimit-Reset`, …). Then the engine gives up with
    /// [`StopReason::MaxServerWaits`]. Default 10.
    ///
    /// These waits are counted apart from [`max_retries`](Self::max_retries),
    /// which bounds failures: an API that says "retry a 429 after its reset;
    /// back off on a 5xx, four retries" means four retries for the 5xx
    /// whatever number of rate limits were waited out in between. The
    /// bound is here so that a server that keeps rate-limiting cannot hold
    /// a call forever when there is no [`max_elapsed`](Self::max_elapsed);
    /// with one, that usually ends the call first. A `Retry::Backoff` error
    /// whose hint is longer than its backoff step (a 503 with
    /// `Retry-After`) waits the hint but is a failure, counted by
    /// `max_retries`.
    ///
    /// ```
    /// use apifault::{ApiError, ManualClock, RetryPolicy, StopReason};
    /// use std::time::Duration;
    ///
    /// #[derive(Debug, ApiError)]
    /// #[api(retry_after = "Ratelimit-Reset")]
    /// enum E {
    ///     #[api(status = 429)]
    ///     RateLimited { #[api(retry_after)] wait: Option<Duration> },
    ///     #[api(status = 500)]
    ///     Internal,
    /// }
    ///
    /// let policy = RetryPolicy::exponential(Duration::from_secs(2))
    ///     .max_retries(1)
    ///     .max_server_wait(Duration::from_secs(300))
    ///     .max_server_waits(2)
    ///     .no_max_elapsed()
    ///     .clock(ManualClock::new());
    /// let mut answers = vec![
    ///     E::RateLimited { wait: Some(Duration::from_secs(200)) },
    ///     E::Internal,
    ///     E::RateLimited { wait: Some(Duration::from_secs(200)) },
    ///     E::RateLimited { wait: Some(Duration::from_secs(200)) },
    /// ]
    /// .into_iter();
    /// let (result, report) = apifault::retry_blocking_with_report(&policy, || answers.next().map_or(Ok(()), Err));
    /// // Two 429s waited, one 500 backed off, then a third 429 is one too many.
    /// assert!(result.is_err());
    /// assert_eq!((report.attempts, report.stop), (4, StopReason::MaxServerWaits));
    /// assert_eq!(policy.server_waits(), 2);
    /// ```
    #[must_use]
    pub fn max_server_waits(mut self, waits: u32) -> Self {
        self.max_server_waits = waits;
        self
    }

    /// Whether the call may be sent twice without harm (default `true`).
    /// With `false`, only errors that are
    /// [`safe_to_resend`](ApiError::safe_to_resend) are retried.
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// let create = RetryPolicy::default().idempotent(false);
    /// # let _ = create;
    /// ```
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Shares a [`RetryBudget`] with other policies and calls.
    ///
    /// ```
    /// # use apifault::{RetryBudget, RetryPolicy};
    /// let policy = RetryPolicy::default().budget(RetryBudget::new(0.1, 1));
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Called before every wait.
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// let policy = RetryPolicy::default().on_retry(|e| {
    ///     eprintln!("attempt {} failed ({:?}), waiting {:?}", e.attempt, e.error.status(), e.delay)
    /// });
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub fn on_retry(mut self, hook: impl Fn(&RetryEvent<'_>) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Arc::new(hook));
        self
    }

    /// Called when the engine stops on an error (not on success).
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// let policy = RetryPolicy::default().on_give_up(|e| {
    ///     eprintln!("gave up after {} attempts: {}", e.attempts, e.reason)
    /// });
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub fn on_give_up(mut self, hook: impl Fn(&GiveUpEvent<'_>) + Send + Sync + 'static) -> Self {
        self.on_give_up = Some(Arc::new(hook));
        self
    }

    /// Reads time and waits with `clock` instead of the default clock.
    ///
    /// ```
    /// # use apifault::{ManualClock, RetryPolicy};
    /// let policy = RetryPolicy::default().clock(ManualClock::new());
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The most retries this policy makes after failures (see
    /// [`max_retries`](Self::max_retries)).
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// assert_eq!(RetryPolicy::default().retries(), 3);
    /// ```
    #[must_use]
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    /// The most retries this policy makes after waits the server asked for.
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// assert_eq!(RetryPolicy::default().server_waits(), 10);
    /// ```
    #[must_use]
    pub fn server_waits(&self) -> u32 {
        self.max_server_waits
    }

    /// The backoff delay before retry number `retry` (1 for the first
    /// retry after a failure: waits the server asked for do not count),
    /// before jitter, capped by `max_delay`: `base * factor^(retry - 1)`
    /// for an exponential policy, the `retry`th delay (or the last) for
    /// [`delays`](Self::delays), the `retry`th item of a fresh iterator for
    /// [`backoff_with`](Self::backoff_with) (zero where it has ended or a
    /// list is empty: the engine gives up there instead).
    ///
    /// ```
    /// # use apifault::RetryPolicy;
    /// # use std::time::Duration;
    /// let policy = RetryPolicy::exponential(Duration::from_secs(2)).max_delay(Duration::from_secs(60));
    /// let delays: Vec<_> = (1..=6).map(|n| policy.backoff(n).as_secs()).collect();
    /// assert_eq!(delays, [2, 4, 8, 16, 32, 60]);
    /// ```
    #[must_use]
    pub fn backoff(&self, retry: u32) -> Duration {
        let index = retry.saturating_sub(1);
        match &self.schedule {
            Schedule::Exponential => self.exponential_step(index),
            Schedule::Delays(delays) => {
                delay_at(delays, index).map_or(Duration::ZERO, |d| d.min(self.max_delay))
            }
            Schedule::Iter(steps) => steps()
                .nth(index as usize)
                .map_or(Duration::ZERO, |d| d.min(self.max_delay)),
        }
    }

    /// `base * factor^index`, capped by `max_delay`.
    #[inline]
    pub(crate) fn exponential_step(&self, index: u32) -> Duration {
        if self.base.is_zero() {
            return Duration::ZERO;
        }
        // A whole factor (the default 2) in integers: no float on the
        // failure path, and exact.
        if self.whole_factor != 0 {
            let step = self
                .whole_factor
                .checked_pow(index)
                .and_then(|scale| self.base.checked_mul(scale));
            return step.map_or(self.max_delay, |d| d.min(self.max_delay));
        }
        let exponent = index.min(i32::MAX as u32) as i32;
        let scale = self.factor.powi(exponent);
        let secs = self.base.as_secs_f64() * scale;
        if !secs.is_finite() || secs >= self.max_delay.as_secs_f64() {
            return self.max_delay;
        }
        Duration::try_from_secs_f64(secs).map_or(self.max_delay, |d| d.min(self.max_delay))
    }
}

/// The `index`th delay of a written schedule, the last one repeating.
pub(crate) fn delay_at(delays: &[Duration], index: u32) -> Option<Duration> {
    delays.get(index as usize).or(delays.last()).copied()
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Exponential => f.write_str("Exponential"),
            Schedule::Delays(delays) => f.debug_tuple("Delays").field(delays).finish(),
            Schedule::Iter(_) => f.write_str("Iter(..)"),
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("base", &self.base)
            .field("factor", &self.factor)
            .field("max_delay", &self.max_delay)
            .field("schedule", &self.schedule)
            .field("max_retries", &self.max_retries)
            .field("max_elapsed", &self.max_elapsed)
            .field("jitter", &self.jitter)
            .field("max_server_wait", &self.max_server_wait)
            .field("max_server_waits", &self.max_server_waits)
            .field("idempotent", &self.idempotent)
            .field("budget", &self.budget)
            .field("on_retry", &self.on_retry.is_some())
            .field("on_give_up", &self.on_give_up.is_some())
            .field("clock", &self.clock)
            .finish()
    }
}
