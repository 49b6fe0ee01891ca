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
