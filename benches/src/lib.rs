//! Shared fixtures of the benchmarks and the retry-storm simulation: one
//! realistic error enum decoded by the derive, the same enum decoded by a
//! hand-written `match` (the baseline), and a set of responses.

pub mod conditions;
pub mod dialects;
pub mod storm;

use std::time::Duration;

use apifault::headers;
use apifault::{ApiError, FromResponse, RateLimit, ResponseParts, Retry};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::Deserialize;

/// A 422 body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Validation {
    /// The messages.
    pub errors: Vec<String>,
}

/// The derived enum.
#[derive(Debug, ApiError)]
#[api(retry_after = "Ratelimit-Reset", request_id = "X-Request-Id", atomic)]
pub enum Derived {
    /// 400.
    #[api(status = 400)]
    BadRequest {
        /// Text.
        #[api(body)]
        body: String,
    },
    /// 404.
    #[api(status = 404)]
    NotFound,
    /// 422.
    #[api(status = 422)]
    Invalid {
        /// JSON.
        #[api(body)]
        body: Validation,
        /// Id.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 429.
    #[api(status = 429)]
    RateLimited {
        /// Hint.
        #[api(retry_after)]
        wait: Option<Duration>,
        /// Limits.
        #[api(rate_limit)]
        rate_limit: Option<RateLimit>,
    },
    /// 503.
    #[api(status = 503, retry = "backoff")]
    Maintenance {
        /// Id.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 5xx.
    #[api(status = 500..=599)]
    Server {
        /// Which.
        #[api(status)]
        status: StatusCode,
    },
    /// The rest.
    #[api(other)]
    Other {
        /// Status.
        #[api(status)]
        status: StatusCode,
        /// Body.
        #[api(body)]
        body: String,
    },
}

/// The same enum, decoded and classified by hand: what a careful user would
/// write without the derive, calling the same header parsers.
#[derive(Debug)]
pub enum Manual {
    /// 400.
    BadRequest(String),
    /// 404.
    NotFound,
    /// 422.
    Invalid(Validation, Option<String>),
    /// 429.
    RateLimited(Option<Duration>, Option<RateLimit>),
    /// 503.
    Maintenance(Option<String>),
    /// 5xx.
    Server(StatusCode),
    /// The rest.
    Other(StatusCode, String),
}

static RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

impl Manual {
    fn request_id(headers: &HeaderMap) -> Option<String> {
        headers::request_id(headers, &X_REQUEST_ID).map(str::to_owned)
    }

    /// Decodes like the derive does.
    #[must_use]
    pub fn decode(parts: ResponseParts<'_>) -> Self {
        let other = || {
            Manual::Other(
                parts.status,
                String::from_utf8_lossy(parts.body).into_owned(),
            )
        };
        match parts.status.as_u16() {
            400 => Manual::BadRequest(String::from_utf8_lossy(parts.body).into_owned()),
            404 => Manual::NotFound,
            422 => match serde_json::from_slice(parts.body) {
                Ok(body) => Manual::Invalid(body, Self::request_id(parts.headers)),
                Err(_) => other(),
            },
            429 => Manual::RateLimited(
                headers::retry_after(parts.headers, std::slice::from_ref(&RATELIMIT_RESET)),
                headers::rate_limit(parts.headers),
            ),
            503 => Manual::Maintenance(Self::request_id(parts.headers)),
            500..=599 => Manual::Server(parts.status),
            _ => other(),
        }
    }

    /// Classifies like the derive does.
    #[must_use]
    pub fn retry(&self) -> Retry {
        match self {
            Manual::RateLimited(..) => Retry::After,
            Manual::Maintenance(_) => Retry::Backoff,
            Manual::Server(status) | Manual::Other(status, _) => Retry::for_status(*status),
            _ => Retry::Never,
        }
    }
}

/// The responses both decoders see, in turn: a realistic mix.
#[must_use]
pub fn responses() -> Vec<(StatusCode, HeaderMap, Vec<u8>)> {
    let mut limited = HeaderMap::new();
    for (name, value) in [
        ("ratelimit-limit", "150"),
        ("ratelimit-remaining", "0"),
        ("ratelimit-reset", "200"),
    ] {
        limited.insert(name, HeaderValue::from_static(value));
    }
    let mut with_id = HeaderMap::new();
    with_id.insert("x-request-id", HeaderValue::from_static("req-000042"));
    with_id.insert("content-type", HeaderValue::from_static("application/json"));
    vec![
        (StatusCode::NOT_FOUND, with_id.clone(), Vec::new()),
        (
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            b"body is not valid XML".to_vec(),
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            with_id.clone(),
            br#"{"errors": ["Name can't be blank", "Year is not a number"]}"#.to_vec(),
        ),
        (StatusCode::TOO_MANY_REQUESTS, limited, Vec::new()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            with_id.clone(),
            b"maintenance".to_vec(),
        ),
        (StatusCode::BAD_GATEWAY, HeaderMap::new(), Vec::new()),
        (
            StatusCode::IM_A_TEAPOT,
            with_id,
            b"short and stout".to_vec(),
        ),
    ]
}

/// Decodes and classifies every response with the derive.
pub fn derived(responses: &[(StatusCode, HeaderMap, Vec<u8>)]) -> usize {
    responses
        .iter()
        .map(|(status, headers, body)| {
            let e = Derived::from_response(ResponseParts::new(*status, headers, body));
            usize::from(e.retry() != Retry::Never)
        })
        .sum()
}

/// Decodes and classifies every response by hand.
pub fn manual(responses: &[(StatusCode, HeaderMap, Vec<u8>)]) -> usize {
    responses
        .iter()
        .map(|(status, headers, body)| {
            let e = Manual::decode(ResponseParts::new(*status, headers, body));
            usize::from(e.retry() != Retry::Never)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    /// The benches compare like with like: each derived decoder and its
    /// hand-written baseline agree on every response they are timed on.
    #[test]
    fn decoders_agree_with_their_baselines() {
        let plain = super::responses();
        assert_eq!(super::derived(&plain), super::manual(&plain));
        let conditions = super::conditions::responses();
        assert_eq!(
            super::conditions::derived(&conditions),
            super::conditions::manual(&conditions)
        );
        let dialects = super::dialects::responses();
        assert_eq!(
            super::dialects::derived(&dialects),
            super::dialects::manual(&dialects)
        );
        assert!(
            super::dialects::derived(&dialects) > 1_500,
            "hints were read"
        );
    }
}
