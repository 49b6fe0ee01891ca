//! Behaviour and UI tests of apifault. The tests live in `tests/` (one topic
//! a file) and `ui/` (trybuild cases); this library holds the realistic error
//! enum several of them share.

use std::time::Duration;

use apifault::{ApiError, RateLimit};
use http::StatusCode;
use serde::Deserialize;

/// The body of a 422, as the On-Demand API sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ValidationBody {
    /// Field name to the messages about it.
    pub errors: Vec<FieldError>,
}

/// One validation message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FieldError {
    /// The offending field.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The errors of an On-Demand-like API, written as a user would: thiserror
/// for messages, serde for bodies, apifault for statuses and retries.
#[derive(Debug, thiserror::Error, ApiError)]
#[api(retry_after = "Ratelimit-Reset", request_id = "X-Request-Id", atomic)]
pub enum OnDemandError {
    /// 400.
    #[error("bad request: {body}")]
    #[api(status = 400)]
    BadRequest {
        /// The server's explanation, as text.
        #[api(body)]
        body: String,
    },

    /// 401.
    #[error("unauthorized")]
    #[api(status = 401)]
    Unauthorized,

    /// 404.
    #[error("not found")]
    #[api(status = 404)]
    NotFound,

    /// 405, 406 and 415.
    #[error("unsupported ({status})")]
    #[api(status = [405, 406, 415])]
    Unsupported {
        /// Which of the three.
        #[api(status)]
        status: StatusCode,
    },

    /// 422 with a typed body.
    #[error("validation failed: {body:?}")]
    #[api(status = 422)]
    Invalid {
        /// What was invalid.
        #[api(body)]
        body: ValidationBody,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },

    /// 429.
    #[error("rate limited")]
    #[api(status = 429)]
    RateLimited {
        /// `Ratelimit-Reset`.
        #[api(retry_after)]
        wait: Option<Duration>,
        /// All rate-limit headers.
        #[api(rate_limit)]
        rate_limit: Option<RateLimit>,
    },

    /// 503, maintenance mode.
    #[error("maintenance")]
    #[api(status = 503, retry = "after")]
    Maintenance {
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
        /// The wait the API announced, if any.
        #[api(retry_after)]
        wait: Option<Duration>,
    },

    /// Any other 5xx.
    #[error("server error {status}")]
    #[api(status = 500..=599)]
    Server {
        /// Which one.
        #[api(status)]
        status: StatusCode,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },

    /// Below HTTP.
    #[error(transparent)]
    #[api(transport)]
    Transport(#[from] std::io::Error),

    /// A file name the API would reject, caught before sending.
    #[error("file name {0:?} has a forbidden character")]
    BadFileName(String),

    /// Anything else.
    #[error("unexpected {status}")]
    #[api(other)]
    Other {
        /// The status.
        #[api(status)]
        status: StatusCode,
        /// The body, as text.
        #[api(body)]
        body: String,
        /// An optional header parsed with `FromStr`.
        #[api(header = "X-Trace-Depth")]
        trace_depth: Option<u32>,
    },
}

/// A small error enum for retry tests: one variant per retry behaviour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, ApiError)]
pub enum FlakyError {
    /// 404: never retried.
    #[error("not found")]
    #[api(status = 404)]
    NotFound,
    /// 429 with an optional hint: retried after the hint.
    #[error("rate limited")]
    #[api(status = 429)]
    RateLimited {
        /// The server's hint.
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    /// 500: backoff, not safe to resend.
    #[error("internal")]
    #[api(status = 500)]
    Internal,
    /// 503: backoff, safe to resend.
    #[error("unavailable")]
    #[api(status = 503)]
    Unavailable {
        /// For logs.
        #[api(request_id)]
        request_id: Option<String>,
    },
}

/// The same statuses for an API that promises atomic requests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, ApiError)]
#[api(atomic)]
pub enum AtomicError {
    /// 500: backoff, and safe to resend because the API is atomic.
    #[error("internal")]
    #[api(status = 500)]
    Internal,
}

/// An operation that fails with the given errors, in order, then succeeds
/// with the number of calls made; it counts every call.
#[derive(Debug)]
pub struct Script<E> {
    failures: std::sync::Mutex<std::collections::VecDeque<E>>,
    calls: std::sync::atomic::AtomicU32,
}

impl<E: Clone> Script<E> {
    /// Fails with `failures` in order, then succeeds.
    pub fn new(failures: impl IntoIterator<Item = E>) -> Self {
        Script {
            failures: std::sync::Mutex::new(failures.into_iter().collect()),
            calls: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// Fails with `error` forever.
    pub fn always(error: E) -> Self {
        Self::new(std::iter::repeat_n(error, 10_000))
    }

    /// One call.
    pub fn call(&self) -> Result<u32, E> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        match self.failures.lock().expect("script lock").pop_front() {
            Some(error) => Err(error),
            None => Ok(n),
        }
    }

    /// Calls made so far.
    pub fn calls(&self) -> u32 {
        self.calls.load(std::sync::atomic::Ordering::SeqCst)
    }
}

pub mod http_support;
pub mod parts;

/// An enum served by axum and decoded by reqwest: every variant must come
/// back the same after a trip over real HTTP.
#[derive(Debug, Clone, PartialEq, thiserror::Error, ApiError, apifault::IntoResponse)]
#[api(retry_after = "Ratelimit-Reset", request_id = "X-Request-Id")]
pub enum ServerError {
    /// 400 with a text body.
    #[error("bad request: {body}")]
    #[api(status = 400)]
    BadRequest {
        /// Sent as `text/plain`.
        #[api(body)]
        body: String,
    },
    /// 404, no body: served as a problem document.
    #[error("not found")]
    #[api(status = 404)]
    NotFound,
    /// 413 with raw bytes.
    #[error("too large")]
    #[api(status = 413)]
    TooLarge(#[api(body)] Vec<u8>),
    /// 422 with a typed JSON body and a request id.
    #[error("invalid")]
    #[api(status = 422)]
    Invalid {
        /// Sent as JSON.
        #[api(body)]
        body: Problem,
        /// `X-Request-Id`.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 429 with the wait and the rate-limit state.
    #[error("rate limited")]
    #[api(status = 429)]
    RateLimited {
        /// `Ratelimit-Reset`.
        #[api(retry_after)]
        wait: Option<Duration>,
        /// `Ratelimit-*`.
        #[api(rate_limit)]
        rate_limit: Option<RateLimit>,
        /// A header of the API's own.
        #[api(header = "X-Quota-Name")]
        quota: Option<String>,
    },
    /// 503 with an optional problem body.
    #[error("maintenance")]
    #[api(status = 503)]
    Maintenance {
        /// JSON when present.
        #[api(body)]
        body: Option<Problem>,
        /// `X-Request-Id`.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// Other 5xx.
    #[error("server error {status}")]
    #[api(status = 500..=599)]
    Server {
        /// Which one.
        #[api(status)]
        status: StatusCode,
    },
    /// Below HTTP, client side only.
    #[error("transport: {0}")]
    #[api(transport)]
    Transport(String),
    /// Anything else.
    #[error("unexpected {status}")]
    #[api(other)]
    Other {
        /// The status.
        #[api(status)]
        status: StatusCode,
        /// The body.
        #[api(body)]
        body: String,
    },
}

impl From<reqwest::Error> for ServerError {
    fn from(error: reqwest::Error) -> Self {
        ServerError::Transport(error.to_string())
    }
}

/// A problem body (RFC 9457 fields the tests use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Problem {
    /// What went wrong.
    pub detail: String,
    /// Where to read more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
}

pub mod throttle_sim;
