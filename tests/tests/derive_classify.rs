//! Classification: `status`, `retry`, `retry_after`, `request_id`,
//! `safe_to_resend` and `is_retryable` answer as DESIGN.md says.

use std::time::Duration;

use apifault::{ApiError, FromResponse, ResponseParts, Retry};
use apifault_tests::OnDemandError;
use http::{HeaderMap, HeaderValue, StatusCode};

fn decode(status: u16, headers: &HeaderMap, body: &[u8]) -> OnDemandError {
    let status = StatusCode::from_u16(status).expect("test status");
    OnDemandError::from_response(ResponseParts::new(status, headers, body))
}

/// One row per documented status of the atomic On-Demand-like enum.
#[test]
fn every_status_classifies_as_documented() {
    let table: &[(u16, Retry)] = &[
        (400, Retry::Never),
        (401, Retry::Never),
        (404, Retry::Never),
        (405, Retry::Never),
        (406, Retry::Never),
        (415, Retry::Never),
        (422, Retry::Never),
        (429, Retry::After),
        (500, Retry::Backoff),
        (501, Retry::Never),
        (502, Retry::Backoff),
        (503, Retry::After), // explicit `retry = "after"` on Maintenance
        (504, Retry::Backoff),
        (505, Retry::Never),
        (408, Retry::Backoff), // via `other`, by the status it holds
        (409, Retry::Never),
        (418, Retry::Never),
    ];
    let body = br#"{"errors": []}"#;
    for &(code, retry) in table {
        let e = decode(code, &HeaderMap::new(), body);
        assert_eq!(e.status().map(|s| s.as_u16()), Some(code), "{code}: {e:?}");
        assert_eq!(e.retry(), retry, "{code}: {e:?}");
        assert_eq!(e.is_retryable(), retry != Retry::Never, "{code}");
        // The API is atomic: whatever failed changed nothing.
        assert!(e.safe_to_resend(), "{code}");
    }
}

#[test]
fn retry_after_and_request_id_come_from_fields() {
    let mut h = HeaderMap::new();
    h.insert("ratelimit-reset", HeaderValue::from_static("7"));
    h.insert("x-request-id", HeaderValue::from_static("abc-123"));
    let e = decode(429, &h, b"");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(e.request_id(), None, "RateLimited has no request_id field");

    let e = decode(503, &h, b"");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(e.request_id(), Some("abc-123"));

    let e = decode(404, &h, b"");
    assert_eq!(e.retry_after(), None);
    assert_eq!(e.request_id(), None);
}

#[test]
fn transport_errors_ask_the_error() {
    let refused = OnDemandError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    assert_eq!(refused.status(), None);
    assert_eq!(refused.retry(), Retry::Backoff);
    assert!(
        refused.safe_to_resend(),
        "a refused connection sent nothing"
    );

    let reset = OnDemandError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
    assert_eq!(reset.retry(), Retry::Backoff);
    assert!(
        !reset.safe_to_resend(),
        "a reset may come after the request was read"
    );

    let invalid = OnDemandError::from(std::io::Error::from(std::io::ErrorKind::InvalidInput));
    assert_eq!(invalid.retry(), Retry::Never);
}

#[test]
fn local_errors_have_no_status_and_are_never_retried() {
    let e = OnDemandError::BadFileName("a&b.srt".into());
    assert_eq!(e.status(), None);
    assert_eq!(e.retry(), Retry::Never);
    assert!(!e.is_retryable());
    assert!(e.safe_to_resend(), "nothing was sent");
    assert_eq!(
        e.to_string(),
        "file name \"a&b.srt\" has a forbidden character"
    );
}

/// A non-atomic API: only 429 and 503 are safe to resend.
#[derive(Debug, ApiError)]
enum ShopError {
    #[api(status = 409)]
    Conflict,
    #[api(status = 429)]
    TooMany,
    #[api(status = [502, 504])]
    Gateway,
    #[api(status = 500..=599)]
    Server {
        #[api(status)]
        status: u16,
    },
    #[api(transport)]
    Transport(String),
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

#[derive(Debug, ApiError)]
enum Busy {
    #[api(status = [429, 503], retry = "backoff")]
    Busy,
    #[api(status = [500, 502..=504], retry = "backoff")]
    Mixed,
}

#[test]
fn without_atomic_only_429_and_503_are_safe_to_resend() {
    assert!(!ShopError::Conflict.safe_to_resend());
    assert!(ShopError::TooMany.safe_to_resend());
    assert!(!ShopError::Gateway.safe_to_resend());
    assert!(Busy::Busy.safe_to_resend(), "both 429 and 503 are safe");
    assert!(!Busy::Mixed.safe_to_resend(), "it may have been a 500");
    assert!(ShopError::Server { status: 503 }.safe_to_resend());
    assert!(!ShopError::Server { status: 500 }.safe_to_resend());
    assert!(
        ShopError::Other {
            status: StatusCode::SERVICE_UNAVAILABLE
        }
        .safe_to_resend()
    );
    assert!(
        !ShopError::Other {
            status: StatusCode::CONFLICT
        }
        .safe_to_resend()
    );
}

#[test]
fn variants_without_status_field_answer_for_all_their_statuses() {
    assert_eq!(ShopError::Gateway.retry(), Retry::Backoff);
    assert_eq!(
        ShopError::Gateway.status(),
        None,
        "it does not keep which one it got"
    );
    assert_eq!(
        ShopError::TooMany.status(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    assert_eq!(ShopError::Server { status: 501 }.retry(), Retry::Never);
    assert_eq!(
        ShopError::Server { status: 502 }
            .status()
            .map(|s| s.as_u16()),
        Some(502)
    );
}

#[test]
fn transport_field_of_unknown_type_backs_off_and_is_not_safe() {
    let e = ShopError::Transport("socket closed".into());
    assert_eq!(e.retry(), Retry::Backoff);
    assert!(!e.safe_to_resend());
    assert_eq!(e.status(), None);
}

#[test]
fn default_table_matches_design() {
    for code in 100..=999u16 {
        let status = StatusCode::from_u16(code).expect("valid code");
        let expected = match code {
            408 => Retry::Backoff,
            429 => Retry::After,
            501 | 505 => Retry::Never,
            500..=599 => Retry::Backoff,
            _ => Retry::Never,
        };
        assert_eq!(Retry::for_status(status), expected, "{code}");
    }
}

#[test]
fn errors_behind_references_and_boxes_classify_the_same() {
    fn classify<E: ApiError>(e: E) -> (Retry, Option<StatusCode>) {
        (e.retry(), e.status())
    }
    let e = ShopError::TooMany;
    let expected = (Retry::After, Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(classify(&e), expected);
    assert_eq!(classify(Box::new(ShopError::TooMany)), expected);
}

/// A range next to exact claims holds only what is left of it: 501 and 505
/// go to their own variants, so the rest of 5xx all back off and the range
/// needs no status field.
#[derive(Debug, ApiError)]
enum Carved {
    #[api(status = 501)]
    NotImplemented,
    #[api(status = 505)]
    Version,
    #[api(status = 500..=599)]
    Server,
    #[api(status = 400..=499)]
    Client,
    #[api(status = 408)]
    Timeout,
    #[api(status = 429)]
    Slow,
}

#[test]
fn ranges_classify_by_the_statuses_left_to_them() {
    assert_eq!(Carved::Server.retry(), Retry::Backoff);
    assert_eq!(Carved::NotImplemented.retry(), Retry::Never);
    assert_eq!(
        Carved::Version.status(),
        Some(StatusCode::HTTP_VERSION_NOT_SUPPORTED)
    );
    assert_eq!(Carved::Client.retry(), Retry::Never);
    assert_eq!(Carved::Timeout.retry(), Retry::Backoff);
    assert_eq!(Carved::Slow.retry(), Retry::After);
    assert!(
        !Carved::Server.safe_to_resend(),
        "a 500 may have been applied"
    );
}

/// A generic transport error is asked through `TransportError`, which the
/// derive adds as a bound.
#[derive(Debug, ApiError)]
enum GenericTransport<T> {
    #[api(transport)]
    Transport(T),
}

#[test]
fn generic_transport_errors_keep_their_classification() {
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    let e = GenericTransport::Transport(refused);
    assert_eq!(e.retry(), Retry::Backoff);
    assert!(e.safe_to_resend());
    let invalid =
        GenericTransport::Transport(std::io::Error::from(std::io::ErrorKind::InvalidInput));
    assert_eq!(invalid.retry(), Retry::Never);
}
