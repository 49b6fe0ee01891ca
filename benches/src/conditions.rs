//! The conditions bench's fixtures: an enum that tells variants apart by
//! header values, a body code and the server's `should_retry` header
//! (GitHub's and Stripe's rules), decoded by the derive and by a careful
//! hand-written equivalent calling the same header parsers.

use std::time::Duration;

use apifault::headers;
use apifault::{ApiError, FromResponse, ResponseParts, Retry};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// The derived enum.
#[derive(Debug, ApiError)]
#[api(code = "/error/code", request_id = "X-Request-Id")]
pub enum Derived {
    /// GitHub's primary limit.
    #[api(
        status = [403, 429],
        when(header = "x-ratelimit-remaining: 0"),
        retry = "after",
        retry_after = "X-RateLimit-Reset"
    )]
    PrimaryRateLimit {
        /// Until the reset.
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    /// GitHub's secondary limit.
    #[api(status = [403, 429], when(header = "retry-after"), retry = "after")]
    SecondaryRateLimit {
        /// Retry-After.
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    /// Stripe's lock timeout.
    #[api(status = 400, when(code = "lock_timeout"), retry = "backoff")]
    LockTimeout,
    /// A throttling code on any status.
    #[api(when(code = ["rate_limit", "ThrottlingException"]), retry = "backoff")]
    Throttled,
    /// Any other 403.
    #[api(status = 403)]
    Forbidden,
    /// Any other 4xx.
    #[api(status = 400..=499)]
    Invalid {
        /// Which.
        #[api(status)]
        status: StatusCode,
        /// The server's word.
        #[api(should_retry)]
        should_retry: Option<bool>,
    },
    /// The rest.
    #[api(other)]
    Other {
        /// Which.
        #[api(status)]
        status: StatusCode,
        /// The server's word.
        #[api(should_retry)]
        should_retry: Option<bool>,
    },
}

/// The same enum, decoded and classified by hand.
#[derive(Debug)]
pub enum Manual {
    /// Primary.
    PrimaryRateLimit(Option<Duration>),
    /// Secondary.
    SecondaryRateLimit(Option<Duration>),
    /// Lock.
    LockTimeout,
    /// Throttled.
    Throttled,
    /// 403.
    Forbidden,
    /// 4xx.
    Invalid(StatusCode, Option<bool>),
    /// Rest.
    Other(StatusCode, Option<bool>),
}

static REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
static RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
static RETRY_AFTER: HeaderName = HeaderName::from_static("retry-after");
static SHOULD_RETRY: HeaderName = HeaderName::from_static("x-should-retry");

fn error_code(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    match json.pointer("/error/code")? {
        serde_json::Value::String(code) => Some(code.clone()),
        serde_json::Value::Number(code) => Some(code.to_string()),
        _ => None,
    }
}

impl Manual {
    /// Decodes like the derive does.
    #[must_use]
    pub fn decode(parts: ResponseParts<'_>) -> Self {
        let status = parts.status;
        let h = parts.headers;
        let remaining_zero = || {
            h.get(&REMAINING)
                .is_some_and(|v| v.as_bytes().trim_ascii().eq_ignore_ascii_case(b"0"))
        };
        let mut code: Option<Option<String>> = None;
        let mut code = || code.get_or_insert_with(|| error_code(parts.body)).clone();
        match status.as_u16() {
            403 | 429 if remaining_zero() => {
                return Manual::PrimaryRateLimit(headers::retry_after(
                    h,
                    std::slice::from_ref(&RESET),
                ));
            }
            403 | 429 if h.contains_key(&RETRY_AFTER) => {
                return Manual::SecondaryRateLimit(headers::retry_after(
                    h,
                    std::slice::from_ref(&RETRY_AFTER),
                ));
            }
            400 if code().as_deref() == Some("lock_timeout") => return Manual::LockTimeout,
            _ => {}
        }
        if !status.is_success()
            && matches!(
                code().as_deref(),
                Some("rate_limit" | "ThrottlingException")
            )
        {
            return Manual::Throttled;
        }
        let should_retry = || headers::should_retry(h, &SHOULD_RETRY);
        match status.as_u16() {
            403 => Manual::Forbidden,
            400..=499 => Manual::Invalid(status, should_retry()),
            _ => Manual::Other(status, should_retry()),
        }
    }

    /// Classifies like the derive does.
    #[must_use]
    pub fn retry(&self) -> Retry {
        let obey = |retry: Retry, said: Option<bool>| match said {
            None => retry,
            Some(false) => Retry::Never,
            Some(true) if retry == Retry::Never => Retry::Backoff,
            Some(true) => retry,
        };
        match self {
            Manual::PrimaryRateLimit(_) | Manual::SecondaryRateLimit(_) => Retry::After,
            Manual::LockTimeout | Manual::Throttled => Retry::Backoff,
            Manual::Forbidden => Retry::Never,
            Manual::Invalid(status, said) | Manual::Other(status, said) => {
                obey(Retry::for_status(*status), *said)
            }
        }
    }
}

/// The responses both decoders see: every variant, twice as many 4xx
/// bodies with codes as without.
#[must_use]
pub fn responses() -> Vec<(StatusCode, HeaderMap, Vec<u8>)> {
    let map = |pairs: &[(&'static str, &'static str)]| {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    };
    let json = |s: &str| s.as_bytes().to_vec();
    vec![
        (
            StatusCode::FORBIDDEN,
            map(&[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1700000000"),
                ("x-request-id", "req-1"),
            ]),
            json(r#"{"message": "API rate limit exceeded"}"#),
        ),
        (
            StatusCode::FORBIDDEN,
            map(&[("x-ratelimit-remaining", "4999"), ("retry-after", "30")]),
            json(r#"{"message": "secondary rate limit"}"#),
        ),
        (
            StatusCode::FORBIDDEN,
            map(&[("x-ratelimit-remaining", "4999")]),
            json(r#"{"message": "Resource not accessible"}"#),
        ),
        (
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            json(r#"{"error": {"code": "lock_timeout", "message": "try again"}}"#),
        ),
        (
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            json(r#"{"error": {"code": "ThrottlingException"}}"#),
        ),
        (
            StatusCode::PAYMENT_REQUIRED,
            map(&[("x-should-retry", "false")]),
            json(r#"{"error": {"code": "card_declined", "message": "declined"}}"#),
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            map(&[("x-should-retry", "true")]),
            Vec::new(),
        ),
        (StatusCode::NOT_FOUND, HeaderMap::new(), Vec::new()),
    ]
}

/// Decodes and classifies every response with the derive.
pub fn derived(responses: &[(StatusCode, HeaderMap, Vec<u8>)]) -> usize {
    responses
        .iter()
        .map(|(status, headers, body)| {
            let e = Derived::from_response(ResponseParts::new(*status, headers, body));
            usize::from(e.retry() != Retry::Never) + usize::from(e.retry_after().is_some())
        })
        .sum()
}

/// Decodes and classifies every response by hand.
pub fn manual(responses: &[(StatusCode, HeaderMap, Vec<u8>)]) -> usize {
    responses
        .iter()
        .map(|(status, headers, body)| {
            let e = Manual::decode(ResponseParts::new(*status, headers, body));
            let hint = match &e {
                Manual::PrimaryRateLimit(wait) | Manual::SecondaryRateLimit(wait) => *wait,
                _ => None,
            };
            usize::from(e.retry() != Retry::Never) + usize::from(hint.is_some())
        })
        .sum()
}
