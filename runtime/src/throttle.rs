//! [`Throttle`]: a client-side rate limiter that learns the API's window
//! from the rate-limit headers of every response and holds the next request
//! while the window is spent, so a well-behaved client never sees a 429.

use core::fmt;
use core::future::Future as _;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use http::HeaderMap;

use crate::clock::{Clock, default as default_clock};
use crate::headers::{RateLimit, rate_limit};
use crate::response::FromResponse;

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
    /// [`release`](Self::release), saying which request (the one reserved
    /// at `sent`) and when: a store can then tell which requests were
    /// answered after another was sent. The default forgets both.
    ///
    /// ```
    /// use apifault::{LocalThrottle, ThrottleStore};
    /// use std::time::Instant;
    ///
    /// let window = LocalThrottle::default();
    /// let sent = Instant::now();
    /// assert!(window.reserve(sent).is_ok());
    /// window.release_sent(sent, sent);
    /// ```
    fn release_sent(&self, sent: Instant, now: Instant) {
        let _ = (sent, now);
        self.release();
    }
    /// A response announced `announced`.
    fn observe(&self, now: Instant, announced: RateLimit);
    /// The response to a request reserved at `sent` announced `announced`.
    /// Knowing when the answered request was sent lets a store place the
    /// announcement in time (which window it speaks of); the default
    /// forgets it and calls [`observe`](Self::observe).
    ///
    /// ```
    /// use apifault::{LocalThrottle, RateLimit, ThrottleStore};
    /// use std::time::{Duration, Instant};
    ///
    /// let window = LocalThrottle::default();
    /// let sent = Instant::now();
    /// assert!(window.reserve(sent).is_ok());
    /// window.observe_response(sent, sent, RateLimit::new(10, 0, Duration::from_secs(5)));
    /// window.release_sent(sent, sent);
    /// assert_eq!(window.reserve(sent), Err(sent + Duration::from_secs(6)));
    /// ```
    fn observe_response(&self, sent: Instant, now: Instant, announced: RateLimit) {
        let _ = sent;
        self.observe(now, announced);
    }
    /// For a store that lives in another process (`apifault::redis` with
    /// the `redis` feature): the reservation as a future, answered with the
    /// store's own time. `Ok(sent)` lets the request through, `sent` being
    /// the store's time of the reservation (handed back to
    /// [`observe_response`](Self::observe_response) and
    /// [`release_sent`](Self::release_sent), whose `now` such a store
    /// ignores); `Err(wait)` asks again after `wait`, or sooner if this
    /// process learns something. When it returns `Some`, [`Throttle`] uses it
    /// instead of [`reserve`](Self::reserve). The default, `None`, keeps an
    /// in-process store synchronous and free of allocation.
    ///
    /// ```
    /// use apifault::{LocalThrottle, ThrottleStore};
    /// assert!(LocalThrottle::default().reserve_remote().is_none());
    /// ```
    fn reserve_remote(&self) -> Option<RemoteReservation<'_>> {
        None
    }
}

/// What [`ThrottleStore::reserve_remote`] returns: the store's time of the
/// reservation, or how long to wait before asking again.
///
/// ```
/// use apifault::RemoteReservation;
/// use std::time::Duration;
/// let held: RemoteReservation<'static> = Box::pin(async { Err(Duration::from_millis(50)) });
/// # let _ = held;
/// ```
pub type RemoteReservation<'a> =
    core::pin::Pin<Box<dyn core::future::Future<Output = Result<Instant, Duration>> + Send + 'a>>;

/// A shared, cheap client-side limiter; clones share one window.
///
/// Take a [`ThrottlePermit`] with [`acquire`](Throttle::acquire) before
/// each request, [`observe`](ThrottlePermit::observe) each response's
/// headers through it, then drop the permit (or use
/// `apifault::reqwest::send` with the `reqwest` feature, which does all
/// three). Held requests wake as soon as an answer or a released permit
/// changes what the throttle knows. See [`LocalThrottle`] for what it
/// promises and how.
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
/// permit.observe(&headers);
/// drop(permit);
///
/// let start = tokio::time::Instant::now();
/// let _next = throttle.acquire().await; // held until the window surely reset
/// assert_eq!(start.elapsed().as_secs(), 31, "a reset of 30 s, rounded up or down by the server");
/// # }
/// ```
#[derive(Clone)]
pub struct Throttle {
    store: Arc<dyn ThrottleStore>,
    clock: Option<Arc<dyn Clock>>,
    /// Wakes the requests the throttle holds when something was learnt or
    /// released, rather than at their next deadline only.
    changed: Arc<Changed>,
}

/// A counter of changes, and the tasks waiting for the next one.
#[derive(Default)]
struct Changed {
    seen: Mutex<(u64, Vec<Waker>)>,
}

impl Changed {
    fn epoch(&self) -> u64 {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).0
    }

    fn notify(&self) {
        let wakers = {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            seen.0 = seen.0.wrapping_add(1);
            if seen.1.is_empty() {
                return;
            }
            core::mem::take(&mut seen.1)
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// Ready once the epoch is past `epoch`.
    fn poll_after(&self, epoch: u64, cx: &mut Context<'_>) -> Poll<()> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.0 != epoch {
            return Poll::Ready(());
        }
        if !seen.1.iter().any(|waker| waker.will_wake(cx.waker())) {
            seen.1.push(cx.waker().clone());
        }
        Poll::Pending
    }
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
            changed: Arc::default(),
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
            let epoch = self.changed.epoch();
            let reserved = match self.store.reserve_remote() {
                Some(remote) => remote.await,
                None => {
                    let now = self.now();
                    self.store
                        .reserve(now)
                        .map(|()| now)
                        .map_err(|at| at.saturating_duration_since(now))
                }
            };
            match reserved {
                Ok(sent) => {
                    return ThrottlePermit {
                        throttle: self.clone(),
                        sent,
                    };
                }
                Err(wait) => {
                    let wait = wait.max(Duration::from_millis(1));
                    tracing::debug!(target: "apifault", wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "throttle holds a request until the window resets");
                    // Until the time the store named, or until an answer
                    // or a release changes what it knows.
                    let mut sleep = core::pin::pin!(async {
                        match &self.clock {
                            Some(clock) => clock.sleep(wait).await,
                            None => default_clock::sleep(wait).await,
                        }
                    });
                    core::future::poll_fn(|cx| {
                        if sleep.as_mut().poll(cx).is_ready() {
                            return Poll::Ready(());
                        }
                        self.changed.poll_after(epoch, cx)
                    })
                    .await;
                }
            }
        }
    }

    /// Learns from a response's rate-limit headers (any of the forms
    /// [`headers::rate_limit`](crate::headers::rate_limit) reads), not
    /// knowing which request it answers: prefer
    /// [`ThrottlePermit::observe`], which does, and so tells a newer window
    /// from a late answer about the one before sooner.
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

    /// Learns from a response of the API whose errors `E` describes: the
    /// rate-limit headers `E` names with `#[api(rate_limit(...))]` (say
    /// OpenAI's `x-ratelimit-remaining-requests`), or the standard ones for
    /// an enum that names none ([`FromResponse::rate_limit`]).
    ///
    /// ```
    /// use apifault::{ApiError, Throttle};
    ///
    /// #[derive(Debug, ApiError)]
    /// #[api(rate_limit(remaining = "x-ratelimit-remaining-requests",
    ///                  reset = duration("x-ratelimit-reset-requests")))]
    /// enum LlmError {
    ///     #[api(other)]
    ///     Other { #[api(status)] status: http::StatusCode },
    /// }
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("x-ratelimit-remaining-requests", "0".parse().unwrap());
    /// headers.insert("x-ratelimit-reset-requests", "1m30s".parse().unwrap());
    /// Throttle::new().observe_for::<LlmError>(&headers);
    /// ```
    pub fn observe_for<E: FromResponse>(&self, headers: &HeaderMap) {
        if let Some(announced) = E::rate_limit(headers) {
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
        self.changed.notify();
    }
}

/// One request in flight; see [`Throttle::acquire`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let throttle = apifault::Throttle::new();
/// let permit: apifault::ThrottlePermit = throttle.acquire().await;
/// // … send the request, `permit.observe(response.headers())` …
/// drop(permit);
/// # }
/// ```
#[derive(Debug)]
#[must_use = "the request counts as in flight until the permit is dropped"]
pub struct ThrottlePermit {
    throttle: Throttle,
    /// When the request was let through.
    sent: Instant,
}

impl ThrottlePermit {
    /// Learns from the headers of this request's response. Better than
    /// [`Throttle::observe`]: the throttle knows when the answered request
    /// was sent, so it can tell an announcement about a newer window from a
    /// late one about the window before.
    ///
    /// ```
    /// use http::HeaderMap;
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let throttle = apifault::Throttle::new();
    /// let permit = throttle.acquire().await;
    /// let mut headers = HeaderMap::new(); // as the response announced:
    /// headers.insert("ratelimit-remaining", "0".parse().unwrap());
    /// headers.insert("ratelimit-reset", "30".parse().unwrap());
    /// permit.observe(&headers);
    /// drop(permit);
    ///
    /// let start = tokio::time::Instant::now();
    /// let _next = throttle.acquire().await; // held until the window surely reset
    /// assert_eq!(start.elapsed().as_secs(), 31, "30 s, rounded either way");
    /// # }
    /// ```
    pub fn observe(&self, headers: &HeaderMap) {
        if let Some(announced) = rate_limit(headers) {
            self.observe_rate_limit(announced);
        }
    }

    /// Learns from the headers of this request's response, read as `E`
    /// reads them (its `#[api(rate_limit(...))]` headers, else the standard
    /// ones); see [`Throttle::observe_for`] and [`observe`](Self::observe).
    ///
    /// ```
    /// # use apifault::ApiError;
    /// # #[derive(Debug, ApiError)]
    /// # #[api(rate_limit(used = "X-Shopify-Shop-Api-Call-Limit"))]
    /// # enum ShopifyError { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let throttle = apifault::Throttle::new();
    /// let permit = throttle.acquire().await;
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("x-shopify-shop-api-call-limit", "32/40".parse().unwrap());
    /// permit.observe_for::<ShopifyError>(&headers);
    /// # }
    /// ```
    pub fn observe_for<E: FromResponse>(&self, headers: &HeaderMap) {
        if let Some(announced) = E::rate_limit(headers) {
            self.observe_rate_limit(announced);
        }
    }

    /// Learns from this request's already parsed announcement; see
    /// [`observe`](Self::observe).
    ///
    /// ```
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let throttle = apifault::Throttle::new();
    /// let permit = throttle.acquire().await;
    /// permit.observe_rate_limit(apifault::RateLimit::new(150, 100, Duration::from_secs(200)));
    /// # }
    /// ```
    pub fn observe_rate_limit(&self, announced: RateLimit) {
        let throttle = &self.throttle;
        throttle
            .store
            .observe_response(self.sent, throttle.now(), announced);
        throttle.changed.notify();
    }
}

impl Drop for ThrottlePermit {
    fn drop(&mut self) {
        self.throttle
            .store
            .release_sent(self.sent, self.throttle.now());
        self.throttle.changed.notify();
    }
}

/// The in-process window behind [`Throttle::new`].
///
/// What it promises: it never lets more requests into a server's window than
/// the server announced were left, whatever the window's length (one second
/// included), whether the server rounds its reset up or down, and however
/// many tasks share it. How:
///
/// - A window's budget is counted from the answer that announced the fewest
///   requests left (the last one the server counted): what it announced,
///   less every other request the server may have counted after it (those
///   in flight, and those answered after it was sent), except those whose
///   own answers announced more left (counted before it). An answer to a
///   request sent after that answer arrived, announcing as many left or
///   more, is about a newer window (within one window, counts only fall),
///   and the budget is counted from it.
/// - A reset of `S` seconds, rounded either way by the server, means the
///   window ends within `S + 1` seconds of the response: that is when a
///   spent window is surely over. The last request a window allows is held
///   until `S` seconds after the response, when a server that rounds up has
///   already started the next window: it is sent into whichever window is
///   current, and its answer says which (so a server that rounds up loses
///   no time, one that rounds down loses less than a second).
/// - Once a window is surely over, one request asks the next window's
///   budget before any other is sent: the requests of the old window still
///   in flight, or answered late, may have been counted in the new one.
/// - An answer about a window surely over before the current one can end
///   (a late one) teaches nothing; one that cannot be placed in time only
///   ever lowers the budget.
/// - The very first request goes alone: its answer may announce a window
///   smaller than the number of tasks waiting.
///
/// Once the API has announced anything, a window whose budget is unknown
/// (no `remaining`, or just after a window ended) is probed with one
/// request at a time until a response says more; a spent window with no
/// announced reset is probed the same way. An API that never announces a
/// limit is not held at all. A reset beyond `max_wait` is taken as
/// `max_wait`.
///
/// ```
/// use apifault::{LocalThrottle, RateLimit, ThrottleStore};
/// use std::time::{Duration, Instant};
///
/// let window = LocalThrottle::default();
/// let t0 = Instant::now();
/// assert!(window.reserve(t0).is_ok());
/// // The answer: one left after this one, the window resets in 10 s.
/// window.observe_response(t0, t0, RateLimit::new(3, 1, Duration::from_secs(10)));
/// window.release_sent(t0, t0);
/// // The last one is held until the window may have reset (10 s)...
/// assert_eq!(window.reserve(t0), Err(t0 + Duration::from_secs(10)));
/// assert!(window.reserve(t0 + Duration::from_secs(10)).is_ok());
/// // ...and nothing more is sent until the window is surely over (11 s),
/// // unless an answer says it is.
/// assert_eq!(window.reserve(t0 + Duration::from_secs(10)), Err(t0 + Duration::from_secs(11)));
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

#[derive(Clone, Debug, Default)]
pub(crate) struct Window {
    /// Whether the API has announced anything at all.
    announces: bool,
    /// Whether any request was answered yet.
    answered: bool,
    /// The answer the budget is counted from; `None` when the budget is
    /// unknown (one request at a time, once the API announces).
    anchor: Option<Anchor>,
    /// When the current window surely ends, if known.
    ends: Option<Instant>,
    /// When the next window may have begun: the last request of the
    /// current window waits until then.
    last_at: Option<Instant>,
    /// When the current view of the window was taken (the answer that
    /// opened it arrived, or the previous window surely ended): answers to
    /// requests sent before cannot open a window.
    since: Option<Instant>,
    /// The current window ends no earlier than this, when known.
    earliest: Option<Instant>,
    /// One request probes an unknown budget.
    probing: bool,
    /// The requests in flight, and those answered recently, in the order
    /// they were let through.
    log: VecDeque<Record>,
    in_flight: u64,
    next_id: u64,
    /// The latest time the store was told.
    last_now: Option<Instant>,
}

/// The answer a window's budget is counted from: the one that announced
/// the fewest requests left, so the last the server counted.
#[derive(Clone, Copy, Debug)]
struct Anchor {
    id: u64,
    left: u64,
    /// When the request it answers was sent.
    sent: Instant,
    /// When the answer arrived.
    at: Instant,
}

/// One request let through.
#[derive(Clone, Copy, Debug)]
struct Record {
    id: u64,
    sent: Instant,
    answered: Option<Instant>,
    /// What its answer announced was left.
    left: Option<u64>,
}

/// The most requests a [`LocalThrottle`] remembers.
const REMEMBERED: usize = 1 << 16;

impl Window {
    /// What may still be sent: the anchor's `left`, less every other
    /// request the server may have counted after it (in flight, or answered
    /// after the anchor's request was sent), except those whose own answer
    /// announced more left (counted before it, or in an older window).
    fn remaining(&self) -> Option<u64> {
        let anchor = self.anchor?;
        let after = self
            .log
            .iter()
            .filter(|r| {
                r.id != anchor.id
                    && r.left.is_none_or(|left| left <= anchor.left)
                    && r.answered.is_none_or(|at| at >= anchor.sent)
            })
            .count();
        Some(anchor.left.saturating_sub(after as u64))
    }

    /// Forgets answered requests that can no longer count: answered before
    /// every request still in flight (and so any future anchor) was sent.
    fn prune(&mut self) {
        let oldest_in_flight = self
            .log
            .iter()
            .find(|r| r.answered.is_none())
            .map(|r| r.sent);
        let bound = match (oldest_in_flight, self.anchor) {
            (Some(sent), Some(anchor)) => Some(sent.min(anchor.sent)),
            (Some(sent), None) => Some(sent),
            (None, Some(anchor)) => Some(anchor.sent),
            (None, None) => None,
        };
        while let Some(front) = self.log.front() {
            let forget = match (front.answered, bound) {
                (Some(at), Some(bound)) => at < bound,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if !forget && self.log.len() <= REMEMBERED {
                break;
            }
            self.log.pop_front();
        }
    }

    /// The request an answer belongs to: the unanswered one sent at
    /// `sent`, or without it the oldest one not yet heard of.
    fn record(&mut self, sent: Option<Instant>) -> Option<&mut Record> {
        self.log.iter_mut().find(|r| {
            r.answered.is_none() && r.left.is_none() && sent.is_none_or(|sent| r.sent == sent)
        })
    }

    fn answer(&mut self, sent: Option<Instant>, now: Instant) {
        let record = self
            .log
            .iter_mut()
            .find(|r| r.answered.is_none() && sent.is_none_or(|sent| r.sent == sent));
        if let Some(record) = record {
            record.answered = Some(now);
            self.in_flight = self.in_flight.saturating_sub(1);
        }
        self.answered = true;
        self.prune();
    }

    fn open(&mut self, anchor: Anchor, reset: Option<Duration>, max_wait: Duration, now: Instant) {
        self.anchor = Some(anchor);
        self.ends = reset.map(|reset| add(now, reset.saturating_add(ROUNDING).min(max_wait)));
        self.last_at = reset.map(|reset| add(now, reset));
        self.earliest =
            reset.and_then(|reset| anchor.sent.checked_add(reset)?.checked_sub(ROUNDING));
        self.since = Some(now);
        self.probing = false;
    }
}

/// [`LocalThrottle::DEFAULT_MAX_WAIT`].
pub(crate) const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);

/// How often a request waiting for a probe's answer looks again, at the
/// latest ([`Throttle::acquire`] also wakes as soon as an answer arrives).
const PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// A reset's rounding: a server may round it up or down.
const ROUNDING: Duration = Duration::from_secs(1);

impl LocalThrottle {
    /// The longest a [`LocalThrottle`] holds requests by default: a reset
    /// announced further away is taken as this, after which one request
    /// probes the window again. It keeps a wrong or hostile header (a reset
    /// of 136 years, an epoch time read as seconds) from stopping a client
    /// for good.
    ///
    /// ```
    /// assert_eq!(apifault::LocalThrottle::DEFAULT_MAX_WAIT.as_secs(), 300);
    /// ```
    pub const DEFAULT_MAX_WAIT: Duration = DEFAULT_MAX_WAIT;

    /// Holds requests at most `max_wait` per window (default
    /// [`DEFAULT_MAX_WAIT`](Self::DEFAULT_MAX_WAIT), 300 s).
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

    /// A copy of the window, to decide on without committing
    /// ([`restore`](Self::restore) puts it back).
    #[cfg(feature = "redis")]
    pub(crate) fn save(&self) -> Window {
        self.with(|w| w.clone())
    }

    #[cfg(feature = "redis")]
    pub(crate) fn restore(&self, saved: Window) {
        self.with(|w| *w = saved);
    }

    /// A reservation another worker made at `now`: counted whatever this
    /// view would have decided.
    #[cfg(feature = "redis")]
    pub(crate) fn reserved_elsewhere(&self, now: Instant) {
        if self.reserve(now).is_err() {
            self.with(|w| w.let_through(now));
        }
    }

    /// Takes requests in flight since before `before` as answered at `now`
    /// (still counted against the window's budget): a worker that died
    /// with requests in flight never releases them, and the fleet would
    /// otherwise never probe the next window.
    #[cfg(feature = "redis")]
    pub(crate) fn abandon_sent_before(&self, before: Instant, now: Instant) {
        self.with(|w| {
            let mut abandoned = 0;
            for record in w.log.iter_mut() {
                if record.answered.is_none() && record.sent < before {
                    record.answered = Some(now);
                    abandoned += 1;
                }
            }
            w.in_flight = w.in_flight.saturating_sub(abandoned);
        });
    }

    fn with<R>(&self, f: impl FnOnce(&mut Window) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn learn(&self, sent: Option<Instant>, now: Instant, announced: RateLimit) {
        let max_wait = self.max_wait;
        self.with(|w| {
            w.last_now = w.last_now.max(Some(now));
            w.announces = true;
            let reset = announced.reset.map(|reset| {
                if reset > max_wait {
                    tracing::warn!(target: "apifault", reset_s = reset.as_secs(), max_wait_s = max_wait.as_secs(), "the API announced a reset beyond the throttle's max_wait; probing after max_wait instead");
                }
                reset.min(max_wait)
            });
            // Without the time the answered request was sent, take the
            // oldest one in flight: the earlier, the more may count after it.
            let probing = w.probing && w.in_flight <= 1;
            let (id, sent) = match w.record(sent) {
                Some(record) => {
                    record.left = announced.remaining;
                    (record.id, record.sent)
                }
                None => {
                    w.next_id += 1;
                    (w.next_id, sent.unwrap_or(now))
                }
            };
            // Whether the answered request was sent after the current view
            // was taken.
            let ordered = w.since.is_none_or(|since| sent >= since);
            let Some(left) = announced.remaining else {
                if w.ends.is_none() && ordered {
                    w.ends = reset.map(|reset| add(now, reset.saturating_add(ROUNDING).min(max_wait)));
                    w.last_at = reset.map(|reset| add(now, reset));
                }
                return;
            };
            let anchor = Anchor { id, left, sent, at: now };
            let newer = w.since.is_none()
                || (ordered && (probing || w.anchor.is_none()))
                // Counts only fall within a window: a request sent after the
                // anchor's answer arrived, announcing as many left or more,
                // was counted in a newer window.
                || w.anchor.is_some_and(|a| sent >= a.at && left >= a.left)
                // Or its window surely ends after the current one.
                || w.ends.zip(reset).is_some_and(|(ends, reset)| {
                    sent.checked_add(reset)
                        .zip(ends.checked_add(ROUNDING))
                        .is_some_and(|(earliest, after)| earliest >= after)
                });
            if newer {
                w.open(anchor, reset, max_wait, now);
                return;
            }
            // An answer that surely speaks of a window over before the
            // current one can end is about an older one: nothing to learn.
            if w.earliest.zip(reset).is_some_and(|(earliest, reset)| {
                add(now, reset.saturating_add(ROUNDING)) < earliest
            }) {
                return;
            }
            // Fewer left than the anchor: counted after it (or in a newer
            // window, which then holds less than the budget counted so far).
            if w.anchor.is_some_and(|a| left < a.left) {
                w.anchor = Some(anchor);
                // Counted after the answer that opened the view: in its
                // window or a newer one. Its own reset bounds the end of
                // its window, the one the budget is now counted in. The
                // end known so far bounds it too only if the answer surely
                // came from the same window: processed (so answered)
                // before the current window can have ended. Otherwise the
                // known end may be the older window's, and probing there
                // sends a request into a spent newer window (the
                // proptest's seed 631365506593595845: a 1 s reset of the
                // window before kept the end at 2.95 s while the anchor's
                // window, spent, ran to 3.1 s).
                if ordered && let Some(reset) = reset {
                    let ends = add(now, reset.saturating_add(ROUNDING).min(max_wait));
                    let same_window = w.earliest.is_some_and(|earliest| now < earliest);
                    w.ends = Some(match w.ends {
                        Some(known) if same_window => known.min(ends),
                        _ => ends,
                    });
                    if let Some(own) = sent.checked_add(reset).and_then(|at| at.checked_sub(ROUNDING)) {
                        w.earliest = Some(w.earliest.map_or(own, |known| known.max(own)));
                    }
                    let last_at = add(now, reset);
                    w.last_at = Some(w.last_at.map_or(last_at, |known| known.min(last_at)));
                }
            }
            if w.ends.is_none() && ordered {
                w.ends = reset.map(|reset| add(now, reset.saturating_add(ROUNDING).min(max_wait)));
                w.last_at = reset.map(|reset| add(now, reset));
            }
        });
    }
}

fn add(now: Instant, wait: Duration) -> Instant {
    now.checked_add(wait).unwrap_or(now)
}

impl ThrottleStore for LocalThrottle {
    fn reserve(&self, now: Instant) -> Result<(), Instant> {
        self.with(|w| {
            w.last_now = w.last_now.max(Some(now));
            if let Some(ends) = w.ends
                && now >= ends
            {
                // The window is surely over. Its requests still in flight,
                // or answered late, may count in the next one: ask the next
                // one's budget with one request before sending more.
                w.anchor = None;
                w.ends = None;
                w.last_at = None;
                w.earliest = None;
                w.since = Some(now);
                w.probing = false;
            }
            w.prune();
            match w.remaining() {
                Some(0) => {
                    return match w.ends {
                        Some(ends) => Err(ends),
                        // Spent with no reset known: probe when nothing is in flight.
                        None if w.in_flight == 0 => {
                            w.probing = true;
                            w.since = Some(now);
                            w.anchor = None;
                            Ok(())
                        }
                        None => Err(add(now, PROBE_INTERVAL)),
                    }
                    .map(|()| w.let_through(now));
                }
                // The last request waits until the next window may have
                // begun, and tells which window it went to.
                Some(1) if w.last_at.is_some_and(|at| now < at) => {
                    return Err(w.last_at.unwrap_or(now));
                }
                Some(_) => {}
                // Before the first answer, one request: it may announce a
                // window smaller than the tasks waiting to send.
                None if !w.announces && (w.answered || w.in_flight == 0) => {}
                None if !w.announces => return Err(add(now, PROBE_INTERVAL)),
                // Announcing API, unknown budget: one request at a time.
                None if w.in_flight == 0 => w.probing = true,
                None => return Err(add(now, PROBE_INTERVAL)),
            }
            w.let_through(now);
            Ok(())
        })
    }

    fn release(&self) {
        // Not knowing which request nor when: the oldest, as late as
        // anything the store was told.
        self.with(|w| {
            let at = w.last_now;
            match at {
                Some(at) => w.answer(None, at),
                None => {
                    w.log.clear();
                    w.in_flight = 0;
                    w.answered = true;
                }
            }
        });
    }

    fn release_sent(&self, sent: Instant, now: Instant) {
        self.with(|w| {
            w.last_now = w.last_now.max(Some(now));
            w.answer(Some(sent), now);
        });
    }

    fn observe(&self, now: Instant, announced: RateLimit) {
        self.learn(None, now, announced);
    }

    fn observe_response(&self, sent: Instant, now: Instant, announced: RateLimit) {
        self.learn(Some(sent), now, announced);
    }
}

impl Window {
    fn let_through(&mut self, now: Instant) {
        self.next_id += 1;
        self.in_flight += 1;
        self.log.push_back(Record {
            id: self.next_id,
            sent: now,
            answered: None,
            left: None,
        });
    }
}
