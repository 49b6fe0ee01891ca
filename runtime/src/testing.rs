//! Helpers for testing code built on apifault: make every retry wait
//! instant while keeping the attempts, as stamina's testing switch does.

use core::sync::atomic::{AtomicUsize, Ordering};

static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// While the returned guard lives, every wait of every retried call in this
/// process is skipped: the engine still decides, counts and reports the
/// waits (hooks and [`RetryReport`](crate::RetryReport)s see the delays it
/// would have waited) but returns at once. Guards nest; the switch is off
/// again when the last one is dropped.
///
/// It is process-wide, like stamina's `set_testing`: tests running in
/// parallel threads all see it, which is what a test suite of a client
/// library wants.
///
/// ```
/// use apifault::{ApiError, RetryPolicy};
/// use std::time::{Duration, Instant};
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 503)]
///     Unavailable,
/// }
///
/// let _instant = apifault::testing::instant_retries();
/// let started = Instant::now();
/// let policy = RetryPolicy::exponential(Duration::from_secs(10)).no_max_elapsed();
/// let (result, report) = apifault::retry_blocking_with_report(&policy, || Err::<(), _>(E::Unavailable));
/// assert!(result.is_err());
/// assert_eq!(report.attempts, 4, "the attempts are kept");
/// assert!(report.waited > Duration::ZERO, "the waits are reported");
/// assert!(started.elapsed() < Duration::from_secs(5), "but not waited");
/// ```
#[must_use = "retries are instant only while the guard lives"]
pub fn instant_retries() -> InstantRetries {
    ACTIVE.fetch_add(1, Ordering::SeqCst);
    InstantRetries { _private: () }
}

/// The guard returned by [`instant_retries`].
///
/// ```
/// let guard = apifault::testing::instant_retries();
/// drop(guard); // waits are real again
/// ```
#[derive(Debug)]
pub struct InstantRetries {
    _private: (),
}

impl Drop for InstantRetries {
    fn drop(&mut self) {
        ACTIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

#[inline]
pub(crate) fn instant_retries_active() -> bool {
    ACTIVE.load(Ordering::Relaxed) > 0
}
