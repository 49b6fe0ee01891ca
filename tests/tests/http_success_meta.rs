//! A success keeps what the server said about it: `apifault::Success`
//! from the reqwest glue's `*_with_meta` functions, over real HTTP on
//! loopback.

use std::time::Duration;

use apifault::{ApiError, FromResponse, RateLimit, ResponseParts, Success};
use apifault_tests::http_support::serve;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Title {
    name: String,
}

#[derive(Debug, thiserror::Error, ApiError)]
#[api(rate_limit(remaining = "x-ratelimit-remaining-requests", reset = duration("x-ratelimit-reset-requests")))]
enum LlmError {
    #[error(transparent)]
    #[api(transport)]
    Transport(#[from] reqwest::Error),
    #[error("unexpected {status}")]
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

/// Stripe's way, written by hand: the request id is in `Request-Id`.
#[derive(Debug)]
enum StripeError {
    Transport,
    Failed,
}

impl FromResponse for StripeError {
    const REQUEST_ID_HEADER: &'static str = "Request-Id";

    fn from_response(_: ResponseParts<'_>) -> Self {
        StripeError::Failed
    }
}

impl From<reqwest::Error> for StripeError {
    fn from(_: reqwest::Error) -> Self {
        StripeError::Transport
    }
}

fn with_headers(
    status: StatusCode,
    pairs: &[(&'static str, &'static str)],
    body: &'static str,
) -> Response {
    let mut response = (status, body).into_response();
    for &(name, value) in pairs {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

async fn start() -> String {
    let app = axum::Router::new()
        .route(
            "/titles",
            get(|| async {
                with_headers(
                    StatusCode::CREATED,
                    &[
                        ("x-request-id", " req-42 "),
                        ("request-id", "req_stripe"),
                        ("ratelimit-limit", "150"),
                        ("ratelimit-remaining", "99"),
                        ("ratelimit-reset", "30"),
                        ("x-ratelimit-remaining-requests", "7"),
                        ("x-ratelimit-reset-requests", "6m0s"),
                        ("content-type", "application/json"),
                    ],
                    r#"{"name": "Heat"}"#,
                )
            }),
        )
        .route(
            "/titles.xml",
            get(|| async {
                with_headers(
                    StatusCode::OK,
                    &[
                        ("x-request-id", "req-xml"),
                        ("content-type", "application/xml"),
                    ],
                    "<title><name>Heat</name></title>",
                )
            }),
        )
        .route(
            "/publication",
            get(|| async { with_headers(StatusCode::ACCEPTED, &[("x-request-id", "job-1")], "") }),
        )
        .route(
            "/missing",
            get(|| async {
                with_headers(StatusCode::NOT_FOUND, &[("x-request-id", "req-404")], "no")
            }),
        );
    format!("http://{}", serve(app).await)
}

#[tokio::test]
async fn a_json_success_keeps_its_status_request_id_and_rate_limits() {
    let base = start().await;
    let http = reqwest::Client::new();

    let response = http.get(format!("{base}/titles")).send().await.unwrap();
    let title: Success<Title> =
        apifault::reqwest::json_with_meta::<_, apifault_tests::ServerError>(response)
            .await
            .unwrap();

    assert_eq!(title.name, "Heat", "derefs to the value");
    assert_eq!(title.status(), StatusCode::CREATED);
    assert_eq!(title.request_id(), Some("req-42"));
    assert_eq!(
        title.rate_limit(),
        Some(RateLimit::new(150, 99, Duration::from_secs(30)))
    );
    assert_eq!(title.headers()["content-type"], "application/json");
    assert_eq!(
        title.into_inner(),
        Title {
            name: "Heat".into()
        }
    );
}

#[tokio::test]
async fn the_rate_limits_and_request_id_are_read_as_the_enum_names_them() {
    let base = start().await;
    let http = reqwest::Client::new();

    let response = http.get(format!("{base}/titles")).send().await.unwrap();
    let title = apifault::reqwest::json_with_meta::<Title, LlmError>(response)
        .await
        .unwrap();
    let announced = title.rate_limit().unwrap();
    assert_eq!(announced.remaining, Some(7));
    assert_eq!(announced.reset, Some(Duration::from_secs(360)));

    let response = http.get(format!("{base}/titles")).send().await.unwrap();
    let text = apifault::reqwest::text_with_meta::<StripeError>(response)
        .await
        .unwrap();
    assert_eq!(text.request_id(), Some("req_stripe"));
    assert_eq!(*text, r#"{"name": "Heat"}"#);
}

#[tokio::test]
async fn every_body_shape_has_a_meta_form() {
    let base = start().await;
    let http = reqwest::Client::new();

    let response = http
        .get(format!("{base}/publication"))
        .send()
        .await
        .unwrap();
    let accepted = apifault::reqwest::no_content_with_meta::<LlmError>(response)
        .await
        .unwrap();
    assert_eq!(
        (accepted.status(), accepted.request_id()),
        (StatusCode::ACCEPTED, Some("job-1"))
    );
    assert_eq!(accepted.rate_limit(), None);

    let response = http.get(format!("{base}/titles")).send().await.unwrap();
    let bytes = apifault::reqwest::bytes_with_meta::<LlmError>(response)
        .await
        .unwrap();
    assert_eq!(bytes.len(), 16);
    assert_eq!(bytes.request_id(), Some("req-42"));
}

#[tokio::test]
async fn a_failure_is_still_the_decoded_error() {
    let base = start().await;
    let http = reqwest::Client::new();

    let response = http.get(format!("{base}/missing")).send().await.unwrap();
    let error = apifault::reqwest::json_with_meta::<Title, LlmError>(response)
        .await
        .unwrap_err();
    assert!(matches!(error, LlmError::Other { status } if status == StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn an_xml_success_keeps_its_request_id_and_a_bad_one_is_the_error() {
    let base = start().await;
    let http = reqwest::Client::new();

    let response = http.get(format!("{base}/titles.xml")).send().await.unwrap();
    let title = apifault::reqwest::xml_with_meta::<Title, LlmError>(response)
        .await
        .unwrap();
    assert_eq!(
        (title.name.as_str(), title.status(), title.request_id()),
        ("Heat", StatusCode::OK, Some("req-xml"))
    );

    // JSON where XML was promised: not a `Title`, so the enum's `other`.
    let response = http.get(format!("{base}/titles")).send().await.unwrap();
    let error = apifault::reqwest::Decoder::default()
        .xml_with_meta::<Title, LlmError>(response)
        .await
        .unwrap_err();
    assert!(matches!(error, LlmError::Other { status } if status == StatusCode::CREATED));
}

/// A derived enum's `request_id = "…"` names the header a success's id is
/// read from too.
#[derive(Debug, ApiError)]
#[api(request_id = "Request-Id")]
enum NamedIdError {
    #[api(transport)]
    Transport(reqwest::Error),
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

impl From<reqwest::Error> for NamedIdError {
    fn from(e: reqwest::Error) -> Self {
        NamedIdError::Transport(e)
    }
}

#[tokio::test]
async fn a_derived_enum_names_the_request_id_header_of_its_successes() {
    assert_eq!(
        <NamedIdError as FromResponse>::REQUEST_ID_HEADER,
        "request-id"
    );
    let base = start().await;
    let response = reqwest::Client::new()
        .get(format!("{base}/titles"))
        .send()
        .await
        .unwrap();
    let title = apifault::reqwest::json_with_meta::<Title, NamedIdError>(response)
        .await
        .unwrap();
    assert_eq!(title.request_id(), Some("req_stripe"));
}
