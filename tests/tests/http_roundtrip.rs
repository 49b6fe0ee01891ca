//! One enum on both sides of the wire: every variant, served by axum with
//! apifault's `IntoResponse`, sent over real HTTP on loopback and decoded by
//! the reqwest glue, comes back as the same variant with the same fields.

use std::sync::Arc;
use std::time::Duration;

use apifault::RateLimit;
use apifault_tests::http_support::serve;
use apifault_tests::{Problem, ServerError};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use http::StatusCode;

fn samples() -> Vec<ServerError> {
    vec![
        ServerError::BadRequest {
            body: "body is not valid XML".into(),
        },
        ServerError::NotFound,
        ServerError::TooLarge(vec![0, 159, 255, b'x']),
        ServerError::Invalid {
            body: Problem {
                detail: "title is blank".into(),
                docs_url: Some("https://docs.invalid/422".into()),
            },
            request_id: Some("req-422".into()),
        },
        ServerError::RateLimited {
            wait: Some(Duration::from_secs(200)),
            rate_limit: Some(RateLimit::new(150, 0, Duration::from_secs(200))),
            quota: Some("titles".into()),
        },
        ServerError::Maintenance {
            body: None,
            request_id: Some("maint-1".into()),
        },
        ServerError::Maintenance {
            body: Some(Problem {
                detail: "back at 10:00".into(),
                docs_url: None,
            }),
            request_id: None,
        },
        ServerError::Server {
            status: StatusCode::BAD_GATEWAY,
        },
        ServerError::Server {
            status: StatusCode::NOT_IMPLEMENTED,
        },
        ServerError::Other {
            status: StatusCode::CONFLICT,
            body: "already submitted".into(),
        },
        ServerError::Other {
            status: StatusCode::IM_A_TEAPOT,
            body: String::new(),
        },
    ]
}

async fn app() -> std::net::SocketAddr {
    let samples = Arc::new(samples());
    let router = axum::Router::new()
        .route(
            "/sample/{n}",
            get(
                |State(samples): State<Arc<Vec<ServerError>>>, Path(n): Path<usize>| async move {
                    samples[n].clone().into_response()
                },
            ),
        )
        .with_state(samples);
    serve(router).await
}

#[tokio::test]
async fn every_variant_round_trips() {
    let addr = app().await;
    let http = reqwest::Client::new();
    for (n, expected) in samples().into_iter().enumerate() {
        let response = http
            .get(format!("http://{addr}/sample/{n}"))
            .send()
            .await
            .unwrap();
        let decoded: Result<serde_json::Value, ServerError> =
            apifault::reqwest::json(response).await;
        assert_eq!(decoded.unwrap_err(), expected, "sample {n}");
    }
}

#[tokio::test]
async fn variants_without_a_body_serve_a_problem_document() {
    let addr = app().await;
    let response = reqwest::get(format!("http://{addr}/sample/1"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        problem,
        serde_json::json!({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "not found"})
    );
}

#[tokio::test]
async fn headers_carry_the_hint_the_limits_and_the_request_id() {
    let addr = app().await;
    let response = reqwest::get(format!("http://{addr}/sample/4"))
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["ratelimit-reset"], "200");
    assert_eq!(headers["ratelimit-limit"], "150");
    assert_eq!(headers["ratelimit-remaining"], "0");
    assert_eq!(headers["x-quota-name"], "titles");

    let response = reqwest::get(format!("http://{addr}/sample/3"))
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-422");
    assert_eq!(response.headers()["content-type"], "application/json");
    let response = reqwest::get(format!("http://{addr}/sample/0"))
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(response.text().await.unwrap(), "body is not valid XML");
}

#[tokio::test]
async fn served_responses_stay_errors_and_keep_internals_private() {
    use apifault::headers::SATURATED_WAIT;
    let cases = vec![
        // A wait beyond what a header can carry saturates, never wraps to 0.
        ServerError::RateLimited {
            wait: Some(Duration::MAX),
            rate_limit: None,
            quota: None,
        },
        // A status field holding a success is not served as one.
        ServerError::Other {
            status: StatusCode::OK,
            body: "odd".into(),
        },
        // A transport error's message (a URL with a token) is not sent.
        ServerError::Transport(
            "error sending request for url (http://internal/?token=s3cr3t)".into(),
        ),
        // A request id the client could not read back is left out.
        ServerError::Maintenance {
            body: None,
            request_id: Some("réq-1".into()),
        },
    ];
    let responses: Vec<axum::response::Response> =
        cases.into_iter().map(IntoResponse::into_response).collect();
    assert_eq!(
        responses[0].headers()["ratelimit-reset"],
        SATURATED_WAIT.as_secs().to_string().as_str()
    );
    assert_eq!(responses[1].status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(responses[2].status(), StatusCode::BAD_GATEWAY);
    assert!(responses[3].headers().get("x-request-id").is_none());
    let body = axum::body::to_bytes(responses.into_iter().nth(2).unwrap().into_body(), 4096)
        .await
        .unwrap();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        problem,
        serde_json::json!({"type": "about:blank", "title": "Bad Gateway", "status": 502})
    );
}
