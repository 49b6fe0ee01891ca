//! The retry engine: [`retry`], [`retry_blocking`] and their `_with_report`
//! forms, all driven by one non-generic state machine ([`Attempts`]) that
//! `#[apifault::retry]` uses too.

use core::future::Future;
use core::ops::ControlFlow;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::time::Instant;

use crate::clock::default as default_clock;
use crate::error::{ApiError, Retry};
use crate::policy::{GiveUpEvent, RetryEvent, RetryPolicy, StopReason};

/// What happened during one retried call.
///
/// ```
/// use apifault::{ApiError, ManualClock, RetryPolicy, StopReason};
/// use std::time::Duration;
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 503)]
///     Unavailable,
/// }
///
/// let policy = RetryPolicy::exponential(Duration::from_secs(1))
///     .jitter(apifault::Jitter::None)
///     .clock(ManualClock::new());
/// let mut failures = 2;
/// let (result, report) = apifault::retry_blocking_with_report(&policy, || {
///     if failures > 0 { failures -= 1; Err(E::Unavailable) } else { Ok("done") }
/// });
/// assert_eq!(result.unwrap(), "done");
/// assert_eq!(report.attempts, 3);
/// assert_eq!(report.waited, Duration::from_secs(3));
/// assert_eq!(report.stop, StopReason::Succeeded);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryReport {
    /// Attempts made, the last one included.
    pub attempts: u32,
    /// Total time spent waiting between attempts.
    pub waited: Duration,
    /// Time from the start of the call to its end. Only a policy that needs
    /// the time reads the clock: one with `max_elapsed` (the default has
    /// one), a budget, or hooks. Without any of them no clock is read at all
    /// and this is zero; with only hooks it counts from the first failure.
    pub elapsed: Duration,
    /// Why the engine stopped.
    pub stop: StopReason,
}

/// Calls `op` until it succeeds or the policy says stop, waiting between
/// attempts as the error and the policy say. Returns the last result: on
/// failure, the last real error, not a wrapper.
///
/// Dropping the returned future cancels the attempt in flight and every
/// later one; nothing runs in the background.
///
/// ```
/// use apifault::{ApiError, RetryPolicy};
/// use std::time::Duration;
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 429)]
///     RateLimited { #[api(retry_after)] wait: Option<Duration> },
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut calls = 0;
/// let result = apifault::retry(&RetryPolicy::default(), || {
///     calls += 1;
///     let outcome = if calls < 3 { Err(E::RateLimited { wait: Some(Duration::from_secs(7)) }) } else { Ok(calls) };
///     async move { outcome }
/// })
/// .await;
/// assert_eq!(result.unwrap(), 3);
/// # }
/// ```
pub async fn retry<T, E, F, Fut>(policy: &RetryPolicy, op: F) -> Result<T, E>
where
    E: ApiError,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    retry_with_report(policy, op).await.0
}

/// [`retry`], also returning what happened: attempts, time waited, and why
/// it stopped.
///
/// ```
/// use apifault::{ApiError, RetryPolicy, StopReason};
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 404)]
///     NotFound,
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let (result, report) =
///     apifault::retry_with_report(&RetryPolicy::default(), || async { Err::<(), _>(E::NotFound) }).await;
/// assert!(matches!(result, Err(E::NotFound)));
/// assert_eq!((report.attempts, report.stop), (1, StopReason::NotRetryable));
/// # }
/// ```
pub async fn retry_with_report<T, E, F, Fut>(
    policy: &RetryPolicy,
    mut op: F,
) -> (Result<T, E>, RetryReport)
where
    E: ApiError,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempts = Attempts::start(policy, None, true);
    let mut previous = None;
    loop {
        // No attempt starts past the deadline: `op` is not even called. A
        // first attempt is never cut.
        let result = match attempts.expired(&mut previous) {
            Some(previous) => previous,
            // A first attempt, or any without a deadline, is never cut.
            None if previous.is_none() || attempts.deadline().is_none() => op().await,
            None => {
                let attempt = core::pin::pin!(op());
                attempts.bounded(attempt, &mut previous).await
            }
        };
        match attempts.keep(result) {
            ControlFlow::Break(result) => return (result, attempts.report()),
            ControlFlow::Continue((delay, error)) => {
                previous = Some(error);
                attempts.wait(delay).await;
            }
        }
    }
}

/// [`retry`] for blocking code: waits block the thread (or advance a
/// [`ManualClock`](crate::ManualClock)).
///
/// ```
/// use apifault::{ApiError, ManualClock, RetryPolicy};
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 502)]
///     BadGateway,
/// }
///
/// let policy = RetryPolicy::default().clock(ManualClock::new());
/// let mut calls = 0;
/// let result = apifault::retry_blocking(&policy, || {
///     calls += 1;
///     if calls == 1 { Err(E::BadGateway) } else { Ok(calls) }
/// });
/// assert_eq!(result.unwrap(), 2);
/// ```
pub fn retry_blocking<T, E, F>(policy: &RetryPolicy, op: F) -> Result<T, E>
where
    E: ApiError,
    F: FnMut() -> Result<T, E>,
{
    retry_blocking_with_report(policy, op).0
}

/// [`retry_blocking`], also returning a [`RetryReport`].
///
/// ```
/// use apifault::{ApiError, ManualClock, RetryPolicy, StopReason};
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 500)]
///     Internal,
/// }
///
/// let policy = RetryPolicy::default().max_retries(2).clock(ManualClock::new());
/// let (result, report) = apifault::retry_blocking_with_report(&policy, || Err::<(), _>(E::Internal));
/// assert!(result.is_err());
/// assert_eq!((report.attempts, report.stop), (3, StopReason::MaxRetries));
/// ```
pub fn retry_blocking_with_report<T, E, F>(
    policy: &RetryPolicy,
    mut op: F,
) -> (Result<T, E>, RetryReport)
where
    E: ApiError,
    F: FnMut() -> Result<T, E>,
{
    let mut attempts = Attempts::start(policy, None, false);
    let mut previous = None;
    loop {
        // A blocking attempt cannot be cut, but none starts past the
        // deadline.
        let result = match attempts.expired(&mut previous) {
            Some(previous) => previous,
            None => op(),
        };
        match attempts.keep(result) {
            ControlFlow::Break(result) => return (result, attempts.report()),
            ControlFlow::Continue((delay, error)) => {
                previous = Some(error);
                attempts.wait_blocking(delay);
            }
        }
    }
}

/// One wait between attempts; see [`Attempts::wait`].
#[doc(hidden)]
#[derive(Default)]
#[must_use = "a wait does nothing unless awaited"]
pub struct Wait(Option<crate::clock::Sleep>);

impl Future for Wait {
    type Output = ();

    fn poll(
        mut self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<()> {
        match &mut self.0 {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => core::task::Poll::Ready(()),
        }
    }
}

impl core::fmt::Debug for Wait {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Wait").field(&self.0.is_some()).finish()
    }
}

/// A retry raced against the call's deadline; see [`Attempts::bounded`].
#[doc(hidden)]
#[must_use = "an attempt does nothing unless awaited"]
pub struct Bounded<'a, 'p, F: Future> {
    attempts: &'a mut Attempts<'p>,
    attempt: core::pin::Pin<&'a mut F>,
    /// The previous result, handed back if the attempt is cut.
    previous: &'a mut Option<F::Output>,
    deadline: Option<Instant>,
    /// Ends at the deadline; armed once the attempt has to wait.
    timer: Option<crate::clock::Sleep>,
    /// Whether the attempt was polled yet.
    started: bool,
}

impl<F: Future> Future for Bounded<'_, '_, F> {
    type Output = F::Output;

    fn poll(
        self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<F::Output> {
        use core::task::Poll;
        let this = self.get_mut();
        // No attempt starts after the deadline (a wait may end late).
        if !this.started {
            this.started = true;
            if let Some(deadline) = this.deadline
                && this.attempts.now() > deadline
                && let Some(previous) = this.previous.take()
            {
                this.attempts.cut = true;
                return Poll::Ready(previous);
            }
        }
        // The attempt first: one that ends right at the deadline counts.
        if let Poll::Ready(result) = this.attempt.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        let Some(deadline) = this.deadline else {
            return Poll::Pending;
        };
        let attempts = &*this.attempts;
        let timer = this.timer.get_or_insert_with(|| {
            let now = attempts.now();
            attempts.sleep(deadline.saturating_duration_since(now))
        });
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        match this.previous.take() {
            Some(previous) => {
                // The cut attempt was made: it counts.
                this.attempts.attempts = this.attempts.attempts.saturating_add(1);
                this.attempts.cut = true;
                Poll::Ready(previous)
            }
            // Nothing to return in its place: the attempt runs on.
            None => {
                this.deadline = None;
                Poll::Pending
            }
        }
    }
}

impl<F: Future> core::fmt::Debug for Bounded<'_, '_, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Bounded")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// A `Result` whose error the engine can classify.
#[diagnostic::on_unimplemented(
    message = "`#[apifault::retry]` needs a function returning `Result<_, E>` where `E: apifault::ApiError`, not `{Self}`",
    label = "this return type is not `Result<_, E>` with `E: ApiError`",
    note = "derive `apifault::ApiError` on the error enum, or implement it by hand"
)]
pub trait RetryResult {
    /// The error, if this is one.
    fn api_error(&self) -> Option<&dyn ApiError>;
}

impl<T, E: ApiError> RetryResult for Result<T, E> {
    #[inline]
    fn api_error(&self) -> Option<&dyn ApiError> {
        match self {
            Ok(_) => None,
            Err(error) => Some(error),
        }
    }
}

/// The state of one retried call. Not generic, so that its logic is compiled
/// once, whatever the operation and error types.
#[doc(hidden)]
#[derive(Debug)]
pub struct Attempts<'p> {
    policy: &'p RetryPolicy,
    idempotent: bool,
    asynchronous: bool,
    /// When the call began; read at the start only where something needs
    /// it (`max_elapsed`, a budget), else at the first failure, so that a
    /// call whose first attempt succeeds reads no clock.
    started: Option<Instant>,
    attempts: u32,
    /// Retries made after failures (`Backoff` waits, and `After` errors
    /// without a hint): what `max_retries` bounds and what the backoff
    /// step grows with.
    failures: u32,
    /// Retries made after waiting a hint the server gave on an `After`
    /// error (a 429 with its reset): what `max_server_waits` bounds.
    server_waits: u32,
    waited: Duration,
    last_delay: Duration,
    rng: u64,
    stop: StopReason,
    elapsed: Duration,
    /// The last attempt was cut at the deadline (or never started): the
    /// result handed to [`keep`](Self::keep) next is the previous one.
    cut: bool,
}

impl<'p> Attempts<'p> {
    /// Starts a call: reads the clock if the policy bounds the call's time
    /// or has a budget, and pays into the budget.
    /// `idempotent` overrides the policy's setting when given.
    #[inline]
    pub fn start(policy: &'p RetryPolicy, idempotent: Option<bool>, asynchronous: bool) -> Self {
        let mut attempts = Attempts {
            policy,
            idempotent: idempotent.unwrap_or(policy.idempotent),
            asynchronous,
            started: None,
            attempts: 0,
            failures: 0,
            server_waits: 0,
            waited: Duration::ZERO,
            last_delay: Duration::ZERO,
            rng: 0,
            stop: StopReason::Succeeded,
            elapsed: Duration::ZERO,
            cut: false,
        };
        if policy.max_elapsed.is_some() || policy.budget.is_some() {
            let now = attempts.now();
            attempts.started = Some(now);
            if let Some(budget) = &policy.budget {
                budget.deposit(now);
            }
        }
        attempts
    }

    fn now(&self) -> Instant {
        match &self.policy.clock {
            Some(clock) => clock.now(),
            None if self.asynchronous => default_clock::now_async(),
            None => default_clock::now_blocking(),
        }
    }

    /// Takes an attempt's result: `Break` hands it back to the caller (a
    /// success, or an error the policy will not retry), `Continue` says how
    /// long to wait before the next attempt.
    #[inline]
    pub fn check<R: RetryResult>(&mut self, result: R) -> ControlFlow<R, Duration> {
        self.attempts = self.attempts.saturating_add(1);
        let Some(error) = result.api_error() else {
            self.stop = StopReason::Succeeded;
            return ControlFlow::Break(result);
        };
        match self.on_error(error) {
            Some(delay) => ControlFlow::Continue(delay),
            None => ControlFlow::Break(result),
        }
    }

    /// [`check`](Self::check), handing back an error that will be
    /// retried with the wait: the caller keeps it, and if the next attempt
    /// is cut at the deadline, the call returns it. A result handed back by
    /// [`bounded`](Self::bounded) or [`expired`](Self::expired) after a cut
    /// ends the call with [`StopReason::MaxElapsed`].
    #[inline]
    pub fn keep<R: RetryResult>(&mut self, result: R) -> ControlFlow<R, (Duration, R)> {
        if self.cut {
            self.give_up_at_deadline(result.api_error());
            return ControlFlow::Break(result);
        }
        self.attempts = self.attempts.saturating_add(1);
        let Some(error) = result.api_error() else {
            self.stop = StopReason::Succeeded;
            return ControlFlow::Break(result);
        };
        match self.on_error(error) {
            Some(delay) => ControlFlow::Continue((delay, result)),
            None => ControlFlow::Break(result),
        }
    }

    /// A value of `R`'s type, for type checks in code that never runs.
    #[allow(clippy::missing_panics_doc)]
    pub fn same_type<R>(_: &R) -> R {
        unreachable!("only named in code that never runs")
    }

    /// When the call's time is up: `max_elapsed` after its start.
    fn deadline(&self) -> Option<Instant> {
        self.started?.checked_add(self.policy.max_elapsed?)
    }

    /// Before a retry: if the deadline has passed, the previous result,
    /// to hand to [`keep`](Self::keep) instead of starting an attempt.
    #[inline]
    pub fn expired<R>(&mut self, previous: &mut Option<R>) -> Option<R> {
        let deadline = self.deadline()?;
        if previous.is_some() && self.now() > deadline {
            self.cut = true;
            return previous.take();
        }
        None
    }

    /// Runs a retry (there is a `previous` result): one still running when
    /// `max_elapsed` passes is cut (dropped), and the previous result
    /// returned, for [`keep`](Self::keep) to end the call with. A first
    /// attempt (no `previous`) is never cut. The attempt is pinned by the
    /// caller, so that the retried future holds one copy of it.
    pub fn bounded<'a, F: Future>(
        &'a mut self,
        attempt: core::pin::Pin<&'a mut F>,
        previous: &'a mut Option<F::Output>,
    ) -> Bounded<'a, 'p, F> {
        let deadline = if previous.is_some() {
            self.deadline()
        } else {
            None
        };
        Bounded {
            attempts: self,
            attempt,
            previous,
            deadline,
            timer: None,
            started: false,
        }
    }

    fn give_up_at_deadline(&mut self, previous: Option<&dyn ApiError>) {
        self.cut = false;
        self.stop = StopReason::MaxElapsed;
        let now = self.now();
        self.elapsed = self.started.map_or(Duration::ZERO, |started| {
            now.saturating_duration_since(started)
        });
        if let Some(error) = previous {
            self.give_up(error, StopReason::MaxElapsed, self.elapsed);
        }
    }

    /// A wait of `duration` on the policy's clock (async).
    fn sleep(&self, duration: Duration) -> crate::clock::Sleep {
        match &self.policy.clock {
            Some(clock) => clock.sleep(duration),
            None => Box::pin(default_clock::sleep(duration)),
        }
    }

    /// What happened so far.
    pub fn report(&self) -> RetryReport {
        let elapsed = match (self.stop, self.started) {
            (StopReason::Succeeded, Some(started)) => self.now().saturating_duration_since(started),
            (StopReason::Succeeded, None) => Duration::ZERO,
            _ => self.elapsed,
        };
        RetryReport {
            attempts: self.attempts,
            waited: self.waited,
            elapsed,
            stop: self.stop,
        }
    }

    /// Whether anything the policy does needs the time: a bound on the
    /// call's time, a budget, or hooks (which are told the elapsed time).
    fn needs_clock(&self) -> bool {
        let policy = self.policy;
        policy.max_elapsed.is_some()
            || policy.budget.is_some()
            || policy.on_retry.is_some()
            || policy.on_give_up.is_some()
    }

    fn on_error(&mut self, error: &dyn ApiError) -> Option<Duration> {
        let (now, elapsed) = if self.needs_clock() {
            let now = self.now();
            let started = *self.started.get_or_insert(now);
            (Some(now), now.saturating_duration_since(started))
        } else {
            (None, Duration::ZERO)
        };
        match self.decide(error, now, elapsed) {
            Ok((delay, reason)) => {
                self.last_delay = delay;
                tracing::info!(
                    target: "apifault",
                    attempt = self.attempts,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    reason = reason.as_str(),
                    status = error.status().map_or(0, |s| s.as_u16()),
                    request_id = error.request_id(),
                    "retrying"
                );
                if let Some(hook) = &self.policy.on_retry {
                    hook(&RetryEvent {
                        attempt: self.attempts,
                        delay,
                        reason,
                        error,
                        elapsed,
                    });
                }
                Some(delay)
            }
            Err(stop) => {
                self.stop = stop;
                self.elapsed = elapsed;
                self.give_up(error, stop, elapsed);
                None
            }
        }
    }

    fn give_up(&self, error: &dyn ApiError, stop: StopReason, elapsed: Duration) {
        let status = error.status().map_or(0, |s| s.as_u16());
        if stop.exhausted() {
            tracing::warn!(
                target: "apifault",
                attempts = self.attempts,
                waited_ms = u64::try_from(self.waited.as_millis()).unwrap_or(u64::MAX),
                reason = %stop,
                status,
                request_id = error.request_id(),
                "giving up"
            );
        } else {
            tracing::debug!(
                target: "apifault",
                attempts = self.attempts,
                reason = %stop,
                status,
                request_id = error.request_id(),
                "not retrying"
            );
        }
        if let Some(hook) = &self.policy.on_give_up {
            hook(&GiveUpEvent {
                attempts: self.attempts,
                reason: stop,
                error,
                elapsed,
                waited: self.waited,
            });
        }
    }

    /// The wait before the next attempt and why, or why to stop.
    fn decide(
        &mut self,
        error: &dyn ApiError,
        now: Option<Instant>,
        elapsed: Duration,
    ) -> Result<(Duration, Retry), StopReason> {
        let policy = self.policy;
        let retry = error.retry();
        if retry == Retry::Never {
            return Err(StopReason::NotRetryable);
        }
        if !self.idempotent && !error.safe_to_resend() {
            return Err(StopReason::NotSafeToResend);
        }
        // A wait the server asked for on an `After` error (a rate limit)
        // is not a failure: it is counted and bounded apart from the
        // failures that back off, so waiting out a 429 uses up none of the
        // retries a 5xx gets. `max_elapsed` below bounds both.
        let server_wait = match error.retry_after() {
            Some(hint) if retry == Retry::After => Some(hint),
            _ => None,
        };
        if server_wait.is_some() {
            if self.server_waits >= policy.max_server_waits {
                return Err(StopReason::MaxServerWaits);
            }
        } else if self.failures >= policy.max_retries {
            return Err(StopReason::MaxRetries);
        }
        // A hint is honoured on `Backoff` errors too (a 503 with
        // `Retry-After`): as the least wait, where `After` waits it exactly.
        let (delay, reason) = match error.retry_after() {
            Some(hint) => {
                if hint > policy.max_server_wait {
                    return Err(StopReason::ServerWaitTooLong { asked: hint });
                }
                let floor = if server_wait.is_some() {
                    Duration::ZERO
                } else {
                    self.backoff_delay()
                };
                // The hint is waited exactly: no jitter, which could only add
                // to it and so change whether a deadline allows the retry.
                if floor > hint {
                    (floor, Retry::Backoff)
                } else {
                    (hint, Retry::After)
                }
            }
            None => (self.backoff_delay(), Retry::Backoff),
        };
        if policy
            .max_elapsed
            .is_some_and(|max| elapsed.saturating_add(delay) > max)
        {
            return Err(StopReason::MaxElapsed);
        }
        if let Some(budget) = &policy.budget
            && !budget.withdraw(now.unwrap_or_else(|| self.now()))
        {
            return Err(StopReason::BudgetExhausted);
        }
        if server_wait.is_some() {
            self.server_waits += 1;
        } else {
            self.failures += 1;
        }
        Ok((delay, reason))
    }

    fn backoff_delay(&mut self) -> Duration {
        let policy = self.policy;
        // The step grows with failures only: a rate limit waited out in
        // between does not lengthen the next 5xx's backoff.
        let delay = policy.backoff(self.failures.saturating_add(1));
        let unit = self.unit();
        policy
            .jitter
            .apply(delay, policy.base, self.last_delay, policy.max_delay, unit)
    }

    /// A uniform number in `[0, 1)` from a per-call SplitMix64 stream,
    /// seeded on first use so that the success path pays nothing.
    fn unit(&mut self) -> f64 {
        static SEED: AtomicU64 = AtomicU64::new(0x853c_49e6_748f_ea9b);
        if self.rng == 0 {
            let here = core::ptr::from_ref(self) as usize as u64;
            self.rng = (SEED.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed) ^ here) | 1;
        }
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Waits `delay` on the policy's clock (async). The wait is boxed: a
    /// timer is large, and keeping it inline would grow every retried
    /// future, the ones whose first attempt succeeds included; the box is
    /// only made when there is something to wait for.
    pub fn wait(&mut self, delay: Duration) -> Wait {
        self.waited = self.waited.saturating_add(delay);
        if crate::testing::instant_retries_active() || delay.is_zero() {
            return Wait(None);
        }
        Wait(Some(self.sleep(delay)))
    }

    /// Waits `delay` on the policy's clock, blocking the thread.
    pub fn wait_blocking(&mut self, delay: Duration) {
        self.waited = self.waited.saturating_add(delay);
        if crate::testing::instant_retries_active() || delay.is_zero() {
            return;
        }
        match &self.policy.clock {
            Some(clock) => clock.sleep_blocking(delay),
            None => default_clock::sleep_blocking(delay),
        }
    }
}
