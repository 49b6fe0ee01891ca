//! Decoding is total: any status, header and body bytes give some variant,
//! never a panic, and that variant reports the status it was decoded from.

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
