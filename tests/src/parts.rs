//! Responses made up in a test: headers from pairs, a response decoded
//! into an enum, and an error served by axum and decoded back.

use apifault::{FromResponse, ResponseParts};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// A header map from `(name, value)` pairs, repeated names appended.
pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
            HeaderValue::from_str(value).expect("test header value"),
        );
    }
    map
}

/// A response of `status`, with `pairs` as headers and `body`, decoded.
pub fn decode<E: FromResponse>(status: u16, pairs: &[(&str, &str)], body: &[u8]) -> E {
    let headers = headers(pairs);
    let status = StatusCode::from_u16(status).expect("test status");
    E::from_response(ResponseParts::new(status, &headers, body))
}

/// `error` served by its `IntoResponse` and decoded back.
pub async fn round_trip<E: axum::response::IntoResponse + FromResponse>(error: E) -> E {
    let (parts, body) = error.into_response().into_parts();
    let body = axum::body::to_bytes(body, 1 << 16).await.expect("body");
    E::from_response(ResponseParts::new(parts.status, &parts.headers, &body))
}
