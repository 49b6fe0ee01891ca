//! `apifault::middleware` in a `reqwest_middleware::ClientWithMiddleware`,
//! over real HTTP on loopback: what is retried, what is resent, how long
//! it waits, what comes back, and the throttle holding requests.
//!
//! The retry tests run on the real clock with millisecond waits (a paused
//! clock would jump while a socket waits); the throttle test runs on
//! tokio's paused clock, which the server's windows use too.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apifault::middleware::{Retry, Throttle};
use apifault::{ApiError, Jitter, RetryPolicy, StopReason};
use apifault_tests::http_support::{refused_addr, serve};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode};
use reqwest_middleware::ClientWithMiddleware;

#[derive(Debug, thiserror::Error, ApiError)]
#[api(retry_after = [ms("retry-after-ms"), "Retry-After"], request_id = "X-Request-Id")]
enum ShopError {
    #[error("rate limited")]
    #[api(status = 429)]
    RateLimited {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[error("unavailable")]
    #[api(status = 503)]
    Unavailable {
        #[api(request_id)]
        request_id: Option<String>,
    },
    #[error("server {status}")]
    #[api(status = 500..=599)]
    Server {
        #[api(status)]
        status: StatusCode,
        #[api(body)]
        body: String,
    },
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

/// Slack's way: errors inside a 200.
#[derive(Debug, ApiError)]
#[api(error_2xx(body = "/ok: false"), code = "/error")]
enum ChatError {
    #[api(status = 200, when(code = "ratelimited"), retry = "after")]
    RateLimited {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

/// One scripted answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, String)>, Vec<u8>);

/// A request the server saw: its method and `Idempotency-Key`, if any.
type Seen = (Method, Option<String>);

#[derive(Default)]
struct Server {
    script: Mutex<VecDeque<Answer>>,
    /// Answered once the script is spent.
    otherwise: Mutex<Option<Answer>>,
    seen: Mutex<Vec<Seen>>,
}

impl Server {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn scripted(
    State(server): State<Arc<Server>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    server.seen.lock().unwrap().push((method, key));
    let next = server.script.lock().unwrap().pop_front();
    let otherwise = server.otherwise.lock().unwrap().clone();
    let (status, headers, body) =
        next.or(otherwise)
            .unwrap_or((200, vec![("x-request-id", "ok-1".into())], b"ok".to_vec()));
    let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

async fn start(script: Vec<Answer>, otherwise: Option<Answer>) -> (Arc<Server>, String) {
    let server = Arc::new(Server {
        script: Mutex::new(script.into()),
        otherwise: Mutex::new(otherwise),
        ..Server::default()
    });
    let app = axum::Router::new()
        .route("/orders", axum::routing::any(scripted))
        .with_state(Arc::clone(&server));
    let addr = serve(app).await;
    (server, format!("http://{addr}/orders"))
}

/// A retry as the `on_retry` hook saw it: status, delay, request id.
type SeenRetry = (Option<u16>, Duration, Option<String>);

/// What the policy's hooks saw: each retry's (status, delay, request id),
/// and each give-up's (attempts, reason).
#[derive(Clone, Default)]
struct Hooks {
    retries: Arc<Mutex<Vec<SeenRetry>>>,
    give_ups: Arc<Mutex<Vec<(u32, StopReason)>>>,
}

impl Hooks {
    fn policy(&self, max_retries: u32) -> RetryPolicy {
        let (retries, give_ups) = (Arc::clone(&self.retries), Arc::clone(&self.give_ups));
        RetryPolicy::exponential(Duration::from_millis(1))
            .jitter(Jitter::None)
            .max_retries(max_retries)
            .on_retry(move |event| {
                retries.lock().unwrap().push((
                    event.error.status().map(|s| s.as_u16()),
                    event.delay,
                    event.error.request_id().map(str::to_owned),
                ));
            })
            .on_give_up(move |event| {
                give_ups
                    .lock()
                    .unwrap()
                    .push((event.attempts, event.reason))
            })
    }

    fn retries(&self) -> Vec<SeenRetry> {
        self.retries.lock().unwrap().clone()
    }

    fn give_ups(&self) -> Vec<(u32, StopReason)> {
        self.give_ups.lock().unwrap().clone()
    }
}

fn client<E>(policy: RetryPolicy) -> ClientWithMiddleware
where
    E: apifault::FromResponse + ApiError + Send + 'static,
{
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(Retry::<E>::new(policy))
        .build()
}

fn answer(status: u16, headers: &[(&'static str, &str)], body: &[u8]) -> Answer {
    let headers = headers.iter().map(|&(n, v)| (n, v.to_owned())).collect();
    (status, headers, body.to_vec())
}

#[tokio::test]
async fn a_get_is_retried_through_503s_and_the_hooks_see_each_retry() {
    let unavailable = answer(503, &[("x-request-id", "req-7")], b"down");
    let (server, url) = start(vec![unavailable.clone(), unavailable], None).await;
    let hooks = Hooks::default();
    let http = client::<ShopError>(hooks.policy(3));

    let response = http.get(&url).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-request-id"], "ok-1");
    assert_eq!(response.text().await.unwrap(), "ok");
    assert_eq!(server.seen().len(), 3);
    let retry = (
        Some(503),
        Duration::from_millis(1),
        Some("req-7".to_owned()),
    );
    let second = (
        Some(503),
        Duration::from_millis(2),
        Some("req-7".to_owned()),
    );
    assert_eq!(hooks.retries(), vec![retry, second]);
    assert!(hooks.give_ups().is_empty());
}

#[tokio::test]
async fn what_is_resent_depends_on_the_method_the_key_and_the_failure() {
    // (method, Idempotency-Key, first answer, requests the server sees)
    let cases: [(Method, Option<&str>, u16, usize); 7] = [
        (Method::POST, None, 500, 1),  // may have been applied: never resent
        (Method::PATCH, None, 502, 1), // not idempotent either
        (Method::POST, None, 503, 2),  // a 503 changed nothing: safe to resend
        (Method::POST, None, 429, 2),  // nor did a 429
        (Method::POST, Some("k-1"), 500, 2), // the key makes it safe
        (Method::PUT, None, 500, 2),   // idempotent methods are resent
        (Method::DELETE, None, 502, 2),
    ];
    for (method, key, status, expected) in cases {
        let (server, url) = start(vec![answer(status, &[], b"first")], None).await;
        let hooks = Hooks::default();
        let http = client::<ShopError>(hooks.policy(3));
        let mut request = http.request(method.clone(), &url).body("{}");
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }

        let response = request.send().await.unwrap();

        let seen = server.seen();
        assert_eq!(seen.len(), expected, "{method} {key:?} after {status}");
        assert!(
            seen.iter()
                .all(|(m, k)| *m == method && k.as_deref() == key)
        );
        if expected == 1 {
            // The failure comes back as it was, for the caller to decode.
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(response.text().await.unwrap(), "first");
            assert_eq!(hooks.give_ups(), vec![(1, StopReason::NotSafeToResend)]);
        } else {
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "{method} {key:?} after {status}"
            );
        }
    }
}

#[tokio::test]
async fn a_policy_marked_not_idempotent_resends_nothing_that_may_have_applied() {
    let (server, url) = start(vec![answer(500, &[], b"first")], None).await;
    let hooks = Hooks::default();
    let http = client::<ShopError>(hooks.policy(3).idempotent(false));

    let response = http.get(&url).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(server.seen().len(), 1);
    assert_eq!(hooks.give_ups(), vec![(1, StopReason::NotSafeToResend)]);
}

#[tokio::test]
async fn a_body_that_cannot_be_copied_is_sent_once() {
    let (server, url) = start(vec![answer(503, &[], b"busy")], None).await;
    let hooks = Hooks::default();
    let http = client::<ShopError>(hooks.policy(3));

    // A streamed body: reqwest cannot copy it for a second attempt.
    let body = reqwest::Body::wrap(String::from("{}"));
    let response = http.put(&url).body(body).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.text().await.unwrap(), "busy");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_429_waits_the_servers_hint() {
    let limited = answer(429, &[("retry-after-ms", "80")], b"");
    let (server, url) = start(vec![limited], None).await;
    let hooks = Hooks::default();
    let http = client::<ShopError>(hooks.policy(3));

    let started = std::time::Instant::now();
    let response = http.get(&url).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(80),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        hooks.retries(),
        vec![(Some(429), Duration::from_millis(80), None)]
    );
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn the_last_response_comes_back_untouched() {
    // Over the 64 KiB decoding cap, so the body is read in part to decide
    // and must still come back whole.
    let body: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let bad_gateway = answer(
        502,
        &[("x-request-id", "gw-1"), ("x-upstream", "db")],
        &body,
    );
    let (server, url) = start(vec![], Some(bad_gateway)).await;
    let hooks = Hooks::default();
    let http = client::<ShopError>(hooks.policy(2));

    let response = http.get(&url).send().await.unwrap();

    assert_eq!(server.seen().len(), 3);
    assert_eq!(hooks.give_ups(), vec![(3, StopReason::MaxRetries)]);
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(response.version(), http::Version::HTTP_11);
    assert_eq!(response.headers()["x-request-id"], "gw-1");
    assert_eq!(response.headers()["x-upstream"], "db");
    assert_eq!(response.headers()["content-length"], "100000");
    assert_eq!(response.bytes().await.unwrap().as_ref(), body.as_slice());

    // And the caller decodes it as without the middleware.
    let response = http.get(&url).send().await.unwrap();
    let decoded = apifault::reqwest::text::<ShopError>(response)
        .await
        .unwrap_err();
    let ShopError::Server {
        status,
        body: decoded,
    } = decoded
    else {
        panic!("not a server error: {}", decoded);
    };
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        decoded.as_bytes(),
        &body[..65_536],
        "cut at the decoder's cap"
    );
}

#[tokio::test]
async fn an_error_inside_a_200_is_retried_and_a_success_kept() {
    let failed = answer(200, &[], br#"{"ok": false, "error": "ratelimited"}"#);
    let fine = answer(200, &[], br#"{"ok": true}"#);
    let (server, url) = start(vec![failed, fine], None).await;
    let hooks = Hooks::default();
    let http = client::<ChatError>(hooks.policy(3));

    let response = http.get(&url).send().await.unwrap();

    assert_eq!(server.seen().len(), 2);
    assert_eq!(hooks.retries().len(), 1);
    assert_eq!(response.text().await.unwrap(), r#"{"ok": true}"#);
}

#[tokio::test]
async fn transport_errors_are_classified_as_the_transport_variant_would_be() {
    // A refused connection sent nothing: retried whatever the method.
    let addr = refused_addr().await;
    for method in [Method::GET, Method::POST] {
        let hooks = Hooks::default();
        let http = client::<ShopError>(hooks.policy(2));

        let error = http
            .request(method.clone(), format!("http://{addr}/orders"))
            .send()
            .await
            .unwrap_err();

        assert!(matches!(&error, reqwest_middleware::Error::Reqwest(e) if e.is_connect()));
        assert_eq!(hooks.retries().len(), 2, "{method}");
        assert!(hooks.retries().iter().all(|(status, ..)| status.is_none()));
        assert_eq!(hooks.give_ups(), vec![(3, StopReason::MaxRetries)]);
    }
}

const LIMIT: u32 = 5;
const WINDOW: Duration = Duration::from_secs(10);

#[tokio::test(start_paused = true)]
async fn the_throttle_holds_requests_until_the_window_resets() {
    let (addr, limiter) = apifault_tests::http_support::FixedWindow::serve(LIMIT, WINDOW).await;
    let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(Throttle::new(apifault::Throttle::new()).observe_for::<ShopError>())
        .build();

    let started = tokio::time::Instant::now();
    for _ in 0..4 * LIMIT {
        let response = http.get(format!("http://{addr}/")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    assert_eq!(limiter.rejected(), 0);
    // Four windows' worth: the throttle waited out three resets.
    assert!(started.elapsed() >= WINDOW * 3, "{:?}", started.elapsed());
    assert!(started.elapsed() < WINDOW * 5, "{:?}", started.elapsed());
}
