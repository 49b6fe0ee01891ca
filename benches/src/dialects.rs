//! The dialects bench's fixtures: typed hints (milliseconds, Go
//! durations), an API's own rate-limit headers, a body condition and errors
//! inside a 2xx, decoded by the derive and by a careful hand-written
//! equivalent calling the same readers.

use std::time::Duration;

use apifault::{ApiError, FromResponse, RateLimit, ResponseParts, Retry, headers, hints};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// The derived enum.
#[derive(Debug, ApiError)]
#[api(
    retry_after = [ms("retry-after-ms"), "Retry-After"],
    rate_limit(limit = "x-ratelimit-limit-requests",
               remaining = "x-ratelimit-remaining-requests",
               reset = duration("x-ratelimit-reset-requests")),
    error_2xx(body = "/ok: false"),
    code = "/error",
)]
pub enum Derived {
    /// An error inside a 200.
    #[api(status = 200, when(code = "ratelimited"), retry = "after")]
    InBand {
        /// Hint.
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    /// Out of credit.
    #[api(
        status = 429,
        when(body = "/error/type: insufficient_quota"),
        retry = "never"
    )]
    Quota,
    /// Rate limited.
    #[api(status = 429)]
    RateLimited {
        /// Hint.
        #[api(retry_after)]
        wait: Option<Duration>,
        /// Limits.
        #[api(rate_limit)]
        limits: Option<RateLimit>,
    },
    /// The rest.
    #[api(other)]
    Other {
        /// Which.
        #[api(status)]
        status: StatusCode,
    },
}

/// The same enum, by hand.
#[derive(Debug)]
pub enum Manual {
    /// In band.
    InBand(Option<Duration>),
    /// Quota.
    Quota,
    /// Rate limited.
    RateLimited(Option<Duration>, Option<RateLimit>),
    /// Rest.
    Other(StatusCode),
}

static RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");
static LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit-requests");
static REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining-requests");
static RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset-requests");

fn count(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl Manual {
    fn hint(parts: &ResponseParts<'_>) -> Option<Duration> {
        if let Some(wait) = parts
            .headers
            .get(&RETRY_AFTER_MS)
            .and_then(|v| hints::parse_ms(v.as_bytes()))
        {
            return Some(wait);
        }
        headers::retry_after(
            parts.headers,
            std::slice::from_ref(&http::header::RETRY_AFTER),
        )
    }

    /// Whether a response is an error: not 2xx, or `"ok": false`.
    #[must_use]
    pub fn is_error(parts: &ResponseParts<'_>) -> bool {
        if !parts.status.is_success() {
            return true;
        }
        serde_json::from_slice::<serde_json::Value>(parts.body)
            .ok()
            .is_some_and(|json| json.pointer("/ok") == Some(&serde_json::Value::Bool(false)))
    }

    /// Decodes like the derive does.
    #[must_use]
    pub fn decode(parts: ResponseParts<'_>) -> Self {
        let json = serde_json::from_slice::<serde_json::Value>(parts.body).ok();
        let at = |pointer: &str| {
            json.as_ref()
                .and_then(|j| j.pointer(pointer))
                .and_then(|v| v.as_str())
        };
        match parts.status.as_u16() {
            200 if at("/error") == Some("ratelimited") => Manual::InBand(Self::hint(&parts)),
            429 if at("/error/type") == Some("insufficient_quota") => Manual::Quota,
            429 => {
                let h = parts.headers;
                let present = [&LIMIT, &REMAINING, &RESET]
                    .iter()
                    .any(|n| h.contains_key(*n));
                let limits = present.then(|| RateLimit {
                    limit: count(h, &LIMIT),
                    remaining: count(h, &REMAINING),
                    reset: h
                        .get(&RESET)
                        .and_then(|v| hints::parse_duration(v.as_bytes())),
                });
                Manual::RateLimited(Self::hint(&parts), limits)
            }
            _ => Manual::Other(parts.status),
        }
    }

    /// Classifies like the derive does.
    #[must_use]
    pub fn retry(&self) -> Retry {
        match self {
            Manual::InBand(_) | Manual::RateLimited(..) => Retry::After,
            Manual::Quota => Retry::Never,
            Manual::Other(status) => Retry::for_status(*status),
        }
    }

    /// The hint.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Manual::InBand(wait) | Manual::RateLimited(wait, _) => *wait,
            _ => None,
        }
    }
}

/// The responses both decoders see: two successes, four errors.
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
            StatusCode::OK,
            HeaderMap::new(),
            json(r#"{"ok": true, "channel": "C1", "ts": "1.2"}"#),
        ),
        (
            StatusCode::OK,
            map(&[("retry-after", "30")]),
            json(r#"{"ok": false, "error": "ratelimited"}"#),
        ),
        (
            StatusCode::TOO_MANY_REQUESTS,
            map(&[
                ("retry-after-ms", "1500"),
                ("retry-after", "2"),
                ("x-ratelimit-limit-requests", "500"),
                ("x-ratelimit-remaining-requests", "0"),
                ("x-ratelimit-reset-requests", "6m0s"),
            ]),
            json(r#"{"error": {"type": "requests", "message": "slow down"}}"#),
        ),
        (
            StatusCode::TOO_MANY_REQUESTS,
            HeaderMap::new(),
            json(r#"{"error": {"type": "insufficient_quota"}}"#),
        ),
        (
            StatusCode::CREATED,
            HeaderMap::new(),
            json(r#"{"ok": true}"#),
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            HeaderMap::new(),
            Vec::new(),
        ),
    ]
}

/// Checks, decodes and classifies every response with the derive.
pub fn derived(responses: &[(StatusCode, HeaderMap, Vec<u8>)]) -> u128 {
    responses
        .iter()
        .map(|(status, headers, body)| {
            let parts = ResponseParts::new(*status, headers, body);
            if !Derived::is_error(&parts) {
                return 0;
            }
            let e = Derived::from_response(parts);
            u128::from(e.retry() != Retry::Never) + e.retry_after().map_or(0, |w| w.as_millis())
        })
        .sum()
}

/// Checks, decodes and classifies every response by hand.
pub fn manual(responses: &[(StatusCode, HeaderMap, Vec<u8>)]) -> u128 {
    responses
        .iter()
        .map(|(status, headers, body)| {
            let parts = ResponseParts::new(*status, headers, body);
            if !Manual::is_error(&parts) {
                return 0;
            }
            let e = Manual::decode(parts);
            u128::from(e.retry() != Retry::Never) + e.retry_after().map_or(0, |w| w.as_millis())
        })
        .sum()
}
