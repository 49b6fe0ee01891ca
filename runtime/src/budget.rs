//! [`RetryBudget`]: a shared allowance of retries, so that an outage does not
//! multiply the load on an API (the idea of Finagle's and tower's retry
//! budgets and the AWS SDKs' retry quota).
//!
//! Every call deposits a fraction of a token; every retry withdraws a whole
//! one. While calls succeed the budget fills; when they all fail, retries are
//! limited to that fraction of the calls (plus a small floor per second), so
//! the load on a failing API stays close to what the clients would send
//! without retrying.

use core::fmt;
use core::time::Duration;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Where a budget's balance lives. [`LocalBudget`] keeps it in this
/// process; implement the trait to share one balance between processes
/// (in Redis, say), so that a fleet of workers calling one API shares it.
///
/// Both methods take the engine's `now`, so that budgets follow the policy's
/// clock in tests and simulations. They are called on the engine's path and
/// must not wait: a store in another process answers from a lease it holds
/// and settles with its store in the background, and takes its time from
/// its own side, ignoring `now` (`apifault::redis::RedisBudget`, with the
/// `redis` feature, does both).
///
/// ```
/// use apifault::{BudgetStore, RetryBudget};
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Instant;
///
/// /// Allows a fixed number of retries, ever.
/// #[derive(Debug)]
/// struct Fixed(AtomicU32);
///
/// impl BudgetStore for Fixed {
///     fn deposit(&self, _now: Instant) {}
///     fn withdraw(&self, _now: Instant) -> bool {
///         self.0.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok()
///     }
/// }
///
/// let budget = RetryBudget::with_store(Fixed(AtomicU32::new(1)));
/// assert!(budget.withdraw(Instant::now()));
/// assert!(!budget.withdraw(Instant::now()));
/// ```
pub trait BudgetStore: Send + Sync + fmt::Debug {
    /// Records one call (a first attempt).
    fn deposit(&self, now: Instant);
    /// Takes one retry from the budget; `false` when it is spent.
    fn withdraw(&self, now: Instant) -> bool;
}

/// A shared retry budget; cloning shares the balance.
///
/// ```
/// use apifault::{RetryBudget, RetryPolicy};
/// use std::time::Duration;
///
/// // Retries may add at most 10% to the calls, plus one retry a second.
/// let budget = RetryBudget::new(0.1, 1);
/// let policy = RetryPolicy::exponential(Duration::from_millis(200)).budget(budget.clone());
/// # let _ = policy;
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    store: Arc<dyn BudgetStore>,
}

impl RetryBudget {
    /// An in-process budget ([`LocalBudget`]) allowing retries up to `ratio`
    /// of the calls (0.1 = 10%) plus `min_per_second` retries a second.
    ///
    /// ```
    /// # use apifault::RetryBudget;
    /// # use std::time::Instant;
    /// let budget = RetryBudget::new(0.5, 0);
    /// let now = Instant::now();
    /// budget.deposit(now);
    /// budget.deposit(now);
    /// assert!(budget.withdraw(now), "two calls earn one retry at 50%");
    /// assert!(!budget.withdraw(now));
    /// ```
    #[must_use]
    pub fn new(ratio: f64, min_per_second: u32) -> Self {
        Self::with_store(LocalBudget::new(ratio, min_per_second))
    }

    /// A budget kept in `store`.
    ///
    /// ```
    /// # use apifault::{LocalBudget, RetryBudget};
    /// let budget = RetryBudget::with_store(LocalBudget::new(0.2, 5).max_banked(50.0));
    /// # let _ = budget;
    /// ```
    #[must_use]
    pub fn with_store(store: impl BudgetStore + 'static) -> Self {
        RetryBudget {
            store: Arc::new(store),
        }
    }

    /// Records one call; see [`BudgetStore::deposit`].
    ///
    /// ```
    /// # use apifault::RetryBudget;
    /// RetryBudget::new(0.1, 1).deposit(std::time::Instant::now());
    /// ```
    pub fn deposit(&self, now: Instant) {
        self.store.deposit(now);
    }

    /// Takes one retry; see [`BudgetStore::withdraw`].
    ///
    /// ```
    /// # use apifault::RetryBudget;
    /// let budget = RetryBudget::new(0.0, 0);
    /// assert!(!budget.withdraw(std::time::Instant::now()));
    /// ```
    #[must_use]
    pub fn withdraw(&self, now: Instant) -> bool {
        self.store.withdraw(now)
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RetryBudget").field(&self.store).finish()
    }
}

/// The in-process token bucket behind [`RetryBudget::new`].
///
/// Each call adds `ratio` tokens, each retry takes one; time adds
/// `min_per_second` tokens a second, so that a client that calls rarely can
/// still retry. The balance never exceeds `max_banked` (by default ten
/// seconds of the floor, and at least 10), so a long calm period cannot bank
/// a burst of retries for the next outage.
///
/// ```
/// use apifault::{BudgetStore, LocalBudget};
/// use std::time::{Duration, Instant};
///
/// let bucket = LocalBudget::new(0.0, 2);
/// let t0 = Instant::now();
/// assert!(bucket.withdraw(t0) && bucket.withdraw(t0), "starts with one second of floor");
/// assert!(!bucket.withdraw(t0));
/// assert!(bucket.withdraw(t0 + Duration::from_millis(500)), "refills 2 a second");
/// ```
#[derive(Debug)]
pub struct LocalBudget {
    ratio: f64,
    min_per_second: f64,
    max_banked: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Option<Instant>,
}

impl LocalBudget {
    /// A bucket earning `ratio` of a retry per call and `min_per_second`
    /// retries a second, starting with one second's worth.
    ///
    /// ```
    /// # use apifault::LocalBudget;
    /// let bucket = LocalBudget::new(0.1, 1);
    /// # let _ = bucket;
    /// ```
    #[must_use]
    pub fn new(ratio: f64, min_per_second: u32) -> Self {
        let ratio = if ratio.is_finite() {
            ratio.max(0.0)
        } else {
            0.0
        };
        let min_per_second = f64::from(min_per_second);
        LocalBudget {
            ratio,
            min_per_second,
            max_banked: (min_per_second * 10.0).max(10.0),
            state: Mutex::new(Bucket {
                tokens: min_per_second,
                refilled_at: None,
            }),
        }
    }

    /// Caps the balance at `tokens` retries.
    ///
    /// ```
    /// # use apifault::{BudgetStore, LocalBudget};
    /// let bucket = LocalBudget::new(1.0, 0).max_banked(1.0);
    /// let now = std::time::Instant::now();
    /// for _ in 0..5 { bucket.deposit(now); }
    /// assert!(bucket.withdraw(now));
    /// assert!(!bucket.withdraw(now), "only one token was kept");
    /// ```
    #[must_use]
    pub fn max_banked(mut self, tokens: f64) -> Self {
        self.max_banked = if tokens.is_finite() {
            tokens.max(0.0)
        } else {
            0.0
        };
        let bucket = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        bucket.tokens = bucket.tokens.min(self.max_banked);
        self
    }

    fn with_bucket<R>(&self, now: Instant, f: impl FnOnce(&mut Bucket) -> R) -> R {
        let mut bucket = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let since = match bucket.refilled_at {
            Some(then) => now.saturating_duration_since(then),
            None => Duration::ZERO,
        };
        if bucket.refilled_at.is_none_or(|then| now > then) {
            bucket.refilled_at = Some(now);
        }
        bucket.tokens =
            (bucket.tokens + since.as_secs_f64() * self.min_per_second).min(self.max_banked);
        f(&mut bucket)
    }
}

impl BudgetStore for LocalBudget {
    fn deposit(&self, now: Instant) {
        let (ratio, max) = (self.ratio, self.max_banked);
        self.with_bucket(now, |b| b.tokens = (b.tokens + ratio).min(max));
    }

    fn withdraw(&self, now: Instant) -> bool {
        self.with_bucket(now, |b| {
            // A small epsilon keeps ten deposits of 0.1 worth a whole retry.
            if b.tokens >= 1.0 - 1e-9 {
                b.tokens = (b.tokens - 1.0).max(0.0);
                true
            } else {
                false
            }
        })
    }
}
