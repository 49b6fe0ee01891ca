//! Vendor dialects over real HTTP on loopback: a throttle that reads an
//! API's own rate-limit headers (`x-ratelimit-*-requests` with Go-duration
//! resets, as OpenAI sends them) keeps a client clear of 429s, and the
//! reqwest glue decodes an error reported inside a 200 (Slack's `{"ok":
//! false}`) into the enum, so that the retry attribute retries it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apifault::{ApiError, RateLimit, Retry, RetryPolicy, Throttle};
use apifault_tests::http_support::serve;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use tokio::time::Instant;

const LIMIT: u32 = 40;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, ApiError)]
#[api(
    retry_after = [ms("retry-after-ms"), "Retry-After"],
    rate_limit(limit = "x-ratelimit-limit-requests",
               remaining = "x-ratelimit-remaining-requests",
               reset = duration("x-ratelimit-reset-requests")),
)]
enum LlmError {
    #[api(status = 429)]
    RateLimited {
        #[api(retry_after)]
        wait: Option<Duration>,
        #[api(rate_limit)]
        limits: Option<RateLimit>,
    },
    #[api(transport)]
    Transport(reqwest::Error),
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

impl From<reqwest::Error> for LlmError {
    fn from(error: reqwest::Error) -> Self {
        LlmError::Transport(error)
    }
}

#[derive(Default)]
struct Limiter {
    window: Mutex<(Option<Instant>, u32)>,
    served: AtomicU32,
    rejected: AtomicU32,
}

/// One quota of `LIMIT` requests per `WINDOW`, announced only in the
/// vendor's own headers: no standard `RateLimit-*` at all.
async fn limited(State(limiter): State<Arc<Limiter>>) -> Response {
    let now = Instant::now();
    let (remaining, left) = {
        let mut window = limiter.window.lock().unwrap();
        let start = match window.0 {
            Some(start) if now < start + WINDOW => start,
            _ => {
                *window = (Some(now), 0);
                now
            }
        };
        window.1 += 1;
        (
            LIMIT.checked_sub(window.1),
            (start + WINDOW).saturating_duration_since(now),
        )
    };
    let mut response = match remaining {
        Some(_) => {
            limiter.served.fetch_add(1, Ordering::SeqCst);
            "{}".into_response()
        }
        None => {
            limiter.rejected.fetch_add(1, Ordering::SeqCst);
            let mut response = StatusCode::TOO_MANY_REQUESTS.into_response();
            let ms = left.as_millis().to_string();
            response
                .headers_mut()
                .insert("retry-after-ms", ms.parse().unwrap());
            response
        }
    };
    // A Go duration, to the millisecond, as OpenAI writes its resets.
    let reset = format!(
        "{}m{}.{:03}s",
        left.as_secs() / 60,
        left.as_secs() % 60,
        left.subsec_millis()
    );
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit-requests", LIMIT.into());
    headers.insert(
        "x-ratelimit-remaining-requests",
        remaining.unwrap_or(0).into(),
    );
    headers.insert("x-ratelimit-reset-requests", reset.parse().unwrap());
    response
}

#[tokio::test(start_paused = true)]
async fn a_throttle_reading_the_apis_own_headers_sees_no_429() {
    let limiter = Arc::new(Limiter::default());
    let app = axum::Router::new()
        .route("/", get(limited))
        .with_state(Arc::clone(&limiter));
    let addr = serve(app).await;
    let http = reqwest::Client::new();
    let throttle = Throttle::new();
    let started = Instant::now();

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (http, throttle) = (http.clone(), throttle.clone());
        tasks.spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..20 {
                let request = http.get(format!("http://{addr}/"));
                let response = apifault::reqwest::send_for::<LlmError>(&throttle, request)
                    .await
                    .expect("loopback request");
                statuses.push(response.status().as_u16());
            }
            statuses
        });
    }
    let mut statuses = Vec::new();
    while let Some(result) = tasks.join_next().await {
        statuses.extend(result.expect("task"));
    }
    assert_eq!(statuses.len(), 160);
    assert_eq!(limiter.rejected.load(Ordering::SeqCst), 0, "no 429 at all");
    assert_eq!(limiter.served.load(Ordering::SeqCst), 160);
    // 160 requests at 40 a window need 4 windows: 3 resets waited out.
    assert!(started.elapsed() >= WINDOW * 3, "{:?}", started.elapsed());
    assert!(started.elapsed() <= WINDOW * 5, "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn the_standard_reading_misses_the_vendor_headers() {
    let limiter = Arc::new(Limiter::default());
    let app = axum::Router::new()
        .route("/", get(limited))
        .with_state(Arc::clone(&limiter));
    let addr = serve(app).await;
    let http = reqwest::Client::new();
    let throttle = Throttle::new();
    for _ in 0..(LIMIT + 10) {
        let request = http.get(format!("http://{addr}/"));
        let _ = apifault::reqwest::send(&throttle, request)
            .await
            .expect("loopback request");
    }
    assert_eq!(
        limiter.rejected.load(Ordering::SeqCst),
        10,
        "without the enum's headers the throttle learns nothing"
    );
    // The 429 itself decodes with the vendor's hint and limits.
    let response = http.get(format!("http://{addr}/")).send().await.unwrap();
    let e: LlmError = apifault::reqwest::Decoder::default().error(response).await;
    let LlmError::RateLimited { wait, limits } = &e else {
        panic!("{e:?}")
    };
    assert!(wait.is_some_and(|w| w <= WINDOW), "{wait:?}");
    assert_eq!(limits.and_then(|l| l.remaining), Some(0));
    assert_eq!(e.retry(), Retry::After);
}

#[derive(Debug, ApiError)]
#[api(error_2xx(body = "/ok: false"), code = "/error", retry_after = [secs("Retry-After")])]
enum ChatError {
    #[api(status = 200, when(code = "ratelimited"), retry = "after")]
    RateLimited {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[api(status = 200)]
    Failed {
        #[api(body)]
        body: serde_json::Value,
    },
    #[api(transport)]
    Transport(reqwest::Error),
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

impl From<reqwest::Error> for ChatError {
    fn from(error: reqwest::Error) -> Self {
        ChatError::Transport(error)
    }
}

/// Answers `{"ok": false, "error": "ratelimited"}` with HTTP 200 and
/// `Retry-After: 1.5` for the first `failures` calls, then succeeds.
async fn chat(State(calls): State<Arc<AtomicU32>>) -> Response {
    let n = calls.fetch_add(1, Ordering::SeqCst);
    if n < 2 {
        let mut response =
            axum::Json(serde_json::json!({"ok": false, "error": "ratelimited"})).into_response();
        response
            .headers_mut()
            .insert("retry-after", "1.5".parse().unwrap());
        return response;
    }
    if n == 2 {
        return axum::Json(serde_json::json!({"ok": false, "error": "channel_not_found"}))
            .into_response();
    }
    axum::Json(serde_json::json!({"ok": true, "ts": "1.2"})).into_response()
}

struct Slack {
    http: reqwest::Client,
    base: String,
    policy: RetryPolicy,
}

impl Slack {
    #[apifault::retry(policy = &self.policy)]
    async fn post(&self) -> Result<serde_json::Value, ChatError> {
        let response = self.http.get(format!("{}/chat", self.base)).send().await?;
        apifault::reqwest::json(response).await
    }
}

#[tokio::test(start_paused = true)]
async fn an_error_inside_a_200_is_decoded_and_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let app = axum::Router::new()
        .route("/chat", get(chat))
        .with_state(Arc::clone(&calls));
    let addr = serve(app).await;
    let slack = Slack {
        http: reqwest::Client::new(),
        base: format!("http://{addr}"),
        policy: RetryPolicy::default().no_max_elapsed(),
    };
    let started = Instant::now();
    // Two in-band rate limits, waited out exactly (1.5 s each), then an
    // in-band failure that is never retried.
    let e = slack.post().await.unwrap_err();
    assert!(
        matches!(&e, ChatError::Failed { body } if body["error"] == "channel_not_found"),
        "{e:?}"
    );
    assert_eq!(e.retry(), Retry::Never);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    // Then a real success: the body reaches the caller whole.
    let ok = slack.post().await.expect("success");
    assert_eq!(ok["ts"], "1.2");

    // The buffered success keeps its status and headers.
    let response = reqwest::get(format!("http://{addr}/chat")).await.unwrap();
    let kept = apifault::reqwest::Decoder::default()
        .success::<ChatError>(response)
        .await
        .expect("a success");
    assert_eq!(kept.status(), StatusCode::OK);
    assert_eq!(kept.headers()["content-type"], "application/json");
    assert_eq!(kept.json::<serde_json::Value>().await.unwrap()["ok"], true);
}
