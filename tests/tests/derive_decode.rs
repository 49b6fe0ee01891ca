//! Decoding: every documented status of a realistic enum lands on the right
//! variant with the right fields.

use std::time::Duration;

use apifault::{FromResponse, RateLimit, ResponseParts};
use apifault_tests::{FieldError, OnDemandError, ValidationBody};
use http::{HeaderMap, HeaderValue, StatusCode};

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            *name,
            HeaderValue::from_str(value).expect("test header value"),
        );
    }
    map
}

fn decode(status: u16, headers: &HeaderMap, body: &[u8]) -> OnDemandError {
    let status = StatusCode::from_u16(status).expect("test status");
    OnDemandError::from_response(ResponseParts::new(status, headers, body))
}

#[test]
fn text_body_is_kept_for_400() {
    let e = decode(400, &HeaderMap::new(), b"body is not valid XML");
    assert!(matches!(&e, OnDemandError::BadRequest { body } if body == "body is not valid XML"));
}

#[test]
fn text_body_that_is_not_utf8_is_kept_lossily() {
    let e = decode(400, &HeaderMap::new(), b"caf\xe9");
    assert!(matches!(&e, OnDemandError::BadRequest { body } if body == "caf\u{FFFD}"));
}

#[test]
fn unit_variants_decode_by_status() {
    assert!(matches!(
        decode(401, &HeaderMap::new(), b""),
        OnDemandError::Unauthorized
    ));
    assert!(matches!(
        decode(404, &HeaderMap::new(), b"{}"),
        OnDemandError::NotFound
    ));
}

#[test]
fn each_status_of_a_list_keeps_its_status() {
    for code in [405, 406, 415] {
        match decode(code, &HeaderMap::new(), b"") {
            OnDemandError::Unsupported { status } => assert_eq!(status.as_u16(), code),
            other => panic!("{code} decoded as {other:?}"),
        }
    }
}

#[test]
fn typed_body_is_decoded_from_json() {
    let h = headers(&[("x-request-id", "req-42")]);
    let e = decode(
        422,
        &h,
        br#"{"errors": [{"field": "title", "message": "can't be blank"}]}"#,
    );
    let OnDemandError::Invalid { body, request_id } = e else {
        panic!("expected Invalid, got {e:?}");
    };
    assert_eq!(
        body,
        ValidationBody {
            errors: vec![FieldError {
                field: "title".into(),
                message: "can't be blank".into()
            }]
        }
    );
    assert_eq!(request_id.as_deref(), Some("req-42"));
}

#[test]
fn typed_body_that_does_not_decode_goes_to_other() {
    let h = headers(&[("content-type", "application/json")]);
    let e = decode(422, &h, b"<html>oops</html>");
    let OnDemandError::Other {
        status,
        body,
        trace_depth,
    } = e
    else {
        panic!("expected Other, got {e:?}");
    };
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, "<html>oops</html>");
    assert_eq!(trace_depth, None);
}

#[test]
fn rate_limit_headers_fill_429() {
    let h = headers(&[
        ("Ratelimit-Limit", "150"),
        ("Ratelimit-Remaining", "0"),
        ("Ratelimit-Reset", "200"),
    ]);
    let e = decode(429, &h, b"");
    let OnDemandError::RateLimited { wait, rate_limit } = e else {
        panic!("expected RateLimited, got {e:?}");
    };
    assert_eq!(wait, Some(Duration::from_secs(200)));
    assert_eq!(
        rate_limit,
        Some(RateLimit::new(150, 0, Duration::from_secs(200)))
    );
}

#[test]
fn retry_after_reads_the_configured_header_only() {
    // The enum names `Ratelimit-Reset`; a plain `Retry-After` is not its hint.
    let h = headers(&[("Retry-After", "5")]);
    let e = decode(429, &h, b"");
    assert!(matches!(
        e,
        OnDemandError::RateLimited {
            wait: None,
            rate_limit: None
        }
    ));
}

#[test]
fn exact_status_wins_over_range() {
    let h = headers(&[("x-request-id", "maint-1"), ("ratelimit-reset", "30")]);
    let e = decode(503, &h, b"");
    assert!(
        matches!(&e, OnDemandError::Maintenance { request_id: Some(id), wait: Some(w) } if id == "maint-1" && *w == Duration::from_secs(30)),
        "{e:?}"
    );
}

#[test]
fn range_takes_the_rest_of_5xx() {
    for code in [500, 501, 502, 504, 599] {
        let e = decode(code, &headers(&[("X-Request-Id", "r")]), b"");
        assert!(
            matches!(&e, OnDemandError::Server { status, request_id: Some(id) } if status.as_u16() == code && id == "r"),
            "{code}: {e:?}"
        );
    }
}

#[test]
fn unclaimed_statuses_go_to_other() {
    let h = headers(&[("x-trace-depth", " 3 ")]);
    for code in [100, 204, 302, 402, 409, 418, 600, 999] {
        let e = decode(code, &h, b"hi");
        assert!(
            matches!(&e, OnDemandError::Other { status, body, trace_depth: Some(3) } if status.as_u16() == code && body == "hi"),
            "{code}: {e:?}"
        );
    }
}

#[test]
fn unparsable_optional_header_is_none() {
    let h = headers(&[("x-trace-depth", "deep")]);
    let e = decode(418, &h, b"");
    assert!(matches!(
        e,
        OnDemandError::Other {
            trace_depth: None,
            ..
        }
    ));
}
