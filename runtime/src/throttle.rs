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
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let throttle = apifault::Throttle::new();
/// let permit: apifault::ThrottlePermit = throttle.acquire().await;
/// // … send the request, `throttle.observe(response.headers())` …
/// drop(permit);
/// # }
/// ```
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
/// `limit`. An announcement about a window that is already over (a slow
/// response) is ignored: windows only move forward. Once the API has
/// announced anything, a window whose budget is unknown (no `limit`, or no
/// reset after a spent window) is probed with one request at a time until a
/// response says more. An API that never announces a limit is not held at
/// all.
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
#[derive(Debug)]
pub struct LocalThrottle {
    max_wait: Duration,
    state: Mutex<Window>,
}

impl Default for LocalThrottle {
    fn default() -> Self {
        LocalThrottle {
            max_wait: DEFAULT_MAX_WAIT,
            state: Mutex::default(),
        }
    }
}

#[derive(Debug, Default)]
struct Window {
    /// Whether the API has announced anything at all.
    announces: bool,
    limit: Option<u64>,
    /// What is left of the current window; `None` when unknown.
    remaining: Option<u64>,
    /// When the current window ends, if known.
    ends: Option<Instant>,
    /// When the previous window ended: announcements about it are stale.
    ended: Option<Instant>,
    in_flight: u64,
}

/// Two announced resets this close apart belong to one window (the
/// announcements are whole seconds, taken at different moments).
const SAME_WINDOW: Duration = Duration::from_millis(1500);

/// The longest a [`LocalThrottle`] holds requests by default: a reset
/// announced further away is taken as this, after which one request probes
/// the window again. It keeps a wrong or hostile header (a reset of 136
/// years, an epoch time read as seconds) from stopping a client for good.
///
/// ```
/// assert_eq!(apifault::DEFAULT_MAX_WAIT.as_secs(), 300);
/// ```
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);

/// How often a request waiting for a probe's answer looks again.
const PROBE_INTERVAL: Duration = Duration::from_millis(50);

impl LocalThrottle {
    /// Holds requests at most `max_wait` per window (default
    /// [`DEFAULT_MAX_WAIT`], 300 s).
    ///
    /// ```
    /// use apifault::{LocalThrottle, Throttle};
    /// use std::time::Duration;
    /// let throttle = Throttle::with_store(LocalThrottle::default().max_wait(Duration::from_secs(60)));
    /// # let _ = throttle;
    /// ```
    #[must_use]
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    fn with<R>(&self, f: impl FnOnce(&mut Window) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl ThrottleStore for LocalThrottle {
    fn reserve(&self, now: Instant) -> Result<(), Instant> {
        self.with(|w| {
            if let Some(ends) = w.ends
                && now >= ends
            {
                // A new window: it allows the announced limit (unknown
                // without one, so probed).
                w.ended = Some(ends);
                w.ends = None;
                w.remaining = w.limit;
            }
            match w.remaining {
                Some(0) => {
                    return Err(match w.ends {
                        Some(ends) if ends > now => ends,
                        // Spent with no reset ahead: probe when nothing is in flight.
                        _ if w.in_flight == 0 => {
                            w.in_flight += 1;
                            return Ok(());
                        }
                        _ => now + PROBE_INTERVAL,
                    });
                }
                Some(n) => w.remaining = Some(n - 1),
                None if !w.announces => {}
                // Announcing API, unknown budget: one probe at a time.
                None if w.in_flight == 0 => {}
                None => return Err(now + PROBE_INTERVAL),
            }
            w.in_flight = w.in_flight.saturating_add(1);
            Ok(())
        })
    }

    fn release(&self) {
        self.with(|w| w.in_flight = w.in_flight.saturating_sub(1));
    }

    fn observe(&self, now: Instant, announced: RateLimit) {
        let max_wait = self.max_wait;
        self.with(|w| {
            w.announces = true;
            if announced.limit.is_some() {
                w.limit = announced.limit;
            }
            let ends = announced.reset.map(|reset| {
                if reset > max_wait {
                    tracing::warn!(target: "apifault", reset_s = reset.as_secs(), max_wait_s = max_wait.as_secs(), "the API announced a reset beyond the throttle's max_wait; probing after max_wait instead");
                }
                now.checked_add(reset.min(max_wait)).unwrap_or(now)
            });
            // An announcement about a window that is over, or older than the
            // one known, comes from a slow response: windows only move forward.
            if let Some(new) = ends
                && (new <= now
                    || w.ends.is_some_and(|known| new + SAME_WINDOW < known)
                    || w.ended.is_some_and(|ended| new <= ended + SAME_WINDOW))
            {
                return;
            }
            let same_window = match (w.ends, ends) {
                (Some(known), Some(new)) => known.max(new).saturating_duration_since(known.min(new)) <= SAME_WINDOW,
                (Some(_), None) => true,
                (None, _) => false,
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
            if let Some(new) = ends
                && (!same_window || w.ends.is_none_or(|known| new > known))
            {
                w.ends = Some(new);
            }
        });
    }
}
