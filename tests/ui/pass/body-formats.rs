//! `body`, `body(json)` and `body(xml)` with each type they accept, in an
//! enum that decodes, one that does not yet, one that serves, and a generic
//! one.
use apifault::{ApiError, FromResponse, ResponseParts};
use http::StatusCode;

#[derive(Debug, serde::Deserialize, serde::Serialize)]
#[serde(rename = "errors")]
struct Errors {
    error: Vec<String>,
}

#[derive(Debug, ApiError, apifault::IntoResponse)]
enum E {
    #[api(status = 400)]
    Json {
        #[api(body(json))]
        body: Errors,
    },
    #[api(status = 401)]
    Xml {
        #[api(body(xml))]
        body: Errors,
    },
    #[api(status = 402)]
    MaybeXml(#[api(body(xml))] Option<Errors>),
    #[api(status = 403)]
    Text {
        #[api(body(xml))]
        body: String,
    },
    #[api(status = 404)]
    Bytes(#[api(body(xml))] Vec<u8>),
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
        #[api(body(xml))]
        body: Option<Errors>,
    },
}

#[derive(Debug, ApiError)]
enum NotDecodingYet {
    #[api(status = 422)]
    Invalid {
        #[api(body(xml))]
        body: Errors,
    },
}

#[derive(Debug, ApiError, apifault::IntoResponse)]
enum Generic<T> {
    #[api(status = 422)]
    Invalid {
        #[api(body(xml))]
        body: T,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
    },
}

fn main() {
    let headers = http::HeaderMap::new();
    let body = b"<errors><error>a</error></errors>";
    let parts = ResponseParts::new(StatusCode::UNAUTHORIZED, &headers, body);
    assert!(matches!(E::from_response(parts), E::Xml { .. }));
    let parts = ResponseParts::new(StatusCode::UNPROCESSABLE_ENTITY, &headers, body);
    assert!(matches!(Generic::<Errors>::from_response(parts), Generic::Invalid { .. }));
    let _ = NotDecodingYet::Invalid { body: Errors { error: Vec::new() } }.retry();
}
