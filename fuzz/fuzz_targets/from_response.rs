//! `FromResponse` of a derived enum on an arbitrary status, headers and
//! body: decoding is total (never panics) and the variant it picks reports
//! the status it was decoded from.
#![no_main]

use std::time::Duration;

use apifault::{ApiError, FromResponse, RateLimit, ResponseParts};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Problem {
    detail: String,
    fields: Option<Vec<(String, u32)>>,
}

#[derive(Debug, ApiError)]
#[api(retry_after = ["Retry-After", "Ratelimit-Reset", "RateLimit"], request_id = "X-Request-Id")]
#[allow(dead_code)]
enum E {
    #[api(status = 400)]
    Bad { #[api(status)] status: StatusCode, #[api(body)] body: String },
    #[api(status = 422)]
    Invalid { #[api(status)] status: StatusCode, #[api(body)] problem: Problem, #[api(request_id)] id: Option<String> },
    #[api(status = 413)]
    Large { #[api(status)] status: u16, #[api(body)] problem: Option<Problem>, #[api(header = "X-Max")] max: Option<u64> },
    #[api(status = 429)]
    Limited { #[api(status)] status: u16, #[api(retry_after)] wait: Option<Duration>, #[api(rate_limit)] limit: Option<RateLimit> },
    #[api(status = [409, 410])]
    Gone { #[api(status)] status: StatusCode, #[api(header = "X-Count")] count: u32 },
    #[api(status = 500..=599)]
    Server { #[api(status)] status: StatusCode, #[api(body)] raw: Vec<u8> },
    #[api(other)]
    Other { #[api(status)] status: StatusCode, #[api(body)] body: String },
}

const NAMES: [&str; 8] =
    ["retry-after", "ratelimit", "ratelimit-reset", "ratelimit-policy", "x-request-id", "x-max", "x-count", "content-type"];

fuzz_target!(|data: &[u8]| {
    let [hi, lo, rest @ ..] = data else { return };
    let Ok(status) = StatusCode::from_u16(100 + u16::from_be_bytes([*hi, *lo]) % 900) else { return };
    // Header lines up to an empty line, then the body.
    let mut headers = HeaderMap::new();
    let mut body: &[u8] = rest;
    let mut lines = rest.split(|&b| b == b'\n');
    let mut consumed = 0;
    for (i, line) in lines.by_ref().enumerate() {
        consumed += line.len() + 1;
        if line.is_empty() {
            body = rest.get(consumed..).unwrap_or_default();
            break;
        }
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(HeaderName::from_static(NAMES[i % NAMES.len()]), value);
        }
    }
    let e = E::from_response(ResponseParts::new(status, &headers, body));
    assert_eq!(e.status(), Some(status), "{e:?}");
    let _ = (e.retry(), e.retry_after(), e.request_id(), e.safe_to_resend(), e.is_retryable());
});
