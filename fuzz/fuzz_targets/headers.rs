//! Every header parser on arbitrary bytes: none may panic, and each answer
//! must be one a caller can use (a wait that can be added to a clock).
#![no_main]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use apifault::headers::{
    parse_delay_seconds, parse_retry_after, rate_limit_at, request_id, retry_after_at, SATURATED_WAIT,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 9] = [
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-reset",
    "x-ratelimit-remaining",
    "x-request-id",
];

fuzz_target!(|data: &[u8]| {
    let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    for wait in [parse_delay_seconds(data), parse_retry_after(data, now)].into_iter().flatten() {
        assert!(wait <= SATURATED_WAIT);
        assert!(Instant::now().checked_add(wait).is_some());
        assert!(SystemTime::now().checked_add(wait).is_some());
    }
    // The same bytes split into header values, one per known name.
    let mut headers = HeaderMap::new();
    for (i, chunk) in data.split(|&b| b == b'\n').enumerate() {
        if let Ok(value) = HeaderValue::from_bytes(chunk) {
            headers.append(HeaderName::from_static(NAMES[i % NAMES.len()]), value);
        }
    }
    let names: Vec<HeaderName> = NAMES.iter().map(|n| HeaderName::from_static(n)).collect();
    if let Some(wait) = retry_after_at(&headers, &names, now) {
        assert!(wait <= SATURATED_WAIT);
    }
    if let Some(announced) = rate_limit_at(&headers, now) {
        assert!(announced.reset.is_none_or(|r| r <= SATURATED_WAIT));
    }
    if let Some(id) = request_id(&headers, &HeaderName::from_static("x-request-id")) {
        assert!(!id.is_empty() && id.trim() == id);
    }
});
