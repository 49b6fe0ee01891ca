//! End-to-end tests of the Lightcast example: the real client (reqwest over
//! loopback) against the emulator, on tokio's paused clock. For every
//! documented status: whether it is retried, how long the client waits, and
//! the variant it surfaces with its fields.

use std::sync::Arc;
use std::time::Duration;

use apifault::{ApiError, RateLimit, Retry, Throttle};
use apifault_examples::emulator::{Quota, refused_addr};
use apifault_examples::lightcast::{
    EMULATOR_TOKEN, LightcastClient, LightcastEmulator, LightcastError, MAX_BODY_BYTES,
    documented_policy, start,
};
use apifault_examples::tour::Recorder;
use axum::http::StatusCode;
use tokio::time::Instant;

const PYTHON: &str = "KS1200364C9C1LK3V5Q1";
const SQL: &str = "KS440W865GC4VRBW6LJP";
const SKILL: &str = "GET /skills/{id}";
const EXTRACT: &str = "POST /skills/extract";
const STATUS: &str = "GET /status";

struct Setup {
    base: String,
    api: Arc<LightcastEmulator>,
    client: LightcastClient,
    recorder: Recorder,
}

async fn setup() -> Setup {
    let (base, api) = start().await.expect("emulator starts");
    let recorder = Recorder::default();
    let client = LightcastClient::new(
        base.clone(),
        EMULATOR_TOKEN,
        recorder.attach(documented_policy()),
    );
    Setup {
        base,
        api,
        client,
        recorder,
    }
}

impl Setup {
    /// The statuses answered since the last call, forgetting them, and the
    /// waits the policy took.
    fn take(&self) -> (Vec<u16>, Vec<Duration>) {
        let statuses = self.api.emulator.statuses();
        self.api.emulator.clear_hits();
        (statuses, self.recorder.take())
    }

    fn endpoints(&self) -> Vec<(String, u16)> {
        self.api
            .emulator
            .hits()
            .into_iter()
            .map(|hit| (hit.endpoint, hit.status))
            .collect()
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Retry `n` (from 1) of the documented policy waits, with equal jitter,
/// between half of `2^(n-1)` seconds and all of it.
fn assert_backoff(waits: &[Duration]) {
    for (n, wait) in (0u32..).zip(waits) {
        let full = Duration::from_secs(1 << n);
        assert!(
            *wait >= full / 2 && *wait <= full,
            "retry {}: waited {wait:?}, expected {:?}..={full:?} (all waits: {waits:?})",
            n + 1,
            full / 2,
        );
    }
}

fn is_documented_variant(status: u16, error: &LightcastError) -> bool {
    match status {
        400 => matches!(error, LightcastError::BadRequest { .. }),
        401 => matches!(error, LightcastError::Unauthorized { .. }),
        404 => matches!(error, LightcastError::NotFound { .. }),
        413 => matches!(error, LightcastError::PayloadTooLarge { .. }),
        415 => matches!(error, LightcastError::UnsupportedMediaType { .. }),
        422 => matches!(error, LightcastError::Unprocessable { .. }),
        429 => matches!(error, LightcastError::RateLimited { .. }),
        500 => matches!(error, LightcastError::Internal { .. }),
        502 => matches!(error, LightcastError::BadGateway { .. }),
        503 => matches!(error, LightcastError::Unavailable { .. }),
        504 => matches!(error, LightcastError::GatewayTimeout { .. }),
        _ => false,
    }
}

fn detail(error: &LightcastError) -> String {
    error
        .body()
        .and_then(|body| body.errors.first())
        .and_then(|e| e.detail.clone())
        .unwrap_or_default()
}

/// `POST /skills/extract` as `text/plain`, which the client never sends.
async fn extract_plain_text(
    base: &str,
    policy: &apifault::RetryPolicy,
) -> Result<serde_json::Value, LightcastError> {
    let http = reqwest::Client::new();
    apifault::retry(policy, || async {
        let response = http
            .post(format!("{base}/skills/extract"))
            .bearer_auth(EMULATOR_TOKEN)
            .header("content-type", "text/plain")
            .body("Python and SQL")
            .send()
            .await?;
        apifault::reqwest::json::<serde_json::Value, LightcastError>(response).await
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn documented_successes_are_200_and_sent_once() {
    let t = setup().await;

    let status = t.client.status().await.expect("status");
    assert!(status.healthy);
    let skill = t.client.get_skill(PYTHON).await.expect("skill");
    assert_eq!(skill.name, "Python (Programming Language)");
    assert_eq!(skill.kind, "Specialized Skill");
    let found = t
        .client
        .extract_skills("Python, SQL and communication")
        .await
        .expect("extraction");
    let ids: Vec<&str> = found.iter().map(|f| f.skill.id.as_str()).collect();
    assert_eq!(ids, [PYTHON, SQL, "KS1218W78FGVPVP2KXPX"]);

    assert_eq!(t.take(), (vec![200, 200, 200], vec![]));
}

#[tokio::test(start_paused = true)]
async fn any_2xx_is_success_not_only_200() {
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/status",
            get(|| async {
                let body = serde_json::json!({"data": {"message": "cached", "healthy": true}});
                (StatusCode::NON_AUTHORITATIVE_INFORMATION, axum::Json(body))
            }),
        )
        .route(
            "/skills/{id}",
            get(|| async {
                let body = serde_json::json!({"data": {"id": PYTHON, "name": "Python", "type": "Specialized Skill"}});
                (StatusCode::ACCEPTED, axum::Json(body))
            }),
        );
    let addr = apifault_examples::emulator::serve(app)
        .await
        .expect("server starts");
    let client = LightcastClient::new(
        format!("http://{addr}"),
        EMULATOR_TOKEN,
        documented_policy(),
    );

    assert_eq!(
        client.status().await.expect("203 is success").message,
        "cached"
    );
    assert_eq!(
        client.get_skill(PYTHON).await.expect("202 is success").id,
        PYTHON
    );
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_never_retried_and_surface_their_typed_body() {
    let t = setup().await;
    for status in [400, 401, 404, 413, 415, 422] {
        t.api
            .emulator
            .script(SKILL, [LightcastError::emulated(status)]);

        let error = t.client.get_skill(PYTHON).await.expect_err("scripted");

        assert_eq!(
            t.take(),
            (vec![status], vec![]),
            "{status}: one attempt, no wait"
        );
        assert!(
            is_documented_variant(status, &error),
            "{status}: got {error:?}"
        );
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.retry(), Retry::Never, "{status}");
        let body = error.body().expect("typed body decoded");
        assert_eq!(body.status(), Some(status));
        assert_eq!(detail(&error), format!("emulated {status}"));
    }
}

#[tokio::test(start_paused = true)]
async fn malformed_skill_id_is_400_not_retried() {
    let t = setup().await;
    let error = t.client.get_skill("not-a-skill").await.expect_err("400");
    assert!(
        matches!(error, LightcastError::BadRequest { body: Some(_) }),
        "{error:?}"
    );
    assert!(detail(&error).contains("is not a skill id"));
    assert_eq!(t.take(), (vec![400], vec![]));
}

#[tokio::test(start_paused = true)]
async fn malformed_json_is_400_not_retried() {
    let t = setup().await;
    let http = reqwest::Client::new();
    let policy = t.recorder.attach(documented_policy());
    let result = apifault::retry(&policy, || async {
        let response = http
            .post(format!("{}/skills/extract", t.base))
            .bearer_auth(EMULATOR_TOKEN)
            .header("content-type", "application/json")
            .body(r#"{"txt": 1}"#)
            .send()
            .await?;
        apifault::reqwest::json::<serde_json::Value, LightcastError>(response).await
    })
    .await;
    let error = result.expect_err("400");
    assert!(
        matches!(error, LightcastError::BadRequest { body: Some(_) }),
        "{error:?}"
    );
    assert!(detail(&error).contains("text"), "names the missing field");
    assert_eq!(t.take(), (vec![400], vec![]));
}

#[tokio::test(start_paused = true)]
async fn invalid_token_is_401_not_retried() {
    let t = setup().await;
    let expired = LightcastClient::new(
        t.base.clone(),
        "expired-token",
        t.recorder.attach(documented_policy()),
    );
    let error = expired.get_skill(PYTHON).await.expect_err("401");
    assert!(
        matches!(error, LightcastError::Unauthorized { body: Some(_) }),
        "{error:?}"
    );
    assert_eq!(t.take(), (vec![401], vec![]));

    let error = expired.extract_skills("Python").await.expect_err("401");
    assert!(
        matches!(error, LightcastError::Unauthorized { .. }),
        "{error:?}"
    );
    assert_eq!(t.take(), (vec![401], vec![]));
}

#[tokio::test(start_paused = true)]
async fn unknown_skill_is_404_not_retried() {
    let t = setup().await;
    let error = t
        .client
        .get_skill("KS0000000000000000ZZ")
        .await
        .expect_err("404");
    assert!(
        matches!(error, LightcastError::NotFound { body: Some(_) }),
        "{error:?}"
    );
    assert_eq!(detail(&error), "no skill KS0000000000000000ZZ");
    assert_eq!(t.take(), (vec![404], vec![]));
}

#[tokio::test(start_paused = true)]
async fn too_large_text_is_413_not_retried() {
    let t = setup().await;
    let huge = "x".repeat(MAX_BODY_BYTES + 1);
    let error = t.client.extract_skills(&huge).await.expect_err("413");
    assert!(
        matches!(&error, LightcastError::PayloadTooLarge { body: Some(b) } if b.status() == Some(413)),
        "{error:?}"
    );
    assert_eq!(t.take(), (vec![413], vec![]));

    // Just under the limit is accepted.
    let text = "x".repeat(MAX_BODY_BYTES - 20);
    assert!(t.client.extract_skills(&text).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn plain_text_body_is_415_not_retried() {
    let t = setup().await;
    let policy = t.recorder.attach(documented_policy());
    let error = extract_plain_text(&t.base, &policy).await.expect_err("415");
    assert!(
        matches!(&error, LightcastError::UnsupportedMediaType { body: Some(b) } if b.status() == Some(415)),
        "{error:?}"
    );
    assert_eq!(t.take(), (vec![415], vec![]));
}

#[tokio::test(start_paused = true)]
async fn empty_text_is_422_not_retried_with_its_typed_body() {
    let t = setup().await;
    let error = t.client.extract_skills("   ").await.expect_err("422");
    let LightcastError::Unprocessable { body: Some(body) } = &error else {
        panic!("expected a 422 with a body, got {error:?}");
    };
    assert_eq!(body.errors.len(), 1);
    assert_eq!(body.errors[0].status, 422);
    assert_eq!(body.errors[0].title, "Unprocessable Entity");
    assert_eq!(
        body.errors[0].detail.as_deref(),
        Some("text must not be empty")
    );
    assert!(!error.is_retryable());
    assert_eq!(t.take(), (vec![422], vec![]));
}

#[tokio::test(start_paused = true)]
async fn server_errors_back_off_with_equal_jitter_then_succeed() {
    let t = setup().await;
    for status in [500, 502, 503, 504] {
        t.api
            .emulator
            .script(SKILL, [status, status].map(LightcastError::emulated));
        let started = Instant::now();

        let skill = t
            .client
            .get_skill(PYTHON)
            .await
            .expect("retried to success");

        assert_eq!(skill.id, PYTHON);
        let (statuses, waits) = t.take();
        assert_eq!(statuses, [status, status, 200], "{status}");
        assert_eq!(waits.len(), 2, "{status}");
        assert_backoff(&waits);
        assert!(
            started.elapsed() >= waits.iter().sum(),
            "{status}: the waits were taken"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn upstream_502_then_504_back_off_then_succeed() {
    let t = setup().await;
    t.api
        .emulator
        .script(EXTRACT, [502, 504].map(LightcastError::emulated));
    let found = t.client.extract_skills("Rust").await.expect("retried");
    assert_eq!(found[0].skill.name, "Rust (Programming Language)");
    let (statuses, waits) = t.take();
    assert_eq!(statuses, [502, 504, 200]);
    assert_backoff(&waits);
}

#[tokio::test(start_paused = true)]
async fn server_errors_give_up_after_four_retries_with_the_last_error() {
    let t = setup().await;
    for status in [500, 502, 503, 504] {
        t.api
            .emulator
            .script(SKILL, (0..5).map(|_| LightcastError::emulated(status)));

        let error = t.client.get_skill(PYTHON).await.expect_err("gives up");

        let (statuses, waits) = t.take();
        assert_eq!(statuses, [status; 5], "{status}: four retries");
        assert_eq!(waits.len(), 4, "{status}");
        assert_backoff(&waits);
        assert!(
            is_documented_variant(status, &error),
            "{status}: got {error:?}"
        );
        assert_eq!(error.retry(), Retry::Backoff);
        assert_eq!(error.body().and_then(|b| b.status()), Some(status));
    }
}

#[tokio::test(start_paused = true)]
async fn rate_limited_waits_retry_after_then_succeeds() {
    let t = setup().await;
    t.api.emulator.script(
        SKILL,
        [LightcastError::RateLimited {
            wait: Some(secs(12)),
            rate_limit: Some(RateLimit::new(100, 0, secs(12))),
            body: None,
        }],
    );
    let started = Instant::now();

    t.client
        .get_skill(PYTHON)
        .await
        .expect("retried after the wait");

    let (statuses, waits) = t.take();
    assert_eq!(statuses, [429, 200]);
    // The hint, exactly.
    assert_eq!(waits, [secs(12)]);
    assert!(started.elapsed() >= secs(12));
}

#[tokio::test(start_paused = true)]
async fn rate_limited_falls_back_to_ratelimit_reset_without_retry_after() {
    let t = setup().await;
    let reset_only = || LightcastError::RateLimited {
        wait: None,
        rate_limit: Some(RateLimit::new(100, 0, secs(7))),
        body: None,
    };

    // On the wire: no `Retry-After`, only the RateLimit-* headers.
    t.api.emulator.script(SKILL, [reset_only()]);
    let response = reqwest::Client::new()
        .get(format!("{}/skills/{PYTHON}", t.base))
        .bearer_auth(EMULATOR_TOKEN)
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(response.headers()["ratelimit-reset"], "7");
    let error = apifault::reqwest::json::<serde_json::Value, LightcastError>(response)
        .await
        .expect_err("429");
    assert_eq!(error.retry_after(), Some(secs(7)));
    t.take();

    t.api.emulator.script(SKILL, [reset_only()]);
    t.client
        .get_skill(PYTHON)
        .await
        .expect("retried after the reset");
    let (statuses, waits) = t.take();
    assert_eq!(statuses, [429, 200]);
    assert_eq!(waits, [secs(7)]);
}

#[tokio::test(start_paused = true)]
async fn rate_limited_surfaces_wait_and_rate_limit_when_the_hint_is_over_the_cap() {
    let t = setup().await;
    t.api.emulator.script(
        SKILL,
        [LightcastError::RateLimited {
            wait: Some(secs(3600)),
            rate_limit: Some(RateLimit::new(100, 0, secs(3600))),
            body: Some(apifault_examples::lightcast::ErrorBody::one(
                429,
                "Too Many Requests",
                "hourly quota spent",
            )),
        }],
    );

    let error = t
        .client
        .get_skill(PYTHON)
        .await
        .expect_err("gives up at once");

    assert_eq!(t.take(), (vec![429], vec![]), "no early retry");
    let LightcastError::RateLimited {
        wait,
        rate_limit,
        body,
    } = &error
    else {
        panic!("expected 429, got {error:?}");
    };
    assert_eq!(*wait, Some(secs(3600)));
    assert_eq!(*rate_limit, Some(RateLimit::new(100, 0, secs(3600))));
    assert_eq!(
        body.as_ref().and_then(|b| b.errors[0].detail.as_deref()),
        Some("hourly quota spent")
    );
    assert_eq!(error.retry(), Retry::After);
    assert!(error.safe_to_resend());
}

#[tokio::test(start_paused = true)]
async fn rate_limited_without_any_hint_backs_off() {
    let t = setup().await;
    t.api
        .emulator
        .script(SKILL, [LightcastError::emulated(429)]);
    t.client.get_skill(PYTHON).await.expect("retried");
    let (statuses, waits) = t.take();
    assert_eq!(statuses, [429, 200]);
    assert_backoff(&waits);
}

#[tokio::test(start_paused = true)]
async fn maintenance_503_is_backed_off_until_it_ends() {
    let t = setup().await;
    t.api.emulator.maintenance_for(secs(5));
    let started = Instant::now();

    t.client.status().await.expect("up again");

    let (statuses, waits) = t.take();
    let (last, before) = statuses.split_last().expect("statuses");
    assert_eq!(*last, 200);
    assert!(
        !before.is_empty() && before.iter().all(|&s| s == 503),
        "{statuses:?}"
    );
    assert_backoff(&waits);
    let waited: Duration = waits.iter().sum();
    assert!(waited >= secs(5), "{waits:?}");
    assert!(started.elapsed() >= secs(5));
}

#[tokio::test(start_paused = true)]
async fn maintenance_longer_than_the_retries_gives_up_with_503() {
    let t = setup().await;
    t.api.emulator.maintenance_for(secs(600));

    let error = t.client.get_skill(PYTHON).await.expect_err("still down");

    assert!(
        matches!(error, LightcastError::Unavailable { .. }),
        "{error:?}"
    );
    assert_eq!(detail(&error), "down for maintenance");
    let (statuses, waits) = t.take();
    assert_eq!(statuses, [503; 5]);
    assert_backoff(&waits);
}

#[tokio::test(start_paused = true)]
async fn quota_answers_429_with_retry_after_and_ratelimit_headers() {
    let t = setup().await;
    t.api.emulator.enforce(Quota {
        limit: 2,
        window: secs(30),
    });
    let http = reqwest::Client::new();
    let get = || http.get(format!("{}/status", t.base)).send();

    for remaining in ["1", "0"] {
        let response = get().await.expect("response");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["ratelimit-limit"], "2");
        assert_eq!(response.headers()["ratelimit-remaining"], remaining);
    }
    let response = get().await.expect("response");
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "30");
    assert_eq!(response.headers()["ratelimit-remaining"], "0");
    assert_eq!(response.headers()["ratelimit-reset"], "30");
    let error = apifault::reqwest::json::<serde_json::Value, LightcastError>(response)
        .await
        .expect_err("429");
    let LightcastError::RateLimited {
        wait, rate_limit, ..
    } = &error
    else {
        panic!("expected 429, got {error:?}");
    };
    assert_eq!(*wait, Some(secs(30)));
    assert_eq!(*rate_limit, Some(RateLimit::new(2, 0, secs(30))));
    t.take();

    // The client, without a throttle, waits the window out and goes on.
    t.client.status().await.expect("after the window");
    let (statuses, waits) = t.take();
    assert_eq!(statuses, [429, 200]);
    assert_eq!(waits, [secs(30)]);
}

#[tokio::test(start_paused = true)]
async fn throttled_client_never_sees_429_against_the_quota() {
    let t = setup().await;
    t.api.emulator.enforce(Quota {
        limit: 3,
        window: secs(10),
    });
    let client = t.client.clone().with_throttle(Throttle::new());
    let started = Instant::now();

    for _ in 0..10 {
        client.get_skill(PYTHON).await.expect("within the quota");
    }

    let (statuses, waits) = t.take();
    assert_eq!(statuses, [200; 10], "never a 429");
    assert!(waits.is_empty(), "nothing was retried: {waits:?}");
    // Ten requests at three a window take four windows: held, not refused.
    assert!(started.elapsed() >= secs(30), "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn failures_the_quota_counted_carry_the_ratelimit_headers() {
    let t = setup().await;
    t.api.emulator.enforce(Quota {
        limit: 3,
        window: secs(10),
    });
    t.api
        .emulator
        .script(SKILL, [LightcastError::emulated(500)]);
    let http = reqwest::Client::new();
    let get = |id: &str| {
        http.get(format!("{}/skills/{id}", t.base))
            .bearer_auth(EMULATOR_TOKEN)
            .send()
    };

    // A scripted fault, a 404 and a 400 each use the quota, and say so.
    for (id, status, remaining) in [
        (PYTHON, 500, "2"),
        ("KS0000000000000000ZZ", 404, "1"),
        ("not-a-skill", 400, "0"),
    ] {
        let response = get(id).await.expect("response");
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["ratelimit-limit"], "3", "{status}");
        assert_eq!(
            response.headers()["ratelimit-remaining"],
            remaining,
            "{status}"
        );
        assert_eq!(response.headers()["ratelimit-reset"], "10", "{status}");
    }
    let response = get(PYTHON).await.expect("response");
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["ratelimit-remaining"], "0");
}

#[tokio::test(start_paused = true)]
async fn throttled_client_mixing_404s_and_200s_never_sees_429() {
    let t = setup().await;
    t.api.emulator.enforce(Quota {
        limit: 3,
        window: secs(10),
    });
    let client = t.client.clone().with_throttle(Throttle::new());
    let started = Instant::now();
    // Three a window: the second window is 404s only, so the throttle
    // knows when it ends only if the 404s say so (counting requests alone,
    // it would probe past a spent window into a 429).
    let expected = [200, 404, 404, 404, 404, 404, 200, 404, 200, 404];

    for status in expected {
        if status == 200 {
            client.get_skill(PYTHON).await.expect("within the quota");
        } else {
            let error = client
                .get_skill("KS0000000000000000ZZ")
                .await
                .expect_err("no such skill");
            assert!(
                matches!(error, LightcastError::NotFound { .. }),
                "{error:?}"
            );
        }
    }

    let (statuses, waits) = t.take();
    assert_eq!(statuses, expected, "never a 429");
    assert!(waits.is_empty(), "nothing was retried: {waits:?}");
    // Ten requests at three a window take four windows: held, not refused.
    assert!(started.elapsed() >= secs(30), "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn the_token_is_checked_before_the_quota_the_script_and_maintenance() {
    let t = setup().await;
    t.api.emulator.enforce(Quota {
        limit: 2,
        window: secs(60),
    });
    t.api
        .emulator
        .script(SKILL, [LightcastError::emulated(503)]);
    let expired = LightcastClient::new(
        t.base.clone(),
        "expired-token",
        t.recorder.attach(documented_policy()),
    );

    // Three bad tokens, over a quota of two: each gets its 401, not the
    // scripted 503 nor a 429.
    for _ in 0..3 {
        let error = expired.get_skill(PYTHON).await.expect_err("401");
        assert!(
            matches!(&error, LightcastError::Unauthorized { body: Some(b) } if b.status() == Some(401)),
            "{error:?}"
        );
    }
    let response = reqwest::Client::new()
        .post(format!("{}/skills/extract", t.base))
        .json(&serde_json::json!({ "text": "Python" }))
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 401, "no token at all");
    assert!(
        response.headers().get("ratelimit-remaining").is_none(),
        "not counted"
    );
    assert_eq!(t.take(), (vec![401; 4], vec![]));

    // The quota and the script are intact for the valid token: the scripted
    // 503 is still there, and the retry is the second request of two.
    t.client.get_skill(PYTHON).await.expect("retried");
    let (statuses, waits) = t.take();
    assert_eq!(statuses, [503, 200]);
    assert_backoff(&waits);

    // Not even a maintenance window hides the 401.
    t.api.emulator.maintenance_for(secs(600));
    let error = expired.get_skill(PYTHON).await.expect_err("401");
    assert!(
        matches!(error, LightcastError::Unauthorized { .. }),
        "{error:?}"
    );
    assert_eq!(t.take(), (vec![401], vec![]));
}

#[tokio::test(start_paused = true)]
async fn dependent_calls_run_in_order_when_all_succeed() {
    let t = setup().await;
    let skills = t.client.skills_in("Python and SQL").await.expect("both");
    let ids: Vec<&str> = skills.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [PYTHON, SQL]);
    assert_eq!(
        t.endpoints(),
        [
            (EXTRACT.into(), 200),
            (SKILL.into(), 200),
            (SKILL.into(), 200)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn dependent_calls_stop_at_the_first_error() {
    let t = setup().await;

    t.api
        .emulator
        .script(SKILL, [LightcastError::emulated(404)]);
    let error = t.client.skills_in("Python and SQL").await.expect_err("404");
    assert!(
        matches!(error, LightcastError::NotFound { .. }),
        "{error:?}"
    );
    assert_eq!(
        t.endpoints(),
        [(EXTRACT.into(), 200), (SKILL.into(), 404)],
        "the second look-up is never sent"
    );
    t.take();

    t.api
        .emulator
        .script(EXTRACT, [LightcastError::emulated(422)]);
    let error = t.client.skills_in("Python and SQL").await.expect_err("422");
    assert!(
        matches!(error, LightcastError::Unprocessable { .. }),
        "{error:?}"
    );
    assert_eq!(t.endpoints(), [(EXTRACT.into(), 422)], "no look-up at all");
    t.take();

    // A retryable error in the middle is retried; the sequence goes on.
    t.api
        .emulator
        .script(SKILL, [LightcastError::emulated(502)]);
    t.client.skills_in("Python and SQL").await.expect("retried");
    assert_eq!(
        t.endpoints(),
        [
            (EXTRACT.into(), 200),
            (SKILL.into(), 502),
            (SKILL.into(), 200),
            (SKILL.into(), 200)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn undocumented_4xx_land_in_other_and_are_never_retried() {
    let t = setup().await;
    // 408 included: Lightcast's rule is "fix the request for any other
    // 4xx", whatever a generic default would do with a timeout.
    for status in [408, 418] {
        t.api
            .emulator
            .script(STATUS, [LightcastError::emulated(status)]);

        let error = t.client.status().await.expect_err("undocumented 4xx");

        assert!(
            matches!(&error, LightcastError::Other { status: s, body } if *s == status && *body == format!("emulated {status}")),
            "{status}: {error:?}"
        );
        assert_eq!(error.retry(), Retry::Never, "{status}");
        assert_eq!(t.take(), (vec![status], vec![]), "{status}: one attempt");
    }
}

#[tokio::test(start_paused = true)]
async fn undocumented_5xx_land_in_server_and_back_off() {
    let t = setup().await;
    for status in [501, 505, 507] {
        t.api
            .emulator
            .script(STATUS, [status, status].map(LightcastError::emulated));

        t.client.status().await.expect("retried to success");

        let (statuses, waits) = t.take();
        assert_eq!(statuses, [status, status, 200], "{status}");
        assert_eq!(waits.len(), 2, "{status}");
        assert_backoff(&waits);
    }

    // Given up on, each surfaces as `Server` with its status and body.
    for status in [501, 505] {
        t.api
            .emulator
            .script(STATUS, (0..5).map(|_| LightcastError::emulated(status)));

        let error = t.client.status().await.expect_err("gives up");

        assert!(
            matches!(&error, LightcastError::Server { status: s, body: Some(b) } if *s == status && b.status() == Some(status)),
            "{status}: {error:?}"
        );
        assert_eq!(error.retry(), Retry::Backoff);
        assert_eq!(detail(&error), format!("emulated {status}"));
        let (statuses, waits) = t.take();
        assert_eq!(statuses, [status; 5], "{status}: four retries");
        assert_backoff(&waits);
    }
}

#[tokio::test(start_paused = true)]
async fn transport_errors_back_off_then_give_up() {
    let (addr, _reserved) = refused_addr().expect("a refused address");
    let recorder = Recorder::default();
    let client = LightcastClient::new(
        format!("http://{addr}"),
        EMULATOR_TOKEN,
        recorder.attach(documented_policy()),
    );

    let error = client.status().await.expect_err("refused");

    assert!(matches!(error, LightcastError::Transport(_)), "{error:?}");
    assert_eq!(error.status(), None);
    assert_eq!(error.retry(), Retry::Backoff);
    let waits = recorder.take();
    assert_eq!(waits.len(), 4);
    assert_backoff(&waits);
}
