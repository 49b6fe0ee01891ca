//! The retry engine: [`retry`], [`retry_blocking`], their `_with_report`
//! and `_keyed` forms, and what `#[apifault::retry]` expands to.
//!
//! Three parts, each readable alone:
//!
//! - [`decide`]: the decision, a pure function of the policy, the error's
//!   answers and the call's counts: wait how long, or stop why.
//! - [`Attempts`]: one call's bookkeeping around it: counts, the clock,
//!   the random draws for jitter, the schedule's steps, logging, hooks,
//!   the budget, and the waits. Not generic, so compiled once.
//! - the loops ([`retry_with_report`], [`retry_blocking_with_report`], the
//!   attribute's expansion), which only call attempts and hand results to
//!   [`Attempts::keep`].

use core::future::Future;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::sync::atomic::{AtomicU64, Ordering};
use core::task::{Context, Poll};
use core::time::Duration;
use std::time::Instant;

use crate::clock::{Waiting, default as default_clock};
use crate::error::{ApiError, Retry};
use crate::idempotency::IdempotencyKey;
use crate::policy::{
    GiveUpEvent, Jitter, JitterStep, RetryEvent, RetryPolicy, Schedule, StopReason, delay_at,
};

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
    run_async(&mut Attempts::asynchronous(policy), op).await
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
    op: F,
) -> (Result<T, E>, RetryReport)
where
    E: ApiError,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempts = Attempts::asynchronous(policy);
    let result = run_async(&mut attempts, op).await;
    (result, attempts.report())
}

/// [`retry`] for a call that sends an idempotency key: `op` is given the
/// same [`IdempotencyKey`] on every attempt of this call (and another one
/// on the next call). Sending it makes the call safe to resend, so it is
/// retried as an idempotent call whatever the policy's
/// [`idempotent`](RetryPolicy::idempotent) says.
///
/// ```
/// use apifault::{ApiError, IdempotencyKey, RetryPolicy};
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 500)]
///     Internal,
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// // A POST that may have been applied when it answered 500: resent only
/// // because it carries its key.
/// let policy = RetryPolicy::default().idempotent(false);
/// let mut sent: Vec<IdempotencyKey> = Vec::new();
/// let result = apifault::retry_keyed(&policy, |key| {
///     sent.push(key);
///     let outcome = if sent.len() < 3 { Err(E::Internal) } else { Ok(()) };
///     async move { outcome }
/// })
/// .await;
/// assert!(result.is_ok());
/// assert_eq!(sent.len(), 3);
/// assert!(sent.iter().all(|key| *key == sent[0]));
/// # }
/// ```
pub async fn retry_keyed<T, E, F, Fut>(policy: &RetryPolicy, mut op: F) -> Result<T, E>
where
    E: ApiError,
    F: FnMut(IdempotencyKey) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let key = IdempotencyKey::new();
    let mut attempts = Attempts::asynchronous(policy).idempotent(Some(true));
    run_async(&mut attempts, || op(key)).await
}

/// [`retry_keyed`] for blocking code.
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
/// let policy = RetryPolicy::default().idempotent(false).clock(ManualClock::new());
/// let mut keys = Vec::new();
/// let result = apifault::retry_keyed_blocking(&policy, |key| {
///     keys.push(key.to_string());
///     if keys.len() == 1 { Err(E::BadGateway) } else { Ok(()) }
/// });
/// assert!(result.is_ok());
/// assert_eq!(keys[0], keys[1]);
/// ```
pub fn retry_keyed_blocking<T, E, F>(policy: &RetryPolicy, mut op: F) -> Result<T, E>
where
    E: ApiError,
    F: FnMut(IdempotencyKey) -> Result<T, E>,
{
    let key = IdempotencyKey::new();
    let mut attempts = Attempts::blocking(policy).idempotent(Some(true));
    run_blocking(&mut attempts, || op(key))
}

/// The async loop: attempts until [`Attempts::keep`] says stop.
async fn run_async<T, E, F, Fut>(attempts: &mut Attempts<'_>, mut op: F) -> Result<T, E>
where
    E: ApiError,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut previous = None;
    loop {
        // No attempt starts past the deadline: `op` is not even called.
        let result = match attempts.expired(&mut previous) {
            Some(previous) => previous,
            // Only an attempt that may be cut, or that starts the call's
            // time, needs watching.
            None if attempts.watches(previous.is_some()) => {
                let attempt = core::pin::pin!(op());
                attempts.bounded(attempt, &mut previous).await
            }
            None => op().await,
        };
        match attempts.keep(result) {
            ControlFlow::Break(result) => return result,
            ControlFlow::Continue((delay, error)) => {
                previous = Some(error);
                let wait = attempts.wait(delay);
                if !wait.is_over() {
                    wait.await;
                }
            }
        }
    }
}

/// The blocking loop. A blocking attempt cannot be cut, but none starts
/// past the deadline.
fn run_blocking<T, E, F>(attempts: &mut Attempts<'_>, mut op: F) -> Result<T, E>
where
    E: ApiError,
    F: FnMut() -> Result<T, E>,
{
    let mut previous = None;
    loop {
        let result = match attempts.expired(&mut previous) {
            Some(previous) => previous,
            None => op(),
        };
        match attempts.keep(result) {
            ControlFlow::Break(result) => return result,
            ControlFlow::Continue((delay, error)) => {
                previous = Some(error);
                attempts.wait_blocking(delay);
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
    run_blocking(&mut Attempts::blocking(policy), op)
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
    op: F,
) -> (Result<T, E>, RetryReport)
where
    E: ApiError,
    F: FnMut() -> Result<T, E>,
{
    let mut attempts = Attempts::blocking(policy);
    let result = run_blocking(&mut attempts, op);
    (result, attempts.report())
}

/// One wait between attempts; see [`Attempts::wait`].
#[doc(hidden)]
#[derive(Default)]
#[must_use = "a wait does nothing unless awaited"]
pub struct Wait(Option<crate::clock::Sleep>);

impl Future for Wait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.0 {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

impl Wait {
    /// Whether there is nothing to wait for (a zero wait, or a skipped
    /// one): the caller may go on without polling.
    #[inline]
    pub fn is_over(&self) -> bool {
        self.0.is_none()
    }
}

impl core::fmt::Debug for Wait {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Wait").field(&self.0.is_some()).finish()
    }
}

/// One attempt as the engine runs it; see [`Attempts::bounded`].
#[doc(hidden)]
#[must_use = "an attempt does nothing unless awaited"]
pub struct Bounded<'a, 'p, F: Future> {
    attempts: &'a mut Attempts<'p>,
    attempt: Pin<&'a mut F>,
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

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let first_poll = !this.started;
        this.started = true;
        // No attempt starts after the deadline (a wait may end late).
        if first_poll
            && let Some(deadline) = this.deadline
            && this.attempts.now() > deadline
            && let Some(previous) = this.previous.take()
        {
            this.attempts.cut = true;
            return Poll::Ready(previous);
        }
        // The attempt first: one that ends right at the deadline counts.
        if let Poll::Ready(result) = this.attempt.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        // A first attempt that has to wait is when the call's time starts
        // to count: what ran before is the synchronous start of one poll.
        if first_poll && this.attempts.started.is_none() && this.attempts.counts_time() {
            this.attempts.started = Some(this.attempts.now());
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
                this.attempts.tally.attempts = this.attempts.tally.attempts.saturating_add(1);
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

// ---------------------------------------------------------------------------
// The decision.

/// What one call has used up so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Attempts made.
    pub(crate) attempts: u32,
    /// Retries after failures (`Backoff` waits, `After` errors without a
    /// hint): what `max_retries` bounds and what the backoff step grows with.
    pub(crate) failures: u32,
    /// Retries after waiting a hint the server gave on an `After` error (a
    /// 429 with its reset): what `max_server_waits` bounds.
    pub(crate) server_waits: u32,
}

/// What the engine does after a failed attempt, when it retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Next {
    pub(crate) delay: Duration,
    /// `After` when the delay is the server's hint, else `Backoff`.
    pub(crate) reason: Retry,
    /// Whether this retry is a wait the server asked for (counted by
    /// `max_server_waits`) rather than a failure (by `max_retries`).
    pub(crate) server_wait: bool,
}

/// What a failed attempt's error says, as the decision reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) retry: Retry,
    /// The server's wait hint.
    pub(crate) hint: Option<Duration>,
    /// The call may be sent again: it is idempotent (or sends its key), or
    /// the error is [`safe_to_resend`](ApiError::safe_to_resend).
    pub(crate) resendable: bool,
}

impl Answer {
    #[inline]
    pub(crate) fn of(error: &dyn ApiError, idempotent: bool) -> Self {
        Answer {
            retry: error.retry(),
            hint: error.retry_after(),
            resendable: idempotent || error.safe_to_resend(),
        }
    }

    /// Whether the error can be retried at all.
    fn retryable(self) -> bool {
        self.retry != Retry::Never && self.resendable
    }

    /// A wait the server asked for on an `After` error (a rate limit): not
    /// a failure, so counted and bounded apart, and waiting out a 429 uses
    /// up none of the retries a 5xx gets.
    fn server_wait(self) -> bool {
        self.retry == Retry::After && self.hint.is_some()
    }
}

/// The decision after a failed attempt: the wait before the next attempt
/// and why, or why to stop. Pure: it reads the policy, the error's answer
/// and the call's counts; `elapsed` is the call's time so far (read only
/// where the policy bounds it), and `step` the next backoff step, jittered
/// (`None` where the schedule has ended; only read where the error backs
/// off). The budget is the caller's to consult.
#[inline]
pub(crate) fn decide(
    policy: &RetryPolicy,
    answer: Answer,
    tally: Tally,
    elapsed: Duration,
    step: Option<Duration>,
) -> Result<Next, StopReason> {
    if answer.retry == Retry::Never {
        return Err(StopReason::NotRetryable);
    }
    if !answer.resendable {
        return Err(StopReason::NotSafeToResend);
    }
    let server_wait = answer.server_wait();
    if server_wait && tally.server_waits >= policy.max_server_waits {
        return Err(StopReason::MaxServerWaits);
    }
    if !server_wait && tally.failures >= policy.max_retries {
        return Err(StopReason::MaxRetries);
    }
    if let Some(hint) = answer.hint
        && hint > policy.max_server_wait
    {
        return Err(StopReason::ServerWaitTooLong { asked: hint });
    }
    let (delay, reason) = match (answer.hint, step) {
        // The hint is waited exactly: jitter could only add to it, and so
        // change whether a deadline allows the retry.
        (Some(hint), _) if server_wait => (hint, Retry::After),
        // A hint on a `Backoff` error (a 503 with `Retry-After`) is the
        // least wait.
        (Some(hint), Some(step)) if hint >= step => (hint, Retry::After),
        (_, Some(step)) => (step, Retry::Backoff),
        (_, None) => return Err(StopReason::MaxRetries),
    };
    if policy
        .max_elapsed
        .is_some_and(|max| elapsed.saturating_add(delay) > max)
    {
        return Err(StopReason::MaxElapsed);
    }
    Ok(Next {
        delay,
        reason,
        server_wait,
    })
}

// ---------------------------------------------------------------------------
// One call's bookkeeping.

/// The state of one retried call: counts, time, random draws, the
/// schedule's steps, logging, hooks, budget and waits around [`decide`].
/// Not generic, so that its logic is compiled once, whatever the operation
/// and error types.
#[doc(hidden)]
pub struct Attempts<'p> {
    policy: &'p RetryPolicy,
    /// When the call began, where something needs it: read at the start
    /// for a budget or a blocking call bounded by `max_elapsed`; for an
    /// async call when its first attempt first waits; for hooks at the
    /// first failure. A call whose first attempt succeeds reads no clock.
    started: Option<Instant>,
    tally: Tally,
    waited: Duration,
    last_delay: Duration,
    rng: u64,
    stop: StopReason,
    elapsed: Duration,
    idempotent: bool,
    asynchronous: bool,
    /// The last attempt was cut at the deadline (or never started): the
    /// result handed to [`keep`](Self::keep) next is the previous one.
    cut: bool,
    waiting: Waiting,
}

impl core::fmt::Debug for Attempts<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Attempts")
            .field("tally", &self.tally)
            .field("waited", &self.waited)
            .field("stop", &self.stop)
            .finish_non_exhaustive()
    }
}

impl<'p> Attempts<'p> {
    /// A call whose attempts are futures.
    #[inline]
    pub fn asynchronous(policy: &'p RetryPolicy) -> Self {
        let mut attempts = Self::new(policy, true);
        if policy.budget.is_some() {
            attempts.begin();
        }
        attempts
    }

    /// A call whose attempts block the thread.
    #[inline]
    pub fn blocking(policy: &'p RetryPolicy) -> Self {
        let mut attempts = Self::new(policy, false);
        if policy.budget.is_some() || policy.max_elapsed.is_some() {
            attempts.begin();
        }
        attempts
    }

    /// Overrides the policy's [`idempotent`](RetryPolicy::idempotent) where
    /// `Some`: `#[apifault::retry(idempotent = …)]`, and a call sending an
    /// idempotency key (`Some(true)`).
    #[inline]
    #[must_use]
    pub fn idempotent(mut self, idempotent: Option<bool>) -> Self {
        if let Some(idempotent) = idempotent {
            self.idempotent = idempotent;
        }
        self
    }

    #[inline]
    fn new(policy: &'p RetryPolicy, asynchronous: bool) -> Self {
        Attempts {
            policy,
            started: None,
            tally: Tally::default(),
            waited: Duration::ZERO,
            last_delay: Duration::ZERO,
            rng: 0,
            stop: StopReason::Succeeded,
            elapsed: Duration::ZERO,
            idempotent: policy.idempotent,
            asynchronous,
            cut: false,
            waiting: Waiting::Unchosen,
        }
    }

    /// Reads the start now and pays into the budget.
    #[inline]
    fn begin(&mut self) {
        let now = self.now();
        self.started = Some(now);
        if let Some(budget) = &self.policy.budget {
            budget.deposit(now);
        }
    }

    fn now(&self) -> Instant {
        match &self.policy.clock {
            Some(clock) => clock.now(),
            None if self.asynchronous => default_clock::now_async(),
            None => default_clock::now_blocking(),
        }
    }

    /// Whether the call's time counts from its start: a bound on it.
    fn counts_time(&self) -> bool {
        self.policy.max_elapsed.is_some()
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

    /// Takes an attempt's result: `Break` hands it back to the caller (a
    /// success, or an error the policy will not retry), `Continue` says how
    /// long to wait before the next attempt.
    #[inline]
    pub fn check<R: RetryResult>(&mut self, result: R) -> ControlFlow<R, Duration> {
        self.tally.attempts = self.tally.attempts.saturating_add(1);
        let Some(error) = result.api_error() else {
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
        self.tally.attempts = self.tally.attempts.saturating_add(1);
        let Some(error) = result.api_error() else {
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
    #[inline]
    fn deadline(&self) -> Option<Instant> {
        self.started?.checked_add(self.policy.max_elapsed?)
    }

    /// Before a retry: if the deadline has passed, the previous result,
    /// to hand to [`keep`](Self::keep) instead of starting an attempt.
    #[inline]
    pub fn expired<R>(&mut self, previous: &mut Option<R>) -> Option<R> {
        previous.as_ref()?;
        let deadline = self.deadline()?;
        if self.now() > deadline {
            self.cut = true;
            return previous.take();
        }
        None
    }

    /// Whether the next attempt needs [`bounded`](Self::bounded): a retry
    /// that a deadline may cut, or a first attempt that starts the call's
    /// time. Any other can be awaited as it is.
    #[inline]
    pub fn watches(&self, retry: bool) -> bool {
        if retry {
            self.started.is_some() && self.policy.max_elapsed.is_some()
        } else {
            self.started.is_none() && self.counts_time()
        }
    }

    /// Runs an attempt. A retry (there is a `previous` result) still
    /// running when `max_elapsed` passes is cut (dropped), and the previous
    /// result returned, for [`keep`](Self::keep) to end the call with. A
    /// first attempt is never cut; where the policy bounds the call's
    /// time, the call's start is read when it first has to wait. The
    /// attempt is pinned by the caller, so that the retried future holds
    /// one copy of it.
    #[inline]
    pub fn bounded<'a, F: Future>(
        &'a mut self,
        attempt: Pin<&'a mut F>,
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

    #[cold]
    fn give_up_at_deadline(&mut self, previous: Option<&dyn ApiError>) {
        self.cut = false;
        self.stop = StopReason::MaxElapsed;
        self.elapsed = self.elapsed_since_start(self.now());
        if let Some(error) = previous {
            self.give_up(error, StopReason::MaxElapsed);
        }
    }

    fn elapsed_since_start(&self, now: Instant) -> Duration {
        self.started.map_or(Duration::ZERO, |started| {
            now.saturating_duration_since(started)
        })
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
            attempts: self.tally.attempts,
            waited: self.waited,
            elapsed,
            stop: self.stop,
        }
    }

    /// After a failed attempt: [`decide`], then the budget, the log line
    /// and the hooks. The wait, or `None` to stop.
    fn on_error(&mut self, error: &dyn ApiError) -> Option<Duration> {
        let (now, elapsed) = if self.needs_clock() {
            let now = self.now();
            let started = *self.started.get_or_insert(now);
            (Some(now), now.saturating_duration_since(started))
        } else {
            (None, Duration::ZERO)
        };
        let policy = self.policy;
        let answer = Answer::of(error, self.idempotent);
        // The next backoff step is drawn here, where the error backs off,
        // so that the decision stays pure.
        let step = if answer.retryable() && !answer.server_wait() {
            self.step()
        } else {
            None
        };
        let mut next = decide(policy, answer, self.tally, elapsed, step);
        if let (Ok(_), Some(budget)) = (&next, &policy.budget)
            && !budget.withdraw(now.unwrap_or_else(|| self.now()))
        {
            next = Err(StopReason::BudgetExhausted);
        }
        match next {
            Ok(next) => {
                if next.server_wait {
                    self.tally.server_waits += 1;
                } else {
                    self.tally.failures += 1;
                }
                self.last_delay = next.delay;
                self.retrying(error, next, elapsed);
                Some(next.delay)
            }
            Err(stop) => {
                self.stop = stop;
                self.elapsed = elapsed;
                self.give_up(error, stop);
                None
            }
        }
    }

    /// The next backoff step of the policy's schedule, jittered; `None`
    /// where the schedule has ended. The step grows with failures only: a
    /// rate limit waited out in between does not lengthen the next 5xx's.
    #[inline(always)]
    fn step(&mut self) -> Option<Duration> {
        let policy = self.policy;
        let index = self.tally.failures;
        let delay = match &policy.schedule {
            Schedule::Exponential => policy.exponential_step(index),
            Schedule::Delays(delays) => delay_at(delays, index)?.min(policy.max_delay),
            // A fresh iterator, advanced to this step: the call keeps no
            // iterator (which would give every retried future drop glue),
            // and schedules are short.
            Schedule::Iter(make) => make().nth(index as usize)?.min(policy.max_delay),
        };
        if policy.jitter == Jitter::None {
            return Some(delay);
        }
        let step = JitterStep {
            delay,
            base: policy.base,
            previous: self.last_delay,
            max_delay: policy.max_delay,
        };
        Some(policy.jitter.apply(step, self.unit()))
    }

    fn retrying(&self, error: &dyn ApiError, next: Next, elapsed: Duration) {
        tracing::info!(
            target: "apifault",
            attempt = self.tally.attempts,
            delay_ms = u64::try_from(next.delay.as_millis()).unwrap_or(u64::MAX),
            reason = next.reason.as_str(),
            status = error.status().map_or(0, |s| s.as_u16()),
            request_id = error.request_id(),
            "retrying"
        );
        if let Some(hook) = &self.policy.on_retry {
            hook(&RetryEvent {
                attempt: self.tally.attempts,
                delay: next.delay,
                reason: next.reason,
                error,
                elapsed,
            });
        }
    }

    #[inline(never)]
    fn give_up(&self, error: &dyn ApiError, stop: StopReason) {
        let status = error.status().map_or(0, |s| s.as_u16());
        if stop.exhausted() {
            tracing::warn!(
                target: "apifault",
                attempts = self.tally.attempts,
                waited_ms = u64::try_from(self.waited.as_millis()).unwrap_or(u64::MAX),
                reason = %stop,
                status,
                request_id = error.request_id(),
                "giving up"
            );
        } else {
            tracing::debug!(
                target: "apifault",
                attempts = self.tally.attempts,
                reason = %stop,
                status,
                request_id = error.request_id(),
                "not retrying"
            );
        }
        if let Some(hook) = &self.policy.on_give_up {
            hook(&GiveUpEvent {
                attempts: self.tally.attempts,
                reason: stop,
                error,
                elapsed: self.elapsed,
                waited: self.waited,
            });
        }
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

    /// Waits `delay` on the call's clock (async). The wait is boxed: a
    /// timer is large, and keeping it inline would grow every retried
    /// future, the ones whose first attempt succeeds included; the box is
    /// only made when there is something to wait for.
    #[inline]
    pub fn wait(&mut self, delay: Duration) -> Wait {
        self.waited = self.waited.saturating_add(delay);
        if delay.is_zero() || self.waiting.skips() {
            return Wait(None);
        }
        Wait(Some(self.sleep(delay)))
    }

    /// Waits `delay` on the call's clock, blocking the thread.
    pub fn wait_blocking(&mut self, delay: Duration) {
        self.waited = self.waited.saturating_add(delay);
        if delay.is_zero() || self.waiting.skips() {
            return;
        }
        match &self.policy.clock {
            Some(clock) => clock.sleep_blocking(delay),
            None => default_clock::sleep_blocking(delay),
        }
    }
}
