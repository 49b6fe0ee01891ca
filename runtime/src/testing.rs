//! Helpers for testing code built on apifault: make every retry wait
//! instant while keeping the attempts, as stamina's testing switch does.
//!
//! Two scopes: [`instant_retries`] affects only the current thread, which is
//! safe with the test harness running tests in parallel, and covers blocking
//! calls and futures polled by a current-thread runtime (`#[tokio::test]`'s
//! default). [`instant_retries_in_process`] affects every thread, for code
//! that retries on a multi-threaded runtime, at the price of affecting other
//! tests that run at the same time.

use core::cell::Cell;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicUsize, Ordering};

static IN_PROCESS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static ON_THREAD: Cell<usize> = const { Cell::new(0) };
}

/// While the returned guard lives, every wait of every call retried on this
/// thread is skipped: the engine still decides, counts and reports the waits
/// (hooks and [`RetryReport`](crate::RetryReport)s see the delays it would
/// have waited) but returns at once. Guards nest.
///
/// ```
/// use apifault::{ApiError, RetryPolicy};
/// use std::time::Duration;
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 503)]
///     Unavailable,
/// }
///
/// #[apifault::retry(max_retries = 3, base = "10s", max_elapsed = "1h")]
/// fn flaky() -> Result<(), E> {
///     Err(E::Unavailable)
/// }
///
/// let _instant = apifault::testing::instant_retries();
/// let started = std::time::Instant::now();
/// assert!(flaky().is_err()); // four attempts, 70 s of waits skipped
/// assert!(started.elapsed() < Duration::from_secs(10));
/// ```
#[must_use = "retries are instant only while the guard lives"]
pub fn instant_retries() -> InstantRetries {
    ON_THREAD.with(|n| n.set(n.get() + 1));
    InstantRetries {
        in_process: false,
        _not_send: PhantomData,
    }
}

/// [`instant_retries`] for every thread of the process, like stamina's
/// `set_testing`: for code that retries on a multi-threaded runtime. Tests
/// running in parallel see it too.
///
/// ```
/// let _instant = apifault::testing::instant_retries_in_process();
/// ```
#[must_use = "retries are instant only while the guard lives"]
pub fn instant_retries_in_process() -> InstantRetries {
    IN_PROCESS.fetch_add(1, Ordering::SeqCst);
    InstantRetries {
        in_process: true,
        _not_send: PhantomData,
    }
}

/// The guard returned by [`instant_retries`] and
/// [`instant_retries_in_process`]; waits are real again once it is dropped.
///
/// ```
/// let guard = apifault::testing::instant_retries();
/// drop(guard); // waits are real again
/// ```
#[derive(Debug)]
pub struct InstantRetries {
    in_process: bool,
    /// Dropped on the thread it switched.
    _not_send: PhantomData<*const ()>,
}

impl Drop for InstantRetries {
    fn drop(&mut self) {
        if self.in_process {
            IN_PROCESS.fetch_sub(1, Ordering::SeqCst);
        } else {
            let _ = ON_THREAD.try_with(|n| n.set(n.get().saturating_sub(1)));
        }
    }
}

#[inline]
pub(crate) fn instant_retries_active() -> bool {
    IN_PROCESS.load(Ordering::Relaxed) > 0 || ON_THREAD.try_with(Cell::get).is_ok_and(|n| n > 0)
}

/// How many waits the process's timer thread holds right now: the waits
/// made outside a tokio runtime with the default clock, not yet over and
/// not dropped. A dropped wait leaves it at once, so a test can check that
/// cancelled calls leave nothing behind.
///
/// ```
/// use apifault::{ApiError, Jitter, RetryPolicy};
/// use std::future::Future;
/// use std::task::{Context, Waker};
/// use std::time::Duration;
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 503)]
///     Unavailable,
/// }
///
/// let policy = RetryPolicy::exponential(Duration::from_secs(30)).jitter(Jitter::None);
/// let before = apifault::testing::pending_timer_waits();
/// let mut call = Box::pin(apifault::retry(&policy, || async { Err::<(), _>(E::Unavailable) }));
/// // Outside tokio: the first attempt fails and the wait joins the timer thread.
/// assert!(call.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
/// drop(call);
/// assert!(apifault::testing::pending_timer_waits() <= before);
/// ```
#[must_use]
pub fn pending_timer_waits() -> usize {
    crate::clock::default::thread_timer::pending()
}
