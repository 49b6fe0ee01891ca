//! The shapes a derived enum can take: tuple, struct and unit variants,
//! generic enums, every body and header field type, and the derive next to
//! thiserror and serde on one enum.

use std::time::Duration;

use apifault::{ApiError, FromResponse, ResponseParts, Retry};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};

fn parts<'a>(status: u16, headers: &'a HeaderMap, body: &'a [u8]) -> ResponseParts<'a> {
    ResponseParts::new(StatusCode::from_u16(status).unwrap(), headers, body)
}

#[derive(Debug, PartialEq, Deserialize, Serialize)]
struct Problem {
    detail: String,
    docs_url: Option<String>,
}

/// thiserror, serde and apifault on one enum: helper attributes do not clash.
#[derive(Debug, thiserror::Error, ApiError, Serialize)]
#[serde(rename_all = "snake_case")]
enum MediaError {
    #[error("not found: {}", problem.detail)]
    #[api(status = 404)]
    NotFound {
        #[api(body)]
        problem: Problem,
    },
    #[error("too large")]
    #[api(status = 413)]
    TooLarge(#[api(body)] Option<Problem>, #[serde(skip)] Quota),
    #[error("rate limited, retry after {0:?}")]
    #[api(status = 429)]
    RateLimited(#[api(retry_after)] Option<Duration>),
    #[error("raw {0:?}")]
    #[api(status = 502)]
    BadGateway(#[api(body)] Vec<u8>),
    #[error("unexpected {status}")]
    #[api(other)]
    Other {
        #[api(status)]
        #[serde(skip)]
        status: StatusCode,
        #[api(body)]
        body: Option<String>,
    },
}

/// A field without `#[api]`: filled with `Default::default()`.
#[derive(Debug, Default, PartialEq)]
struct Quota(u32);

#[test]
fn three_derives_coexist() {
    let headers = HeaderMap::new();
    let e = MediaError::from_response(parts(
        404,
        &headers,
        br#"{"detail": "asset 7 not in workspace"}"#,
    ));
    assert_eq!(e.to_string(), "not found: asset 7 not in workspace");
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!({"not_found": {"problem": {"detail": "asset 7 not in workspace", "docs_url": null}}})
    );
    assert_eq!(e.retry(), Retry::Never);
}

#[test]
fn tuple_fields_and_optional_body() {
    let headers = HeaderMap::new();
    let e = MediaError::from_response(parts(413, &headers, b"not json"));
    assert!(matches!(e, MediaError::TooLarge(None, Quota(0))), "{e:?}");
    let e = MediaError::from_response(parts(
        413,
        &headers,
        br#"{"detail": "use the presigned URL"}"#,
    ));
    assert!(
        matches!(&e, MediaError::TooLarge(Some(p), _) if p.detail == "use the presigned URL"),
        "{e:?}"
    );
}

#[test]
fn retry_after_in_a_tuple_variant_uses_the_default_header() {
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("12"));
    let e = MediaError::from_response(parts(429, &headers, b""));
    assert!(matches!(e, MediaError::RateLimited(Some(w)) if w == Duration::from_secs(12)));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(12)));
}

#[test]
fn bytes_body_is_kept_raw() {
    let headers = HeaderMap::new();
    let e = MediaError::from_response(parts(502, &headers, b"\xff\x00blob"));
    assert!(matches!(&e, MediaError::BadGateway(b) if b == b"\xff\x00blob"));
}

#[test]
fn empty_optional_text_body_is_none() {
    let headers = HeaderMap::new();
    let e = MediaError::from_response(parts(409, &headers, b""));
    assert!(matches!(&e, MediaError::Other { body: None, status } if status.as_u16() == 409));
    let e = MediaError::from_response(parts(409, &headers, b"taken"));
    assert!(matches!(&e, MediaError::Other { body: Some(b), .. } if b == "taken"));
}

/// A generic enum: the derive bounds each field type by what its role needs.
#[derive(Debug, ApiError)]
#[api(retry_after = ["Retry-After", "X-Wait"])]
enum Generic<B, H = u64>
where
    B: std::fmt::Debug,
{
    #[api(status = 400)]
    Bad {
        #[api(body)]
        body: B,
        #[api(header = "X-Attempts")]
        attempts: H,
    },
    #[api(status = 429)]
    Slow {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
        #[api(body)]
        body: Option<B>,
    },
}

#[derive(Debug, Deserialize, PartialEq)]
struct Reason {
    reason: String,
}

#[test]
fn generic_enums_get_the_bounds_they_need() {
    let mut headers = HeaderMap::new();
    headers.insert("x-attempts", HeaderValue::from_static("3"));
    let e = Generic::<Reason>::from_response(parts(400, &headers, br#"{"reason": "no"}"#));
    assert!(
        matches!(&e, Generic::Bad { body, attempts: 3 } if body.reason == "no"),
        "{e:?}"
    );

    // A required header that is missing sends the response to `other`.
    let e = Generic::<Reason>::from_response(parts(400, &HeaderMap::new(), br#"{"reason": "no"}"#));
    assert!(
        matches!(&e, Generic::Other { status: 400, body: Some(r) } if r.reason == "no"),
        "{e:?}"
    );
}

#[test]
fn retry_after_names_are_tried_in_order() {
    let mut headers = HeaderMap::new();
    headers.insert("x-wait", HeaderValue::from_static("4"));
    let e = Generic::<Reason, u8>::from_response(parts(429, &headers, b""));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(4)));
    headers.insert("retry-after", HeaderValue::from_static("9"));
    let e = Generic::<Reason, u8>::from_response(parts(429, &headers, b""));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(9)));
}

/// An enum without `other`: `ApiError` only, classification still works.
#[derive(Debug, ApiError)]
enum ClassifyOnly<'a> {
    #[api(status = 404)]
    Missing(&'a str),
    #[api(status = 408)]
    Timeout,
}

#[test]
fn enums_with_lifetimes_classify() {
    let missing = ClassifyOnly::Missing("x");
    assert!(matches!(missing, ClassifyOnly::Missing(name) if name == "x"));
    assert_eq!(missing.retry(), Retry::Never);
    assert_eq!(ClassifyOnly::Timeout.retry(), Retry::Backoff);
    assert_eq!(
        ClassifyOnly::Timeout.status(),
        Some(StatusCode::REQUEST_TIMEOUT)
    );
}

/// An empty enum derives too (there is nothing to classify).
#[derive(Debug, ApiError)]
enum Never {}

#[test]
fn empty_enums_derive() {
    fn assert_api_error<E: ApiError>() {}
    assert_api_error::<Never>();
}
