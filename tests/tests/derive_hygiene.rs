//! The generated code names only `::apifault::__private` and `::core`, so a
//! user's own `core`, `Option` or `Result` items do not break it.

#![allow(dead_code, non_camel_case_types)]

mod core {}
struct Option;
struct Some;
struct None;
struct Result;
struct StatusCode;
struct Duration;
struct HeaderName;

mod apifault_user {
    use apifault::{ApiError, FromResponse};

    #[derive(Debug, ApiError)]
    #[api(request_id = "X-Req")]
    pub(crate) enum E {
        #[api(status = 429)]
        Slow {
            #[api(retry_after)]
            wait: ::std::option::Option<::std::time::Duration>,
            #[api(request_id)]
            id: String,
        },
        #[api(other)]
        Other {
            #[api(status)]
            status: u16,
        },
    }

    pub(crate) fn decode(code: u16) -> E {
        let headers = http::HeaderMap::new();
        E::from_response(apifault::ResponseParts::new(
            http::StatusCode::from_u16(code).unwrap(),
            &headers,
            b"",
        ))
    }
}

#[test]
fn expansion_is_hygienic() {
    use apifault::ApiError;
    let e = apifault_user::decode(429);
    assert!(matches!(
        e,
        apifault_user::E::Slow {
            wait: ::std::option::Option::None,
            ..
        }
    ));
    assert_eq!(e.request_id(), ::std::option::Option::None);
    assert_eq!(
        apifault_user::decode(418).status().map(|s| s.as_u16()),
        ::std::option::Option::Some(418)
    );
}
