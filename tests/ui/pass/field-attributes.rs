//! Every field key with each type it accepts, in struct and tuple variants,
//! plus fields without `#[api]` (filled with `Default::default()`).
use std::time::Duration;

use apifault::{ApiError, FromResponse, RateLimit, ResponseParts};
use http::StatusCode;

#[derive(serde::Deserialize)]
struct Problem {
    detail: String,
}

#[derive(ApiError)]
enum E {
    #[api(status = 400)]
    Text {
        #[api(body)]
        body: String,
        #[api(request_id)]
        request_id: String,
        count: u32,
    },
    #[api(status = 401)]
    Bytes(#[api(body)] Vec<u8>, #[api(request_id)] Option<String>),
    #[api(status = 402)]
    Json {
        #[api(body)]
        problem: Problem,
        #[api(header = "X-Quota")]
        quota: u64,
    },
    #[api(status = 403)]
    MaybeJson {
        #[api(body)]
        problem: Option<Problem>,
        #[api(header = "X-Quota")]
        quota: Option<u64>,
    },
    #[api(status = 429)]
    Slow {
        #[api(retry_after)]
        wait: Option<Duration>,
        #[api(rate_limit)]
        rate_limit: Option<RateLimit>,
    },
    #[api(status = 500..=599)]
    Server(#[api(status)] u16),
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
        #[api(body)]
        body: Vec<u8>,
        #[api(header = "Content-Type")]
        content_type: Option<String>,
        notes: Vec<String>,
    },
}

fn main() {
    let headers = http::HeaderMap::new();
    let e = E::from_response(ResponseParts::new(StatusCode::FORBIDDEN, &headers, b""));
    assert!(matches!(e, E::MaybeJson { problem: None, quota: None }));
    if let E::Json { problem, .. } = E::from_response(ResponseParts::new(StatusCode::PAYMENT_REQUIRED, &headers, br#"{"detail":"x"}"#)) {
        panic!("a missing X-Quota must send the response to `other`, got {}", problem.detail);
    }
    assert_eq!(E::Server(502).status(), Some(StatusCode::BAD_GATEWAY));
}
