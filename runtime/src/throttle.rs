//! [`Throttle`]: a client-side rate limiter that learns the API's window
//! from the rate-limit headers of every response and holds the next request
//! while the window is spent, so a well-behaved client never sees a 429.

use core::fmt;
use core::time::Duration;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use http::HeaderMap;

use crate::clock::{Clock, default as default_clock};
use crate::headers::{RateLimit, rate_limit};

/// Where a throttle's view of the window lives. [`LocalThrottle`] keeps it
/// in this process; implement the trait to share one window between the
/// workers of several machines that call the API with one key.
///
/// ```
/// use apifault::{RateLimit, ThrottleStore};
/// use std::time::Instant;
///
/// /// Never holds anything back.
/// #[derive(Debug)]
/// struct Open;
///
/// impl ThrottleStore for Open {
///     fn reserve(&self, _now: Instant) -> Result<(), Instant> { Ok(()) }
///     fn release(&self) {}
///     fn observe(&self, _now: Instant, _announced: RateLimit) {}
/// }
///
/// let throttle = apifault::Throttle::with_store(Open);
/// # let _ = throttle;
/// ```
pub trait ThrottleStore: Send + Sync + fmt::Debug {
    /// Takes one request from the window: `Ok` to send now, `Err(at)` to
    /// ask again at `at`.
    fn reserve(&self, now: Instant) -> Result<(), Instant>;
    /// A reserved request has its response (or failed): it is no longer in
    /// flight.
    fn release(&self);
    /// A response announced `announced`.
    fn observe(&self, now: Instant, announced: RateLimit);
}

/// A shared, cheap client-side limiter; clones share one window.
///
/// Take a [`ThrottlePermit`] with [`acquire`](Throttle::acquire) before
/// each request, [`observe`](Throttle::observe) each response's headers,
/// then drop the permit (or use
/// `apifault::reqwest::send` with the `reqwest` feature, which does all three).
///
/// ```
/// use apifault::Throttle;
/// use http::HeaderMap;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let throttle = Throttle::new();
/// let permit = throttle.acquire().await;
/// let mut headers = HeaderMap::new(); // as the response announced:
/// headers.insert("ratelimit-remaining", "0".parse().unwrap());
/// headers.insert("ratelimit-reset", "30".parse().unwrap());
/// throttle.observe(&headers);
/// drop(permit);
///
/// let start = tokio::time::Instant::now();
/// let _next = throttle.acquire().await; // held until the window resets
/// assert_eq!(start.elapsed().as_secs(), 30);
/// # }
/// ```
#[derive(Clone)]
pub struct Throttle {
    store: Arc<dyn ThrottleStore>,
    clock: Option<Arc<dyn Clock>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttle")
            .field("store", &self.store)
            .field("clock", &self.clock)
            .finish()
    }
}

impl Throttle {
    /// A throttle kept in this process ([`LocalThrottle`]).
    ///
    /// ```
    /// let throttle = apifault::Throttle::new();
    /// # let _ = throttle;
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_store(LocalThrottle::default())
    }

    /// A throttle whose window lives in `store`.
    ///
    /// ```
    /// use apifault::{LocalThrottle, Throttle};
    /// let throttle = Throttle::with_store(LocalThrottle::default());
    /// # let _ = throttle;
    /// ```
    #[must_use]
    pub fn with_store(store: impl ThrottleStore + 'static) -> Self {
        Throttle {
            store: Arc::new(store),
            clock: None,
        }
    }

    /// Reads time and waits with `clock` (default: tokio's clock with the
    /// `tokio` feature).
    ///
    /// ```
    /// let throttle = apifault::Throttle::new().clock(apifault::ManualClock::new());
    /// # let _ = throttle;
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    fn now(&self) -> Instant {
        match &self.clock {
            Some(clock) => clock.now(),
            None => default_clock::now_async(),
        }
    }

    /// Waits until the window has room for one more request, and takes it.
    /// Dropping the returned permit says the request is no longer in flight.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let throttle = apifault::Throttle::new();
    /// let permit = throttle.acquire().await; // nothing known yet: at once
    /// drop(permit);
    /// # }
    /// ```
    pub async fn acquire(&self) -> ThrottlePermit {
        loop {
            let now = self.now();
            match self.store.reserve(now) {
                Ok(()) => {
                    return ThrottlePermit {
                        store: Arc::clone(&self.store),
                    };
                }
                Err(at) => {
                    let wait = at
                        .saturating_duration_since(now)
                        .max(Duration::from_millis(1));
                    tracing::debug!(target: "apifault", wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "throttle holds a request until the window resets");
                    match &self.clock {
                        Some(clock) => clock.sleep(wait).await,
                        None => default_clock::sleep(wait).await,
                    }
                }
            }
        }
    }

    /// Learns from a response's rate-limit headers (any of the forms
    /// [`headers::rate_limit`](crate::headers::rate_limit) reads).
    ///
    /// ```
    /// let throttle = apifault::Throttle::new();
    /// throttle.observe(&http::HeaderMap::new()); // no headers: nothing learnt
    /// ```
    pub fn observe(&self, headers: &HeaderMap) {
        if let Some(announced) = rate_limit(headers) {
            self.observe_rate_limit(announced);
        }
    }

    /// Learns from an already parsed announcement.
    ///
    /// ```
    /// use std::time::Duration;
    /// let throttle = apifault::Throttle::new();
    /// throttle.observe_rate_limit(apifault::RateLimit::new(150, 100, Duration::from_secs(200)));
    /// ```
    pub fn observe_rate_limit(&self, announced: RateLimit) {
        self.store.observe(self.now(), announced);
    }
}

/// One request in flight; see [`Throttle::acquire`].
#[derive(Debug)]
#[must_use = "the request counts as in flight until the permit is dropped"]
pub struct ThrottlePermit {
    store: Arc<dyn ThrottleStore>,
}

impl Drop for ThrottlePermit {
    fn drop(&mut self) {
        self.store.release();
    }
}

/// The in-process window behind [`Throttle::new`].
///
/// It counts requests down from the last announced `remaining`, never
/// trusting an announcement above its own count within one window (responses
/// arrive out of order), and discounts the requests still in flight, which
/// the server may already have counted. When `remaining` reaches zero it
/// holds requests until the announced reset, then allows the announced
/// `limit` (or, not knowing it, lets requests through to learn again).
///
/// ```
/// use apifault::{LocalThrottle, RateLimit, ThrottleStore};
/// use std::time::{Duration, Instant};
///
/// let window = LocalThrottle::default();
/// let t0 = Instant::now();
/// window.observe(t0, RateLimit::new(2, 1, Duration::from_secs(10)));
/// assert!(window.reserve(t0).is_ok());
/// assert_eq!(window.reserve(t0), Err(t0 + Duration::from_secs(10)));
/// assert!(window.reserve(t0 + Duration::from_secs(10)).is_ok(), "a new window");
/// ```
#[derive(Debug, Default)]
pub struct LocalThrottle {
    state: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    limit: Option<u64>,
    remaining: Option<u64>,
    reset_at: Option<Instant>,
    in_flight: u64,
}

/// Two announced resets this close apart belong to one window (the
/// announcements are whole seconds, taken at different moments).
const SAME_WINDOW: Duration = Duration::from_millis(1500);

impl LocalThrottle {
    fn with<R>(&self, f: impl FnOnce(&mut Window) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl ThrottleStore for LocalThrottle {
    fn reserve(&self, now: Instant) -> Result<(), Instant> {
        self.with(|w| {
            if w.reset_at.is_some_and(|at| now >= at) {
                w.reset_at = None;
                w.remaining = w.limit;
            }
            match w.remaining {
                Some(0) => match w.reset_at {
                    Some(at) => return Err(at),
                    // Spent, with no reset announced: let one through to learn.
                    None => w.remaining = None,
                },
                Some(n) => w.remaining = Some(n - 1),
                None => {}
            }
            w.in_flight = w.in_flight.saturating_add(1);
            Ok(())
        })
    }

    fn release(&self) {
        self.with(|w| w.in_flight = w.in_flight.saturating_sub(1));
    }

    fn observe(&self, now: Instant, announced: RateLimit) {
        self.with(|w| {
            if announced.limit.is_some() {
                w.limit = announced.limit;
            }
            let reset_at = announced.reset.and_then(|reset| now.checked_add(reset));
            let same_window = match (w.reset_at, reset_at) {
                (Some(old), Some(new)) => {
                    old.max(new).saturating_duration_since(old.min(new)) <= SAME_WINDOW
                }
                (_, None) => true,
                (None, Some(_)) => false,
            };
            if let Some(remaining) = announced.remaining {
                // Requests in flight besides the one answered may already be
                // counted by the server, or not yet: assume they are.
                let others = w.in_flight.saturating_sub(1);
                let remaining = remaining.saturating_sub(others);
                w.remaining = Some(match (same_window, w.remaining) {
                    (true, Some(local)) => local.min(remaining),
                    _ => remaining,
                });
            }
            if let Some(new) = reset_at
                && (!same_window || w.reset_at.is_none_or(|old| new > old))
            {
                w.reset_at = Some(new);
            }
        });
    }
}
