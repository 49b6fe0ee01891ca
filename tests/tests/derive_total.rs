//! Decoding is total: any status, header and body bytes give some variant,
//! never a panic, and that variant reports the status it was decoded from.

use std::time::Duration;

use apifault::{ApiError, FromResponse, ResponseParts};
use apifault_tests::OnDemandError;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "retry-after",
    "ratelimit-reset",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit",
    "ratelimit-policy",
    "x-ratelimit-remaining",
    "x-request-id",
    "x-trace-depth",
    "content-type",
    "x-mode",
    "x-should-retry",
    "x-ratelimit-reset",
];

fn header_map() -> impl Strategy<Value = HeaderMap> {
    let value = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        "[0-9 \t]{0,25}".prop_map(String::into_bytes),
        r#"("[a-z]+";r=-?[0-9]{1,20};t=[0-9]{1,20}|limit=[0-9]+, remaining=[0-9]+)"#
            .prop_map(String::into_bytes),
    ];
    proptest::collection::vec((0..NAMES.len(), value), 0..8).prop_map(|pairs| {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                map.append(HeaderName::from_static(NAMES[name]), value);
            }
        }
        map
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        // Error codes where the pointers look, in every JSON shape.
        r#"\{"error": \{"code": ("(lock|rate)_[a-z]{0,6}"|-?[0-9]{1,25}(\.[0-9]+)?|null|true|\[\]|\{\})\}\}"#
            .prop_map(String::into_bytes),
        r#"\{"__type": ("ThrottlingException"|[0-9e.+-]{1,30}|"[^"]{0,10}"), "error": .{0,20}\}"#
            .prop_map(String::into_bytes),
        Just(br#"{"errors": [{"field": "a", "message": "b"}]}"#.to_vec()),
        "\\{\"errors\": \\[.{0,30}\\]\\}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn decoding_never_panics_and_keeps_the_status(
        code in 100u16..=999,
        headers in header_map(),
        body in body(),
    ) {
        let status = StatusCode::from_u16(code).unwrap();
        let e = OnDemandError::from_response(ResponseParts::new(status, &headers, &body));
        prop_assert_eq!(e.status(), Some(status));
        // Classification is total as well.
        let _ = (e.retry(), e.retry_after(), e.request_id(), e.safe_to_resend());
        let _ = e.to_string();
    }
}

fn is_odd(parts: &ResponseParts<'_>) -> bool {
    parts.body.len() % 2 == 1
}

/// Every kind of condition at once, with code pointers. (The fields are
/// decoded, not read: the property is that decoding never panics.)
#[allow(dead_code)]
#[derive(Debug, ApiError)]
#[api(code = ["/error/code", "/__type"], retry_after = ["Retry-After", "X-RateLimit-Reset"])]
enum Conditional {
    #[api(status = [403, 429], when(header = "x-ratelimit-remaining: 0"), retry = "after",
          retry_after = "X-RateLimit-Reset")]
    Primary {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[api(status = 400, when(code = ["lock_timeout", "12"]), retry = "backoff")]
    Lock {
        #[api(should_retry)]
        should_retry: Option<bool>,
    },
    #[api(
        when(code = "ThrottlingException", header = "x-mode"),
        retry = "backoff"
    )]
    Throttled {
        #[api(status)]
        status: StatusCode,
    },
    #[api(status = 400..=499, when = is_odd, retry = "never")]
    Odd {
        #[api(body)]
        body: Option<serde_json::Value>,
    },
    #[api(status = 429, default_wait = "60s")]
    RateLimited {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
        #[api(should_retry)]
        should_retry: Option<bool>,
    },
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn decoding_with_conditions_never_panics(
        code in 100u16..=999,
        headers in header_map(),
        body in body(),
    ) {
        let status = StatusCode::from_u16(code).unwrap();
        let e = Conditional::from_response(ResponseParts::new(status, &headers, &body));
        // A variant that keeps its status keeps the one it came with.
        if let Conditional::Other { status: got, .. } | Conditional::Throttled { status: got } = &e {
            prop_assert_eq!(*got, status);
        }
        let _ = (e.status(), e.retry(), e.retry_after(), e.request_id(), e.safe_to_resend());
        if matches!(e, Conditional::RateLimited { wait: None }) {
            prop_assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
        }
    }
}
