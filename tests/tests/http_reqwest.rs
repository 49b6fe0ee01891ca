//! The reqwest glue over real HTTP on loopback, against an axum server and
//! raw TCP peers: every header form, every body shape, and every transport
//! failure lands on the right variant and is retried, or not, as the enum
//! says.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use apifault::{ApiError, RateLimit, Retry, RetryPolicy};
use apifault_tests::http_support::{never_answers, refused_addr, resets_mid_body, serve};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

#[derive(Debug, Deserialize, PartialEq)]
struct Problem {
    detail: String,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Title {
    name: String,
}

#[derive(Debug, thiserror::Error, ApiError)]
#[api(retry_after = ["Retry-After", "Ratelimit-Reset", "RateLimit"], request_id = "X-Request-Id")]
enum ApiErr {
    #[error("invalid")]
    #[api(status = 422)]
    Invalid {
        #[api(body)]
        problem: Problem,
    },
    #[error("gone")]
    #[api(status = 410)]
    Gone {
        #[api(body)]
        problem: Option<Problem>,
    },
    #[error("rate limited")]
    #[api(status = 429)]
    RateLimited {
        #[api(retry_after)]
        wait: Option<Duration>,
        #[api(rate_limit)]
        rate_limit: Option<RateLimit>,
        #[api(request_id)]
        request_id: Option<String>,
    },
    #[error("unavailable")]
    #[api(status = 503)]
    Unavailable {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[error("server {status}")]
    #[api(status = 500..=599)]
    Server {
        #[api(status)]
        status: StatusCode,
        #[api(body)]
        text: String,
        #[api(request_id)]
        request_id: Option<String>,
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
        #[api(header = "Content-Type")]
        content_type: Option<String>,
    },
}

fn respond(
    status: u16,
    headers: &[(&'static str, String)],
    body: impl Into<axum::body::Body>,
) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    for (name, value) in headers {
        response.headers_mut().insert(*name, value.parse().unwrap());
    }
    response
}

async fn fixtures() -> std::net::SocketAddr {
    let in_two_minutes = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
    let router = axum::Router::new()
        .route(
            "/ok",
            get(|| async { axum::Json(serde_json::json!({"name": "Heat"})) }),
        )
        .route(
            "/created",
            post(|| async {
                (
                    StatusCode::CREATED,
                    axum::Json(serde_json::json!({"name": "New"})),
                )
            }),
        )
        .route("/accepted", post(|| async { StatusCode::ACCEPTED }))
        .route(
            "/deleted",
            axum::routing::delete(|| async { StatusCode::NO_CONTENT }),
        )
        .route(
            "/bad-json-ok",
            get(|| async {
                respond(
                    200,
                    &[("content-type", "application/json".into())],
                    "{not json",
                )
            }),
        )
        .route(
            "/retry-after-seconds",
            get(|| async { respond(429, &[("retry-after", "7".into())], "") }),
        )
        .route(
            "/retry-after-date",
            get(move || {
                let date = in_two_minutes.clone();
                async move { respond(503, &[("Retry-After", date)], "") }
            }),
        )
        .route(
            "/ratelimit-separate",
            get(|| async {
                respond(
                    429,
                    &[
                        ("RateLimit-Limit", "150".into()),
                        ("ratelimit-remaining", "0".into()),
                        ("Ratelimit-Reset", "200".into()),
                        ("X-Request-Id", "req-sep".into()),
                    ],
                    "",
                )
            }),
        )
        .route(
            "/ratelimit-structured",
            get(|| async {
                respond(
                    429,
                    &[
                        ("RateLimit", "\"default\";r=0;t=42".into()),
                        ("RateLimit-Policy", "\"default\";q=100;w=60".into()),
                    ],
                    "",
                )
            }),
        )
        .route(
            "/json-body",
            get(|| async {
                respond(
                    422,
                    &[("content-type", "application/json".into())],
                    r#"{"detail": "title is blank"}"#,
                )
            }),
        )
        .route(
            "/problem-json",
            get(|| async {
                respond(
                    410,
                    &[("content-type", "application/problem+json".into())],
                    r#"{"type": "about:blank", "detail": "moved away"}"#,
                )
            }),
        )
        .route("/empty-410", get(|| async { respond(410, &[], "") }))
        .route(
            "/text-500",
            get(|| async {
                respond(
                    500,
                    &[
                        ("content-type", "text/plain".into()),
                        ("x-request-id", "r-500".into()),
                    ],
                    "storage failed",
                )
            }),
        )
        .route(
            "/invalid-json-422",
            get(|| async {
                respond(
                    422,
                    &[("content-type", "application/json".into())],
                    "<html>proxy error</html>",
                )
            }),
        )
        .route(
            "/huge-418",
            get(|| async { respond(418, &[], vec![b'x'; 1 << 20]) }),
        )
        .route("/empty-409", get(|| async { respond(409, &[], "") }));
    serve(router).await
}

async fn get_json(url: String) -> Result<Title, ApiErr> {
    apifault::reqwest::json(reqwest::get(url).await?).await
}

#[tokio::test]
async fn any_2xx_is_success() {
    let addr = fixtures().await;
    let http = reqwest::Client::new();
    let title: Result<Title, ApiErr> =
        apifault::reqwest::json(http.get(format!("http://{addr}/ok")).send().await.unwrap()).await;
    assert_eq!(
        title.unwrap(),
        Title {
            name: "Heat".into()
        }
    );
    let created: Result<Title, ApiErr> = apifault::reqwest::json(
        http.post(format!("http://{addr}/created"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(created.unwrap().name, "New");
    let accepted: Result<(), ApiErr> = apifault::reqwest::no_content(
        http.post(format!("http://{addr}/accepted"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(accepted.is_ok());
    let deleted: Result<(), ApiErr> = apifault::reqwest::no_content(
        http.delete(format!("http://{addr}/deleted"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(deleted.is_ok());
    let text: Result<String, ApiErr> =
        apifault::reqwest::text(http.get(format!("http://{addr}/ok")).send().await.unwrap()).await;
    assert_eq!(text.unwrap(), r#"{"name":"Heat"}"#);
}

#[tokio::test]
async fn a_2xx_body_that_is_not_json_is_a_non_retryable_transport_error() {
    let addr = fixtures().await;
    let e = get_json(format!("http://{addr}/bad-json-ok"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiErr::Transport(inner) if inner.is_decode()),
        "{e:?}"
    );
    assert_eq!(e.retry(), Retry::Never);
}

#[tokio::test]
async fn every_header_form_is_read() {
    let addr = fixtures().await;
    let e = get_json(format!("http://{addr}/retry-after-seconds"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.retry(), e.retry_after()),
        (Retry::After, Some(Duration::from_secs(7)))
    );

    let e = get_json(format!("http://{addr}/retry-after-date"))
        .await
        .unwrap_err();
    let wait = e.retry_after().expect("an HTTP-date hint");
    assert!(
        wait > Duration::from_secs(110) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );

    let e = get_json(format!("http://{addr}/ratelimit-separate"))
        .await
        .unwrap_err();
    let ApiErr::RateLimited {
        wait,
        rate_limit,
        request_id,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*wait, Some(Duration::from_secs(200)));
    assert_eq!(
        *rate_limit,
        Some(RateLimit::new(150, 0, Duration::from_secs(200)))
    );
    assert_eq!(request_id.as_deref(), Some("req-sep"));

    let e = get_json(format!("http://{addr}/ratelimit-structured"))
        .await
        .unwrap_err();
    let ApiErr::RateLimited {
        wait, rate_limit, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(
        *wait,
        Some(Duration::from_secs(42)),
        "from the structured field's t"
    );
    assert_eq!(
        *rate_limit,
        Some(RateLimit::new(100, 0, Duration::from_secs(42)))
    );
}

#[tokio::test]
async fn every_body_shape_lands_on_its_variant() {
    let addr = fixtures().await;
    let e = get_json(format!("http://{addr}/json-body"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiErr::Invalid { problem } if problem.detail == "title is blank"),
        "{e:?}"
    );

    let e = get_json(format!("http://{addr}/problem-json"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiErr::Gone { problem: Some(p) } if p.detail == "moved away"),
        "{e:?}"
    );

    let e = get_json(format!("http://{addr}/empty-410"))
        .await
        .unwrap_err();
    assert!(matches!(&e, ApiErr::Gone { problem: None }), "{e:?}");

    let e = get_json(format!("http://{addr}/text-500"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiErr::Server { status, text, request_id: Some(id) } if status.as_u16() == 500 && text == "storage failed" && id == "r-500"),
        "{e:?}"
    );
    assert_eq!(e.request_id(), Some("r-500"));

    let e = get_json(format!("http://{addr}/invalid-json-422"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiErr::Other { status, body, content_type: Some(ct) } if status.as_u16() == 422 && body == "<html>proxy error</html>" && ct == "application/json"),
        "invalid JSON with a JSON content type goes to `other`: {e:?}"
    );

    let e = get_json(format!("http://{addr}/empty-409"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiErr::Other { status, body, .. } if status.as_u16() == 409 && body.is_empty()),
        "{e:?}"
    );
}

#[tokio::test]
async fn an_oversized_error_body_is_cut_at_the_cap_and_keeps_its_status() {
    let addr = fixtures().await;
    let response = reqwest::get(format!("http://{addr}/huge-418"))
        .await
        .unwrap();
    let decoder = apifault::reqwest::Decoder::default().error_body_limit(1024);
    let e: ApiErr = decoder.error(response).await;
    assert!(
        matches!(&e, ApiErr::Other { status, body, .. } if status.as_u16() == 418 && body.len() == 1024),
        "{e:?}"
    );

    let e = get_json(format!("http://{addr}/huge-418"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ApiErr::Other { body, .. } if body.len() == apifault::reqwest::DEFAULT_ERROR_BODY_LIMIT),
        "the default cap is 64 KiB"
    );
}

#[tokio::test]
async fn connection_refused_is_safe_to_resend() {
    let addr = refused_addr().await;
    let e = get_json(format!("http://{addr}/ok")).await.unwrap_err();
    assert!(
        matches!(&e, ApiErr::Transport(inner) if inner.is_connect()),
        "{e:?}"
    );
    assert_eq!(e.retry(), Retry::Backoff);
    assert!(e.safe_to_resend(), "nothing was sent");
    assert_eq!(e.status(), None);
}

#[tokio::test]
async fn a_reset_mid_body_keeps_the_error_status() {
    let addr = resets_mid_body(502).await;
    let e = get_json(format!("http://{addr}/")).await.unwrap_err();
    assert!(
        matches!(&e, ApiErr::Server { status, text, request_id: Some(id) } if status.as_u16() == 502 && text.starts_with("0123456789") && id == "cut-1"),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_reset_mid_success_body_is_not_safe_to_resend() {
    let addr = resets_mid_body(200).await;
    let e = get_json(format!("http://{addr}/")).await.unwrap_err();
    assert!(matches!(&e, ApiErr::Transport(_)), "{e:?}");
    assert_eq!(e.retry(), Retry::Backoff);
    assert!(
        !e.safe_to_resend(),
        "the server answered: it read the request"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let addr = never_answers().await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let result: Result<Title, ApiErr> = match http.get(format!("http://{addr}/")).send().await {
        Ok(response) => apifault::reqwest::json(response).await,
        Err(error) => Err(error.into()),
    };
    let e = result.unwrap_err();
    assert!(
        matches!(&e, ApiErr::Transport(inner) if inner.is_timeout()),
        "{e:?}"
    );
    assert_eq!(e.retry(), Retry::Backoff);
    assert!(!e.safe_to_resend(), "the request may have been read");
}

/// A client built with `#[apifault::retry]` over the glue, against a
/// scripted server: counts requests per path.
struct Client {
    http: reqwest::Client,
    base: String,
    policy: RetryPolicy,
}

impl Client {
    #[apifault::retry(policy = &self.policy)]
    async fn get(&self, path: &str) -> Result<Title, ApiErr> {
        apifault::reqwest::json(self.http.get(format!("{}{path}", self.base)).send().await?).await
    }

    #[apifault::retry(policy = &self.policy, idempotent = false)]
    async fn create(&self, path: &str) -> Result<Title, ApiErr> {
        apifault::reqwest::json(
            self.http
                .post(format!("{}{path}", self.base))
                .send()
                .await?,
        )
        .await
    }
}

async fn scripted(statuses: &'static [u16]) -> (std::net::SocketAddr, Arc<AtomicU32>) {
    let hits = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&hits);
    let handler = move |_: HeaderMap| {
        let n = counter.fetch_add(1, Ordering::SeqCst) as usize;
        async move {
            match statuses.get(n) {
                Some(&status) => {
                    respond(status, &[("retry-after", "0".into())], "").into_response()
                }
                None => axum::Json(serde_json::json!({"name": "finally"})).into_response(),
            }
        }
    };
    let router = axum::Router::new().route("/t", get(handler.clone()).post(handler));
    (serve(router).await, hits)
}

fn client(addr: std::net::SocketAddr) -> Client {
    Client {
        http: reqwest::Client::new(),
        base: format!("http://{addr}"),
        policy: RetryPolicy::exponential(Duration::from_millis(1)).max_retries(3),
    }
}

#[tokio::test]
async fn retried_or_not_as_the_enum_says() {
    let (addr, hits) = scripted(&[503, 502, 429]).await;
    assert_eq!(client(addr).get("/t").await.unwrap().name, "finally");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        4,
        "503, 502 and 429 are retried"
    );

    let (addr, hits) = scripted(&[422, 422]).await;
    assert!(matches!(
        client(addr).get("/t").await,
        Err(ApiErr::Other { .. })
    ));
    assert_eq!(hits.load(Ordering::SeqCst), 1, "a 422 is never retried");

    let (addr, hits) = scripted(&[500, 500]).await;
    assert!(matches!(
        client(addr).create("/t").await,
        Err(ApiErr::Server { .. })
    ));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "a POST is not resent after a 500"
    );

    let (addr, hits) = scripted(&[503, 429]).await;
    assert_eq!(client(addr).create("/t").await.unwrap().name, "finally");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        3,
        "but is after a 503 and a 429"
    );

    let refused = refused_addr().await;
    let c = client(refused);
    let started = std::time::Instant::now();
    assert!(matches!(c.create("/t").await, Err(ApiErr::Transport(_))));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "4 attempts, millisecond waits"
    );
}

#[tokio::test]
async fn errors_from_error_for_status_classify_by_their_status() {
    let addr = fixtures().await;
    let not_found = reqwest::get(format!("http://{addr}/nowhere"))
        .await
        .unwrap()
        .error_for_status()
        .unwrap_err();
    let e = ApiErr::from(not_found);
    assert_eq!(
        e.retry(),
        Retry::Never,
        "a 404 is not retried, even as a reqwest::Error"
    );
    let limited = reqwest::get(format!("http://{addr}/retry-after-seconds"))
        .await
        .unwrap()
        .error_for_status()
        .unwrap_err();
    let e = ApiErr::from(limited);
    assert_eq!(e.retry(), Retry::After);
    assert!(e.safe_to_resend());
}

/// A minimal executor that is not tokio: waits must not need a tokio
/// runtime even though the `tokio` feature is on.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}

#[test]
fn async_retries_wait_outside_a_tokio_runtime() {
    #[derive(Debug, ApiError)]
    enum E {
        #[api(status = 503)]
        Unavailable,
    }
    let policy = RetryPolicy::exponential(Duration::from_millis(5)).max_retries(2);
    let calls = AtomicU32::new(0);
    let result = block_on(apifault::retry(&policy, || {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        async move { if n < 2 { Err(E::Unavailable) } else { Ok(n) } }
    }));
    assert_eq!(result.unwrap(), 2);
}
