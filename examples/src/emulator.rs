//! What every emulator shares: per-endpoint scripts of faults (each fault is
//! the vendor's own error value, served with apifault's `IntoResponse`), a
//! log of the requests it received, a rate-limit quota per window, and a
//! maintenance window. The vendor modules add their routes and bodies.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use apifault::RateLimit;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::time::Instant;

/// One request an emulator received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The endpoint, as `"POST /titles"`.
    pub endpoint: String,
    /// The status it answered.
    pub status: u16,
    /// The `X-Request-Id` it answered with, if any.
    pub request_id: Option<String>,
}

/// A fixed window of `limit` requests per `window`, as the API enforces it.
#[derive(Clone, Copy, Debug)]
pub struct Quota {
    /// Requests allowed per window.
    pub limit: u64,
    /// The window's length.
    pub window: Duration,
}

#[derive(Debug)]
struct QuotaState {
    quota: Quota,
    started: Option<Instant>,
    used: u64,
    /// What the last counted request was told.
    last: Option<RateLimit>,
}

/// The state behind one emulator, shared by its handlers.
#[derive(Debug)]
pub struct Emulator<E> {
    scripts: Mutex<HashMap<String, VecDeque<E>>>,
    hits: Mutex<Vec<Hit>>,
    quota: Mutex<Option<QuotaState>>,
    maintenance_until: Mutex<Option<Instant>>,
    /// The prefix and last number of the request ids stamped on responses
    /// that carry none, when the API sends them.
    request_ids: Mutex<Option<(String, u64)>>,
}

impl<E> Default for Emulator<E> {
    fn default() -> Self {
        Emulator {
            scripts: Mutex::default(),
            hits: Mutex::default(),
            quota: Mutex::default(),
            maintenance_until: Mutex::default(),
            request_ids: Mutex::default(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the emulator decided before the endpoint's own handler runs.
#[derive(Debug)]
pub enum Gate<E> {
    /// Serve this scripted (or quota, or maintenance) error.
    Fail(E),
    /// Go on; `Some` carries the rate-limit state to announce.
    Pass(Option<RateLimit>),
}

impl<E> Emulator<E> {
    /// A new emulator, shared by its handlers.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The next requests to `endpoint` fail with `errors`, in order; then it
    /// answers normally again.
    pub fn script(&self, endpoint: &str, errors: impl IntoIterator<Item = E>) {
        lock(&self.scripts)
            .entry(endpoint.to_owned())
            .or_default()
            .extend(errors);
    }

    /// Enforces `quota` from now on.
    pub fn enforce(&self, quota: Quota) {
        *lock(&self.quota) = Some(QuotaState {
            quota,
            started: None,
            used: 0,
            last: None,
        });
    }

    /// Answers every request with the maintenance error for `duration`.
    pub fn maintenance_for(&self, duration: Duration) {
        *lock(&self.maintenance_until) = Some(Instant::now() + duration);
    }

    /// Whether the API is in its maintenance window.
    pub fn in_maintenance(&self) -> bool {
        lock(&self.maintenance_until).is_some_and(|until| Instant::now() < until)
    }

    /// The next scripted error for `endpoint`, if any.
    pub fn scripted(&self, endpoint: &str) -> Option<E> {
        lock(&self.scripts).get_mut(endpoint)?.pop_front()
    }

    /// Counts one request against the quota: `Err(state)` when it is over
    /// (the caller answers 429), `Ok(state)` with what is left.
    pub fn count(&self) -> Option<Result<RateLimit, RateLimit>> {
        let mut guard = lock(&self.quota);
        let state = guard.as_mut()?;
        let now = Instant::now();
        let started = match state.started {
            Some(started) if now < started + state.quota.window => started,
            _ => {
                state.started = Some(now);
                state.used = 0;
                now
            }
        };
        state.used += 1;
        let left = (started + state.quota.window).saturating_duration_since(now);
        // Whole seconds, rounded up: a client must not come back early.
        let reset = Duration::from_secs(left.as_secs() + u64::from(left.subsec_nanos() > 0));
        let remaining = state.quota.limit.saturating_sub(state.used);
        let announced = RateLimit::new(state.quota.limit, remaining, reset);
        state.last = Some(announced);
        Some(if state.used > state.quota.limit {
            Err(announced)
        } else {
            Ok(announced)
        })
    }

    /// Maintenance, the quota, then the script, in that order, decide
    /// whether `endpoint` fails before it does its work: `maintenance` and
    /// `rate_limited` build the vendor's own errors for the first two.
    pub fn gate(
        &self,
        endpoint: &str,
        maintenance: impl FnOnce() -> E,
        rate_limited: impl FnOnce(RateLimit) -> E,
    ) -> Gate<E> {
        if self.in_maintenance() {
            return Gate::Fail(maintenance());
        }
        let announced = match self.count() {
            Some(Err(announced)) => return Gate::Fail(rate_limited(announced)),
            Some(Ok(announced)) => Some(announced),
            None => None,
        };
        match self.scripted(endpoint) {
            Some(error) => Gate::Fail(error),
            None => Gate::Pass(announced),
        }
    }

    /// What the quota announced to the last request it counted: the
    /// rate-limit headers every response carries, errors included.
    pub fn announced(&self) -> Option<RateLimit> {
        lock(&self.quota).as_ref().and_then(|state| state.last)
    }

    /// Records that `endpoint` answered `status`.
    pub fn record(&self, endpoint: &str, status: u16) {
        self.record_answer(endpoint, status, None);
    }

    fn record_answer(&self, endpoint: &str, status: u16, request_id: Option<String>) {
        lock(&self.hits).push(Hit {
            endpoint: endpoint.to_owned(),
            status,
            request_id,
        });
    }

    /// From now on, every response [`answer`] serves without an
    /// `X-Request-Id` gets one: `{prefix}-000001`, `{prefix}-000002`, …
    pub fn send_request_ids(&self, prefix: &str) {
        *lock(&self.request_ids) = Some((prefix.to_owned(), 0));
    }

    fn next_request_id(&self) -> Option<String> {
        let mut ids = lock(&self.request_ids);
        let (prefix, last) = ids.as_mut()?;
        *last += 1;
        Some(format!("{prefix}-{last:06}"))
    }

    /// The request id of the last response, if it carried one.
    pub fn last_request_id(&self) -> Option<String> {
        lock(&self.hits).last()?.request_id.clone()
    }

    /// Every request so far.
    pub fn hits(&self) -> Vec<Hit> {
        lock(&self.hits).clone()
    }

    /// The status of every request so far, in order.
    pub fn statuses(&self) -> Vec<u16> {
        lock(&self.hits).iter().map(|hit| hit.status).collect()
    }

    /// How many requests `endpoint` received.
    pub fn hits_of(&self, endpoint: &str) -> usize {
        lock(&self.hits)
            .iter()
            .filter(|h| h.endpoint == endpoint)
            .count()
    }

    /// Forgets the requests seen so far.
    pub fn clear_hits(&self) {
        lock(&self.hits).clear();
    }
}

/// Writes `RateLimit-Limit`, `-Remaining` and `-Reset` (whole seconds,
/// rounded up as apifault's own servers round them).
pub fn insert_rate_limit(headers: &mut axum::http::HeaderMap, announced: RateLimit) {
    use apifault::rules::header;
    let pairs = [
        (header::RATELIMIT_LIMIT, announced.limit),
        (header::RATELIMIT_REMAINING, announced.remaining),
        (
            header::RATELIMIT_RESET,
            announced
                .reset
                .map(|r| apifault::rules::whole_seconds_up(r.as_secs(), r.subsec_nanos())),
        ),
    ];
    for (name, value) in pairs {
        if let Some(value) = value {
            headers.insert(name, axum::http::HeaderValue::from(value));
        }
    }
}

/// Serves `response` after recording it against `endpoint`.
pub fn answer<E>(emulator: &Emulator<E>, endpoint: &str, response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    if !response.headers().contains_key("x-request-id")
        && let Some(id) = emulator.next_request_id()
        && let Ok(id) = axum::http::HeaderValue::from_str(&id)
    {
        response.headers_mut().insert("x-request-id", id);
    }
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|id| id.to_str().ok())
        .map(str::to_owned);
    emulator.record_answer(endpoint, response.status().as_u16(), request_id);
    response
}

/// A loopback address where connections are refused, reserved for as long
/// as the returned socket lives: bound but never listening, so no test
/// running in parallel can take the port (as it could after closing a
/// listener).
pub fn refused_addr() -> std::io::Result<(SocketAddr, tokio::net::TcpSocket)> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind("127.0.0.1:0".parse().expect("loopback address"))?;
    Ok((socket.local_addr()?, socket))
}

/// Serves `app` on a fresh loopback port for as long as the runtime runs.
pub async fn serve(app: axum::Router) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}
