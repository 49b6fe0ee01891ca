//! XML bodies, `#[api(body(xml))]`: decoded as JSON bodies are (a typed body
//! that does not decode sends the response to `other`, an `Option` becomes
//! `None`), served as XML by `IntoResponse`, and read by `reqwest::xml`.

use apifault::ApiError;
use apifault_tests::http_support::serve;
use apifault_tests::parts::{decode, round_trip};
use http::StatusCode;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// What BeBanjo's Movida answers on a 422.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "errors")]
struct Errors {
    #[serde(default)]
    error: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "title")]
struct Title {
    id: u64,
    name: String,
}

#[derive(Debug, thiserror::Error, ApiError, apifault::IntoResponse)]
enum MovidaError {
    #[error("invalid: {body:?}")]
    #[api(status = 422)]
    Invalid {
        #[api(body(xml))]
        body: Errors,
    },
    #[error("conflict: {body:?}")]
    #[api(status = 409)]
    Conflict {
        #[api(body(xml))]
        body: Option<Errors>,
    },
    #[error("not found: {body}")]
    #[api(status = 404)]
    NotFound {
        #[api(body(xml))]
        body: String,
    },
    #[error("bad request: {body:?}")]
    #[api(status = 400)]
    BadRequest {
        #[api(body(json))]
        body: Errors,
    },
    #[error(transparent)]
    #[api(transport)]
    Transport(#[from] reqwest::Error),
    #[error("unexpected {status}")]
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
        #[api(body)]
        body: String,
    },
}

const BLANK: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error>Name can't be blank</error>\n  <error>Year is not a number</error>\n</errors>\n";

#[test]
fn typed_xml_body_decodes_into_its_variant() {
    let e: MovidaError = decode(422, &[("content-type", "application/xml")], BLANK);
    let MovidaError::Invalid { body } = &e else {
        panic!("{e:?}");
    };
    assert_eq!(body.error, ["Name can't be blank", "Year is not a number"]);
    assert_eq!(e.retry(), apifault::Retry::Never);
}

#[test]
fn xml_body_is_read_whatever_the_content_type_says() {
    for content_type in [
        "text/plain",
        "application/json",
        "application/xml; charset=utf-8",
    ] {
        let e: MovidaError = decode(422, &[("content-type", content_type)], BLANK);
        assert!(
            matches!(e, MovidaError::Invalid { .. }),
            "{content_type}: {e:?}"
        );
    }
}

#[test]
fn a_byte_order_mark_before_the_document_is_allowed() {
    let body = [b"\xef\xbb\xbf".as_slice(), BLANK].concat();
    let e: MovidaError = decode(422, &[], &body);
    assert!(
        matches!(&e, MovidaError::Invalid { body } if body.error.len() == 2),
        "{e:?}"
    );
}

/// Where a bad typed XML body goes: where a bad typed JSON body goes.
#[test]
fn a_typed_body_that_is_not_that_xml_goes_to_other() {
    let cases: &[(&str, &[u8])] = &[
        ("empty", b""),
        ("JSON", br#"{"errors": ["Name can't be blank"]}"#),
        ("text", b"Name can't be blank"),
        ("unclosed", b"<errors><error>Name can't be blank</error>"),
        ("mismatched", b"<errors><error>x</errors></error>"),
        ("not UTF-8", b"<errors><error>caf\xe9</error></errors>"),
        ("bad entity", b"<errors><error>&bogus;</error></errors>"),
    ];
    for (what, body) in cases {
        let e: MovidaError = decode(422, &[], body);
        assert!(
            matches!(&e, MovidaError::Other { status, body: kept }
                if *status == StatusCode::UNPROCESSABLE_ENTITY
                    && kept.as_bytes() == String::from_utf8_lossy(body).as_bytes()),
            "{what}: {e:?}"
        );
    }
    // The JSON twin of the variant sends a body that is not its JSON to the
    // same place.
    let e: MovidaError = decode(400, &[], b"<errors/>");
    assert!(
        matches!(&e, MovidaError::Other { status, .. } if *status == StatusCode::BAD_REQUEST),
        "{e:?}"
    );
}

/// An error body is capped at 64 KiB by the reqwest glue, but decoding
/// takes any slice: nesting that deep must not exhaust the stack.
#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    for (open, close) in [
        ("<x>", "</x>"),
        ("<errors>", "</errors>"),
        ("<error>", "</error>"),
    ] {
        let depth = 200_000;
        let body = format!(
            "<errors>{}{}</errors>",
            open.repeat(depth),
            close.repeat(depth)
        );
        let e: MovidaError = decode(422, &[], body.as_bytes());
        assert!(
            matches!(e, MovidaError::Other { .. } | MovidaError::Invalid { .. }),
            "{open}"
        );
        let unclosed = format!("<errors>{}", open.repeat(depth));
        let e: MovidaError = decode(422, &[], unclosed.as_bytes());
        assert!(matches!(e, MovidaError::Other { .. }), "{open} unclosed");
    }
}

#[test]
fn an_option_xml_body_is_none_when_absent_or_bad() {
    let cases: &[(&[u8], Option<&[&str]>)] = &[
        (b"", None),
        (b"not xml at all", None),
        (b"<errors><error>a</error>", None),
        (b"<errors/>", Some(&[])),
        (b"<errors><error>taken</error></errors>", Some(&["taken"])),
    ];
    for (body, expected) in cases {
        let e: MovidaError = decode(409, &[], body);
        let MovidaError::Conflict { body: decoded } = &e else {
            panic!("{body:?}: {e:?}");
        };
        let decoded = decoded
            .as_ref()
            .map(|b| b.error.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            decoded.as_deref(),
            *expected,
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn a_text_xml_body_keeps_the_document() {
    let e: MovidaError = decode(404, &[], b"<error>Not found</error>");
    assert!(
        matches!(&e, MovidaError::NotFound { body } if body == "<error>Not found</error>"),
        "{e:?}"
    );
    let e: MovidaError = decode(404, &[], b"caf\xe9");
    assert!(
        matches!(&e, MovidaError::NotFound { body } if body == "caf\u{FFFD}"),
        "{e:?}"
    );
}

#[test]
fn body_json_is_body() {
    let e: MovidaError = decode(400, &[], br#"{"error": ["a", "b"]}"#);
    assert!(
        matches!(&e, MovidaError::BadRequest { body } if body.error == ["a", "b"]),
        "{e:?}"
    );
}

async fn served(error: MovidaError) -> (StatusCode, Option<String>, String) {
    use axum::response::IntoResponse as _;
    let (parts, body) = error.into_response().into_parts();
    let body = axum::body::to_bytes(body, 1 << 16).await.expect("body");
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.to_str().expect("ascii").to_owned());
    (
        parts.status,
        content_type,
        String::from_utf8(body.to_vec()).expect("utf-8"),
    )
}

#[tokio::test]
async fn an_xml_body_is_served_as_xml_and_decodes_back() {
    let invalid = MovidaError::Invalid {
        body: Errors {
            error: vec!["Name can't be blank".into(), "<&> escaped".into()],
        },
    };
    let (status, content_type, text) = served(invalid.clone_shallow()).await;
    assert_eq!(status, 422);
    assert_eq!(content_type.as_deref(), Some("application/xml"));
    assert!(text.starts_with("<?xml"), "{text}");
    assert!(
        text.contains("<error>Name can&apos;t be blank</error>")
            || text.contains("<error>Name can't be blank</error>"),
        "{text}"
    );
    assert!(text.contains("&lt;&amp;&gt; escaped"), "{text}");
    let back = round_trip(invalid.clone_shallow()).await;
    assert!(
        matches!(&back, MovidaError::Invalid { body } if body.error == ["Name can't be blank", "<&> escaped"]),
        "{back:?}"
    );

    let text_body = MovidaError::NotFound {
        body: "<error>Not found</error>".into(),
    };
    let (status, content_type, text) = served(text_body).await;
    assert_eq!(
        (status.as_u16(), content_type.as_deref(), text.as_str()),
        (404, Some("application/xml"), "<error>Not found</error>")
    );

    // `None` is served without a body, and decodes to `None` again.
    let none = round_trip(MovidaError::Conflict { body: None }).await;
    assert!(
        matches!(none, MovidaError::Conflict { body: None }),
        "{none:?}"
    );
    let some = round_trip(MovidaError::Conflict {
        body: Some(Errors {
            error: vec!["taken".into()],
        }),
    })
    .await;
    assert!(
        matches!(&some, MovidaError::Conflict { body: Some(b) } if b.error == ["taken"]),
        "{some:?}"
    );

    // A JSON body next to it stays JSON.
    let (_, content_type, text) = served(MovidaError::BadRequest {
        body: Errors {
            error: vec!["a".into()],
        },
    })
    .await;
    assert_eq!(
        (content_type.as_deref(), text.as_str()),
        (Some("application/json"), r#"{"error":["a"]}"#)
    );
}

impl MovidaError {
    /// The variants these tests serve twice (the transport one holds a
    /// `reqwest::Error`, which is not `Clone`).
    fn clone_shallow(&self) -> Self {
        match self {
            MovidaError::Invalid { body } => MovidaError::Invalid { body: body.clone() },
            other => panic!("not cloned here: {other:?}"),
        }
    }
}

/// A loopback server answering `status` with `body` as XML.
async fn answering(status: u16, body: &'static [u8]) -> String {
    let app = axum::Router::new().route(
        "/titles/1",
        axum::routing::get(move || async move {
            (
                StatusCode::from_u16(status).expect("status"),
                [(http::header::CONTENT_TYPE, "application/xml")],
                body,
            )
        }),
    );
    format!("http://{}/titles/1", serve(app).await)
}

async fn get_title(url: &str) -> Result<Title, MovidaError> {
    apifault::reqwest::xml(reqwest::get(url).await?).await
}

#[tokio::test]
async fn reqwest_xml_reads_an_xml_success_and_an_xml_error() {
    let url = answering(
        200,
        b"<?xml version=\"1.0\"?><title><id>1</id><name>Heat</name></title>",
    )
    .await;
    let title = get_title(&url).await.expect("a title");
    assert_eq!(
        title,
        Title {
            id: 1,
            name: "Heat".into()
        }
    );

    let url = answering(422, BLANK).await;
    let e = get_title(&url).await.expect_err("a 422");
    assert!(
        matches!(&e, MovidaError::Invalid { body } if body.error.len() == 2),
        "{e:?}"
    );

    // Any 2xx is success.
    let url = answering(201, b"<title><id>2</id><name>Ronin</name></title>").await;
    assert_eq!(get_title(&url).await.expect("created").id, 2);
}

#[tokio::test]
async fn reqwest_xml_sends_a_success_it_cannot_read_to_other() {
    for body in [
        &b"<title><id>one</id><name>Heat</name></title>"[..],
        b"{\"id\": 1}",
        b"",
        b"\xff\xfe",
    ] {
        let url = answering(200, body).await;
        let e = get_title(&url).await.expect_err("not a title");
        assert!(
            matches!(&e, MovidaError::Other { status, body: kept } if *status == StatusCode::OK && kept.as_bytes() == String::from_utf8_lossy(body).as_bytes()),
            "{:?}: {e:?}",
            String::from_utf8_lossy(body)
        );
        assert!(
            !e.is_retryable(),
            "a success that cannot be read is not retried"
        );
    }
}

/// A decoded document with any nesting of known and unknown elements.
fn xmlish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just("<errors>".to_owned()),
        Just("</errors>".to_owned()),
        Just("<error>".to_owned()),
        Just("</error>".to_owned()),
        Just("<errors/>".to_owned()),
        Just("<?xml version=\"1.0\"?>".to_owned()),
        Just("<!DOCTYPE errors [<!ENTITY x \"y\">]>".to_owned()),
        Just("<![CDATA[".to_owned()),
        Just("]]>".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("&amp;&#x0;&#99999999;&x;".to_owned()),
        "<[a-z:]{0,4}( [a-z]{1,3}=\"[^\"]{0,4}\")?/?>",
        "[^<&]{0,10}",
    ];
    proptest::collection::vec(piece, 0..30).prop_map(|pieces| pieces.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// Decoding is total: any bytes into an XML body end in some variant,
    /// never a panic; what does not decode as `Errors` is `other`, with the
    /// bytes kept.
    #[test]
    fn random_bytes_into_an_xml_body_never_panic(
        body in prop_oneof![proptest::collection::vec(any::<u8>(), 0..300), xmlish()],
        status in prop_oneof![Just(409_u16), Just(422), Just(404)],
    ) {
        let e: MovidaError = decode(status, &[], &body);
        let direct: Option<Errors> = apifault::__private::xml_body(&body);
        match (&e, status) {
            (MovidaError::Invalid { body: decoded }, 422) => prop_assert_eq!(Some(decoded), direct.as_ref()),
            (MovidaError::Other { body: kept, .. }, 422) => {
                prop_assert!(direct.is_none());
                prop_assert_eq!(kept, &String::from_utf8_lossy(&body));
            }
            (MovidaError::Conflict { body: decoded }, 409) => {
                let expected = if body.is_empty() { None } else { direct };
                prop_assert_eq!(decoded, &expected);
            }
            (MovidaError::NotFound { body: kept }, 404) => {
                prop_assert_eq!(kept, &String::from_utf8_lossy(&body));
            }
            _ => prop_assert!(false, "{status} decoded as {e:?}"),
        }
    }
}

/// Two variants with one field shape, one read as JSON and one as XML,
/// each decode their own way (the derive decodes alike shapes once).
#[test]
fn a_json_and_an_xml_variant_of_one_shape_decode_apart() {
    #[derive(Debug, serde::Deserialize)]
    struct Reason {
        message: String,
    }
    #[derive(Debug, apifault::ApiError)]
    enum Mixed {
        #[api(status = 400)]
        Json {
            #[api(body(json))]
            body: Reason,
        },
        #[api(status = 422)]
        Xml {
            #[api(body(xml))]
            body: Reason,
        },
        #[api(other)]
        Other {
            #[api(status)]
            status: http::StatusCode,
        },
    }
    use apifault::{FromResponse, ResponseParts};
    let headers = http::HeaderMap::new();
    let json = br#"{"message": "j"}"#;
    let xml = b"<reason><message>x</message></reason>";
    let e = Mixed::from_response(ResponseParts::new(
        http::StatusCode::BAD_REQUEST,
        &headers,
        json,
    ));
    assert!(
        matches!(&e, Mixed::Json { body } if body.message == "j"),
        "{e:?}"
    );
    let e = Mixed::from_response(ResponseParts::new(
        http::StatusCode::UNPROCESSABLE_ENTITY,
        &headers,
        xml,
    ));
    assert!(
        matches!(&e, Mixed::Xml { body } if body.message == "x"),
        "{e:?}"
    );
    let e = Mixed::from_response(ResponseParts::new(
        http::StatusCode::UNPROCESSABLE_ENTITY,
        &headers,
        json,
    ));
    assert!(matches!(e, Mixed::Other { .. }));
}
