//! The generated code names only `::apifault::__private` and `::core`, so a
//! user's own `core`, `std`, `Option`, `Result`, `bool` or `str` items next to
//! the enum do not break it, nor do constants named like the expansion's own
//! locals; and an enum written by a `macro_rules!` derives too.

#![allow(dead_code, non_camel_case_types, non_upper_case_globals)]

mod shadowed {
    mod core {}
    mod std {}
    struct Option;
    struct Some;
    struct None;
    struct Result;
    struct Ok;
    struct Err;
    struct StatusCode;
    struct Duration;
    struct HeaderName;
    struct Default;
    struct bool;
    struct str;
    struct usize;
    const __parts: u8 = 0;
    const __value: u8 = 0;
    const __response: u8 = 0;
    const __body: u8 = 0;
    const __error: u8 = 0;
    const __claimed: u8 = 0;
    const __field_0: u8 = 0;
    const __field_id: u8 = 0;

    use apifault::{ApiError, FromResponse};

    fn never(_: &apifault::ResponseParts<'_>) -> ::core::primitive::bool {
        false
    }

    #[derive(Debug, ApiError, apifault::IntoResponse)]
    #[api(request_id = "X-Req", code = "/code", should_retry = "X-Retry")]
    pub(crate) enum E {
        #[api(
            status = 400,
            when(header = "X-Mode: slow", code = "slow"),
            retry = "backoff",
            default_wait = "2s"
        )]
        Conditional {
            #[api(should_retry)]
            should_retry: ::core::option::Option<::core::primitive::bool>,
        },
        #[api(when = never, retry = "never")]
        Never,
        #[api(status = 429)]
        Slow {
            #[api(retry_after)]
            wait: ::core::option::Option<::core::time::Duration>,
            #[api(request_id)]
            id: String,
            count: u32,
        },
        #[api(status = 400)]
        Bad(#[api(body)] ::std::vec::Vec<u8>, #[api(header = "X-N")] u8),
        #[api(other)]
        Other {
            #[api(status)]
            status: u16,
        },
    }

    pub(crate) fn decode(code: u16, n: &'static ::core::primitive::str) -> E {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-n", http::HeaderValue::from_static(n));
        E::from_response(apifault::ResponseParts::new(
            http::StatusCode::from_u16(code).unwrap(),
            &headers,
            b"raw",
        ))
    }
}

/// Field types and attributes arrive through `macro_rules!` fragments, with
/// their own hygiene context.
macro_rules! api_enum {
    ($(#[$meta:meta])* $name:ident, $body:ty, $n:ty) => {
        $(#[$meta])*
        pub(crate) enum $name {
            #[api(status = 404)]
            NotFound {
                #[api(body)]
                body: $body,
                #[api(header = "X-N")]
                n: $n,
            },
            #[api(other)]
            Other {
                #[api(status)]
                status: u16,
            },
        }
    };
}

api_enum!(
    #[derive(Debug, apifault::ApiError)]
    FromMacro,
    String,
    u32
);

#[test]
fn expansion_is_hygienic() {
    use apifault::ApiError;
    let e = shadowed::decode(429, "1");
    assert!(matches!(
        e,
        shadowed::E::Slow {
            wait: None,
            count: 0,
            ..
        }
    ));
    assert_eq!(e.request_id(), None);
    assert!(matches!(shadowed::decode(400, "7"), shadowed::E::Bad(body, 7) if body == b"raw"));
    assert_eq!(
        shadowed::decode(418, "x").status().map(|s| s.as_u16()),
        Some(418)
    );
}

#[test]
fn conditions_are_hygienic() {
    use apifault::{ApiError, FromResponse, Retry};
    let mut headers = http::HeaderMap::new();
    headers.insert("x-mode", http::HeaderValue::from_static("SLOW"));
    headers.insert("x-retry", http::HeaderValue::from_static("true"));
    let e = shadowed::E::from_response(apifault::ResponseParts::new(
        http::StatusCode::BAD_REQUEST,
        &headers,
        br#"{"code": "slow"}"#,
    ));
    assert!(
        matches!(
            e,
            shadowed::E::Conditional {
                should_retry: Some(true)
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.retry(), Retry::Backoff);
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(2)));
}

#[test]
fn enums_written_by_macro_rules_derive() {
    use apifault::FromResponse;
    let mut headers = http::HeaderMap::new();
    headers.insert("x-n", http::HeaderValue::from_static("12"));
    let e = FromMacro::from_response(apifault::ResponseParts::new(
        http::StatusCode::NOT_FOUND,
        &headers,
        b"gone",
    ));
    assert!(
        matches!(e, FromMacro::NotFound { ref body, n: 12 } if body == "gone"),
        "{e:?}"
    );
    let e = FromMacro::from_response(apifault::ResponseParts::new(
        http::StatusCode::NOT_FOUND,
        &http::HeaderMap::new(),
        b"gone",
    ));
    assert!(matches!(e, FromMacro::Other { status: 404 }), "{e:?}");
}
