//! The MediaMagic Integrations API end to end: the real client over real
//! HTTP on loopback against the emulator, under tokio's paused clock. For
//! every documented status: retried or not as documented, the documented
//! waits (a 429 waits the larger of `Retry-After` and the jittered backoff
//! step, exactly; backoff within its bounds), and the right variant with its
//! typed body.

use std::sync::Arc;
use std::time::Duration;

use apifault::{ApiError, Retry};
use apifault_examples::emulator::refused_addr;
use apifault_examples::mediamagic::{
    EXPIRED_KEY, ErrorDetail, FieldError, LIVE_KEY, MAX_INLINE_BYTES, MediaMagicClient,
    MediaMagicEmulator, MediaMagicError, NO_API_PLAN_KEY, NewSubmission, PlanError, REVOKED_KEY,
    RateLimitBody, SANDBOX_KEY, Submission, ValidationError, documented_policy, endpoint, start,
};
use apifault_examples::tour::Recorder;
use http::StatusCode;
use tokio::time::Instant;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

struct Setup {
    base: String,
    client: MediaMagicClient,
    api: Arc<MediaMagicEmulator>,
    waits: Recorder,
}

async fn setup() -> Setup {
    let (base, api) = start().await.expect("emulator");
    let waits = Recorder::default();
    let client =
        MediaMagicClient::new(base.clone(), SANDBOX_KEY, waits.attach(documented_policy()));
    Setup {
        base,
        client,
        api,
        waits,
    }
}

/// Submits `url` and returns the new asset's id.
async fn asset(client: &MediaMagicClient, url: &str) -> String {
    client
        .submit(&NewSubmission::new(url))
        .await
        .expect("submission")
        .into_inner()
        .asset_id
}

/// Each wait lies within its (inclusive) bounds, and there are as many.
fn assert_within(waits: &[Duration], bounds: &[(Duration, Duration)]) {
    assert_eq!(
        waits.len(),
        bounds.len(),
        "waits {waits:?}, bounds {bounds:?}"
    );
    for (wait, (low, high)) in waits.iter().zip(bounds) {
        assert!(
            low <= wait && wait <= high,
            "{wait:?} not in [{low:?}, {high:?}]"
        );
    }
}

/// A retry after a 429 carrying `hint` waits the larger of the hint and the
/// jittered backoff step `[low, high]`: exactly the hint when it is at least
/// `high`, else within `[max(hint, low), high]`.
fn assert_hint_or_backoff(waits: &[Duration], hint: Duration, steps: &[(Duration, Duration)]) {
    assert_eq!(waits.len(), steps.len(), "waits {waits:?}, steps {steps:?}");
    for (&wait, &(low, high)) in waits.iter().zip(steps) {
        if hint >= high {
            assert_eq!(
                wait, hint,
                "hint {hint:?} over the step [{low:?}, {high:?}]"
            );
        } else {
            assert!(
                hint.max(low) <= wait && wait <= high,
                "{wait:?} is not max({hint:?}, a step in [{low:?}, {high:?}])"
            );
        }
    }
}

/// The jittered backoff of the documented policy (equal jitter from 1 s):
/// retry n waits between half and all of 2^(n-1) s.
fn backoff(retries: u32) -> Vec<(Duration, Duration)> {
    (0..retries)
        .map(|n| {
            let full = secs(1 << n);
            (full / 2, full)
        })
        .collect()
}

fn detail(text: &str) -> ErrorDetail {
    ErrorDetail::documented(text, "anchor")
}

fn internal() -> MediaMagicError {
    MediaMagicError::Internal {
        body: Some(ErrorDetail::new("Storage error")),
    }
}

fn bad_gateway() -> MediaMagicError {
    MediaMagicError::BadGateway {
        body: Some(ErrorDetail::new("The result blob could not be loaded")),
    }
}

fn rate_limited(retry_after: Option<u64>) -> MediaMagicError {
    MediaMagicError::RateLimited {
        retry_after: retry_after.map(secs),
        body: Some(RateLimitBody {
            error: "Rate limit exceeded: 60 requests per minute".into(),
        }),
    }
}

type Make = fn() -> MediaMagicError;

#[tokio::test(start_paused = true)]
async fn documented_4xx_are_never_retried_and_keep_their_typed_bodies() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    let cases: [(u16, Make); 10] = [
        (400, || MediaMagicError::BadRequest {
            body: detail("No delivery destination"),
        }),
        (401, || MediaMagicError::Unauthorized {
            body: detail("API key revoked"),
        }),
        (402, || MediaMagicError::PlanNotAllowed {
            body: PlanError {
                error_code: "plan_not_allowed".into(),
                bucket: "integrations_api".into(),
                message: "Upgrade to use the API".into(),
            },
        }),
        // Without `docs_url`: the field is optional.
        (403, || MediaMagicError::Forbidden {
            body: ErrorDetail::new("Invalid blob path"),
        }),
        (404, || MediaMagicError::NotFound {
            body: detail("Not found in your workspace"),
        }),
        (409, || MediaMagicError::Conflict {
            body: detail("Not retryable"),
        }),
        (409, || MediaMagicError::AlreadySubmitted {
            body: detail("Asset already submitted"),
        }),
        (413, || MediaMagicError::PayloadTooLarge {
            body: detail("Use the presigned upload URL"),
        }),
        (415, || MediaMagicError::UnsupportedMediaType {
            body: detail("Content type does not match the file"),
        }),
        (422, || MediaMagicError::Validation {
            body: ValidationError::new(vec![FieldError {
                field: "source_url".into(),
                message: "is required".into(),
            }]),
        }),
    ];
    for (code, make) in cases {
        api.emulator.clear_hits();
        api.emulator.script(endpoint::RESULTS, [make()]);
        let started = Instant::now();
        // GET is idempotent: only the classification stops a retry here.
        let e = client.results(&id).await.unwrap_err();
        assert_eq!(e.status().map(|s| s.as_u16()), Some(code), "{e:?}");
        // The same variant with the same body, decoded from the wire.
        assert_eq!(format!("{e:?}"), format!("{:?}", make()), "{code}");
        assert_eq!(e.retry(), Retry::Never, "{code}");
        assert_eq!(
            api.emulator.hits_of(endpoint::RESULTS),
            1,
            "{code} was retried"
        );
        assert!(waits.take().is_empty());
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}

#[tokio::test(start_paused = true)]
async fn no_key_and_a_bad_key_are_401_with_a_detail_body() {
    let Setup {
        base, client, api, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    let anonymous = MediaMagicClient::without_key(base.clone(), documented_policy());
    let e = anonymous.results(&id).await.unwrap_err();
    let MediaMagicError::Unauthorized { body } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        *body,
        ErrorDetail {
            detail: "Missing API key".into(),
            docs_url: Some("https://docs.mediamagic.invalid/errors#authentication".into()),
        }
    );

    let forged = MediaMagicClient::new(base, "not-a-key", documented_policy());
    for e in [
        forged
            .submit(&NewSubmission::new("https://media.example/two.mp4"))
            .await
            .unwrap_err(),
        forged.retry_asset(&id).await.unwrap_err(),
        forged.delete_webhook("wh_1").await.unwrap_err(),
    ] {
        assert!(
            matches!(&e, MediaMagicError::Unauthorized { body } if body.detail == "Invalid API key"),
            "{e:?}"
        );
    }
    assert_eq!(
        api.emulator.hits_of(endpoint::SUBMIT),
        2,
        "the setup's, then one 401"
    );
    assert_eq!(api.emulator.hits_of(endpoint::RETRY_ASSET), 1);
    assert_eq!(api.emulator.hits_of(endpoint::DELETE_WEBHOOK), 1);
    assert!(
        client.delete_webhook("wh_1").await.is_ok(),
        "the 401 deleted nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn a_sandbox_only_field_with_a_live_key_is_400_and_fine_in_the_sandbox() {
    let Setup {
        base, client, api, ..
    } = setup().await;
    let live = MediaMagicClient::new(base, LIVE_KEY, documented_policy());
    let submission = NewSubmission {
        simulation_delay_seconds: Some(30),
        ..NewSubmission::new("https://media.example/one.mp4")
    };
    let e = live.submit(&submission).await.unwrap_err();
    let MediaMagicError::BadRequest { body } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        body.detail,
        "simulationDelaySeconds is a sandbox-only field and cannot be sent with a live key"
    );
    assert!(
        body.docs_url
            .as_deref()
            .is_some_and(|url| url.ends_with("#sandbox-only-fields"))
    );
    assert_eq!(api.emulator.hits_of(endpoint::SUBMIT), 1);

    // In the sandbox, the field says how long the asset takes.
    let accepted = client.submit(&submission).await.unwrap();
    assert_eq!(accepted.status, "queued");
    assert!(matches!(
        client.results(&accepted.asset_id).await,
        Err(MediaMagicError::NotFound { .. })
    ));
    tokio::time::sleep(secs(30)).await;
    assert!(client.results(&accepted.asset_id).await.is_ok());
    let plain = NewSubmission::new("https://media.example/two.mp4");
    assert!(
        live.submit(&plain).await.is_ok(),
        "a live key may submit without it"
    );
}

#[tokio::test(start_paused = true)]
async fn an_invalid_submission_is_422_with_the_failing_fields() {
    let Setup { client, api, .. } = setup().await;
    for (url, message) in [
        ("", "is required"),
        (
            "ftp://media.example/one.mp4",
            "must be an http or https URL",
        ),
    ] {
        let e = client.submit(&NewSubmission::new(url)).await.unwrap_err();
        let MediaMagicError::Validation { body } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(body.error, "validation_error");
        assert_eq!(
            body.fields,
            [FieldError {
                field: "source_url".into(),
                message: message.into()
            }]
        );
        assert!(e.to_string().contains(message));
    }
    assert_eq!(api.emulator.hits_of(endpoint::SUBMIT), 2, "not retried");
}

#[tokio::test(start_paused = true)]
async fn a_second_submission_of_one_url_is_409_already_submitted() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let submission = NewSubmission::new("https://media.example/one.mp4");
    let first: Submission = client.submit(&submission).await.unwrap().into_inner();
    assert!(first.id.starts_with("sub_") && first.asset_id.starts_with("ast_"));
    let e = client.submit(&submission).await.unwrap_err();
    let MediaMagicError::AlreadySubmitted { body } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(body.detail, "Asset already submitted");
    assert_eq!(api.emulator.hits_of(endpoint::SUBMIT), 2);
    assert!(waits.take().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_inline_upload_over_the_limit_is_413() {
    let Setup { client, api, .. } = setup().await;
    let submission = NewSubmission {
        inline_content: Some("A".repeat(MAX_INLINE_BYTES + 1)),
        ..NewSubmission::new("https://media.example/one.mp4")
    };
    let e = client.submit(&submission).await.unwrap_err();
    let MediaMagicError::PayloadTooLarge { body } = &e else {
        panic!("{e:?}")
    };
    assert!(body.detail.contains("presigned upload URL"));
    assert_eq!(api.emulator.hits_of(endpoint::SUBMIT), 1);
}

#[tokio::test(start_paused = true)]
async fn a_body_that_is_not_json_is_415() {
    let Setup { base, api, .. } = setup().await;
    let response = reqwest::Client::new()
        .post(format!("{base}/submissions"))
        .header("X-API-Key", SANDBOX_KEY)
        .header("content-type", "text/plain")
        .body("source_url=https://media.example/one.mp4")
        .send()
        .await
        .unwrap();
    let e = apifault::reqwest::json::<Submission, MediaMagicError>(response)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::UnsupportedMediaType { body } if body.detail.contains("application/json")),
        "{e:?}"
    );
    assert_eq!(api.emulator.hits_of(endpoint::SUBMIT), 1);
}

#[tokio::test(start_paused = true)]
async fn results_are_404_until_the_asset_finished_then_200() {
    let Setup { client, api, .. } = setup().await;
    api.set_processing(secs(60));
    let id = asset(&client, "https://media.example/evening-news.mp4").await;
    let e = client.results(&id).await.unwrap_err();
    let MediaMagicError::NotFound { body } = &e else {
        panic!("{e:?}")
    };
    assert!(body.detail.contains("finished processing"), "{body:?}");
    assert_eq!(
        api.emulator.hits_of(endpoint::RESULTS),
        1,
        "a 404 is not retried"
    );

    tokio::time::advance(secs(60)).await;
    let results = client.results(&id).await.unwrap();
    assert_eq!(results.asset_id, id);
    assert_eq!(results.status, "completed");
    assert!(results.labels.contains(&"news".to_owned()));

    let e = client.results("ast_999").await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::NotFound { body } if body.detail == "Asset not found in your workspace"),
        "{e:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_asset_retry_is_202_then_409_while_it_is_in_progress() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.set_processing(secs(60));
    client.retry_asset(&id).await.unwrap();
    let statuses: Vec<u16> = api.emulator.statuses();
    assert_eq!(statuses, [201, 202]);

    let e = client.retry_asset(&id).await.unwrap_err();
    let MediaMagicError::Conflict { body } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(body.detail, "A retry is already in progress");
    assert_eq!(api.emulator.hits_of(endpoint::RETRY_ASSET), 2);
    assert!(waits.take().is_empty());

    tokio::time::advance(secs(60)).await;
    api.emulator.clear_hits();
    client.retry_asset(&id).await.unwrap();
    let e = client.retry_asset("ast_999").await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::NotFound { body } if body.detail == "Asset not found in your workspace"),
        "{e:?}"
    );
    let statuses: Vec<u16> = api.emulator.statuses();
    assert_eq!(
        statuses,
        [202, 404],
        "a finished asset may be retried again"
    );
}

#[tokio::test(start_paused = true)]
async fn deleting_a_webhook_is_204_then_404() {
    let Setup { client, api, .. } = setup().await;
    client.delete_webhook("wh_1").await.unwrap();
    let e = client.delete_webhook("wh_1").await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::NotFound { body }
            if body.detail == "Webhook subscription not found in your workspace"),
        "{e:?}"
    );
    let statuses: Vec<u16> = api.emulator.statuses();
    assert_eq!(statuses, [204, 404]);
}

#[tokio::test(start_paused = true)]
async fn a_429_waits_retry_after_then_succeeds() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator
        .script(endpoint::RESULTS, [rate_limited(Some(30))]);
    let started = Instant::now();
    assert!(client.results(&id).await.is_ok());
    // The hint is above the first backoff step (at most 1 s): it is the wait.
    assert_eq!(waits.take(), [secs(30)]);
    assert_eq!(started.elapsed(), secs(30));
    assert_eq!(api.emulator.hits_of(endpoint::RESULTS), 2);
}

#[tokio::test(start_paused = true)]
async fn a_429_then_a_500_waits_retry_after_then_backs_off() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator.script(
        endpoint::RESULTS,
        [rate_limited(Some(10)), internal(), bad_gateway()],
    );
    assert!(client.results(&id).await.is_ok());
    let taken = waits.take();
    assert_eq!(taken.first(), Some(&secs(10)), "{taken:?}");
    assert_within(&taken[1..], &backoff(3)[1..]);
    assert_eq!(api.emulator.hits_of(endpoint::RESULTS), 4);
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_backs_off_with_jitter() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator
        .script(endpoint::RESULTS, [rate_limited(None), rate_limited(None)]);
    assert!(client.results(&id).await.is_ok());
    assert_within(&waits.take(), &backoff(2));
}

#[tokio::test(start_paused = true)]
async fn a_429_with_a_retry_after_below_the_backoff_step_backs_off() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator.script(
        endpoint::RESULTS,
        [rate_limited(Some(0)), rate_limited(Some(1))],
    );
    assert!(client.results(&id).await.is_ok());
    let taken = waits.take();
    // `Retry-After: 0` is no reason to come back at once: the step wins.
    assert_hint_or_backoff(&taken[..1], secs(0), &backoff(1));
    assert!(taken[0] >= ms(500), "{taken:?}");
    assert_hint_or_backoff(&taken[1..], secs(1), &backoff(2)[1..]);
    assert_eq!(api.emulator.hits_of(endpoint::RESULTS), 3);
}

#[tokio::test(start_paused = true)]
async fn persistent_429s_surface_retry_after_and_the_typed_body() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator
        .script(endpoint::RESULTS, (0..4).map(|_| rate_limited(Some(2))));
    let e = client.results(&id).await.unwrap_err();
    let MediaMagicError::RateLimited { retry_after, body } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*retry_after, Some(secs(2)));
    assert_eq!(
        body.as_ref().map(|b| b.error.as_str()),
        Some("Rate limit exceeded: 60 requests per minute")
    );
    assert_eq!(e.retry(), Retry::Backoff, "wait Retry-After, then back off");
    assert_eq!(api.emulator.hits_of(endpoint::RESULTS), 4, "three retries");
    // max(2 s, step): 2 s (step <= 1 s), 2 s (step <= 2 s), then 2 to 4 s.
    let taken = waits.take();
    assert_hint_or_backoff(&taken, secs(2), &backoff(3));
    assert_eq!(taken[..2], [secs(2), secs(2)]);
}

#[tokio::test(start_paused = true)]
async fn a_429_asking_for_more_than_five_minutes_gives_up_at_once() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator
        .script(endpoint::RESULTS, [rate_limited(Some(3_600))]);
    let started = Instant::now();
    let e = client.results(&id).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(secs(3_600)));
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert!(waits.take().is_empty());
    assert_eq!(api.emulator.hits_of(endpoint::RESULTS), 1);
}

#[tokio::test(start_paused = true)]
async fn the_quota_answers_429_with_retry_after_and_the_client_waits_it_out() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator.enforce(apifault_examples::emulator::Quota {
        limit: 1,
        window: secs(20),
    });
    assert!(client.results(&id).await.is_ok());
    assert!(client.results(&id).await.is_ok(), "the 429 was waited out");
    let statuses: Vec<u16> = api.emulator.statuses();
    assert_eq!(statuses, [201, 200, 429, 200]);
    // The window's reset, announced as `Retry-After`, is the wait.
    assert_eq!(waits.take(), [secs(20)]);
}

#[tokio::test(start_paused = true)]
async fn results_are_retried_on_500_and_502_with_jittered_backoff() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator
        .script(endpoint::RESULTS, [internal(), bad_gateway(), internal()]);
    let started = Instant::now();
    let results = client.results(&id).await.unwrap();
    assert_eq!(results.status, "completed");
    let taken = waits.take();
    assert_within(&taken, &backoff(3));
    assert!(started.elapsed() >= taken.iter().sum());
    assert_eq!(api.emulator.hits_of(endpoint::RESULTS), 4);
}

#[tokio::test(start_paused = true)]
async fn five_hundreds_give_up_after_three_retries_with_the_typed_body() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator.script(
        endpoint::RESULTS,
        [internal(), internal(), internal(), bad_gateway()],
    );
    let e = client.results(&id).await.unwrap_err();
    let MediaMagicError::BadGateway { body: Some(body) } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(body.detail, "The result blob could not be loaded");
    assert_eq!(e.retry(), Retry::Backoff);
    assert_eq!(api.emulator.hits_of(endpoint::RESULTS), 4, "four attempts");
    assert_within(&waits.take(), &backoff(3));
}

#[tokio::test(start_paused = true)]
async fn backoff_waits_are_jittered_not_fixed() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    let mut first_waits = Vec::new();
    for _ in 0..8 {
        api.emulator.script(endpoint::RESULTS, [internal()]);
        assert!(client.results(&id).await.is_ok());
        let taken = waits.take();
        assert_within(&taken, &backoff(1));
        first_waits.push(taken[0]);
    }
    first_waits.sort();
    first_waits.dedup();
    assert!(
        first_waits.len() > 1,
        "eight calls all waited {first_waits:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn undocumented_503_and_504_are_not_retried() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    for code in [503, 504] {
        api.emulator.clear_hits();
        api.emulator.script(
            endpoint::RESULTS,
            [MediaMagicError::Other {
                status: StatusCode::from_u16(code).unwrap(),
                body: "<html>upstream unavailable</html>".into(),
            }],
        );
        let e = client.results(&id).await.unwrap_err();
        let MediaMagicError::Other { status, body } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(status.as_u16(), code);
        assert_eq!(body, "<html>upstream unavailable</html>");
        assert_eq!(e.retry(), Retry::Never);
        assert_eq!(
            api.emulator.hits_of(endpoint::RESULTS),
            1,
            "{code} was retried"
        );
        assert!(waits.take().is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn a_submission_is_resent_after_a_500_or_502_as_the_page_says() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    for (error, code) in [(internal(), 500), (bad_gateway(), 502)] {
        api.emulator.clear_hits();
        api.emulator.script(endpoint::SUBMIT, [error]);
        let submission = client
            .submit(&NewSubmission::new(format!(
                "https://media.example/{code}.mp4"
            )))
            .await
            .unwrap();
        assert_eq!(submission.status, "queued");
        assert_eq!(api.emulator.statuses(), [code, 201], "resent");
        assert_within(&waits.take(), &[(ms(500), secs(1))]);
    }
}

#[tokio::test(start_paused = true)]
async fn a_submission_applied_before_its_500_is_resent_and_the_caller_gets_409_already_submitted() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    api.script_after_applying(endpoint::SUBMIT, [internal()]);
    let submission = NewSubmission::new("https://media.example/one.mp4");
    let e = client.submit(&submission).await.unwrap_err();
    // What the caller gets: the 409 of the resend, never a second asset.
    let MediaMagicError::AlreadySubmitted { body } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(body.detail, "Asset already submitted");
    assert_eq!(e.retry(), Retry::Never);
    assert_eq!(api.emulator.statuses(), [500, 409]);
    assert_within(&waits.take(), &[(ms(500), secs(1))]);
    // The first attempt did store it: its asset is there, and only it.
    assert!(client.results("ast_1").await.is_ok());
    assert!(matches!(
        client.results("ast_2").await,
        Err(MediaMagicError::NotFound { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn a_submission_is_resent_after_a_429_which_applied_nothing() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    api.emulator
        .script(endpoint::SUBMIT, [rate_limited(Some(5))]);
    let submission = client
        .submit(&NewSubmission::new("https://media.example/one.mp4"))
        .await
        .unwrap();
    assert_eq!(submission.status, "queued");
    let statuses: Vec<u16> = api.emulator.statuses();
    assert_eq!(statuses, [429, 201]);
    assert_eq!(waits.take(), [secs(5)]);
}

#[tokio::test(start_paused = true)]
async fn an_asset_retry_is_resent_after_a_500_or_a_429() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator.clear_hits();
    api.emulator.script(endpoint::RETRY_ASSET, [internal()]);
    client.retry_asset(&id).await.unwrap();
    assert_eq!(api.emulator.statuses(), [500, 202]);
    assert_within(&waits.take(), &[(ms(500), secs(1))]);

    // Applied before its 500: the resend finds the retry in progress.
    let api_processing = secs(60);
    api.set_processing(api_processing);
    tokio::time::sleep(secs(1)).await;
    api.emulator.clear_hits();
    api.script_after_applying(endpoint::RETRY_ASSET, [bad_gateway()]);
    let e = client.retry_asset(&id).await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::Conflict { body } if body.detail == "A retry is already in progress"),
        "{e:?}"
    );
    assert_eq!(api.emulator.statuses(), [502, 409]);
    let _ = waits.take();

    tokio::time::sleep(api_processing).await;
    api.emulator.clear_hits();
    api.emulator
        .script(endpoint::RETRY_ASSET, [rate_limited(Some(3))]);
    client.retry_asset(&id).await.unwrap();
    assert_eq!(api.emulator.statuses(), [429, 202]);
    assert_eq!(waits.take(), [secs(3)]);
}

#[tokio::test(start_paused = true)]
async fn expired_and_revoked_keys_are_401_and_a_plan_without_the_api_is_402() {
    let Setup { base, api, .. } = setup().await;
    for (key, detail) in [
        (EXPIRED_KEY, "API key expired"),
        (REVOKED_KEY, "API key revoked"),
    ] {
        let client = MediaMagicClient::new(base.clone(), key, documented_policy());
        let e = client.results("ast_1").await.unwrap_err();
        assert!(
            matches!(&e, MediaMagicError::Unauthorized { body } if body.detail == detail),
            "{e:?}"
        );
    }
    let starter = MediaMagicClient::new(base, NO_API_PLAN_KEY, documented_policy());
    let e = starter
        .submit(&NewSubmission::new("https://media.example/one.mp4"))
        .await
        .unwrap_err();
    let MediaMagicError::PlanNotAllowed { body } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (body.error_code.as_str(), body.bucket.as_str()),
        ("plan_not_allowed", "integrations_api")
    );
    assert_eq!(api.emulator.statuses(), [401, 401, 402], "none retried");
}

#[tokio::test(start_paused = true)]
async fn the_sandbox_only_endpoint_is_403_with_a_live_key() {
    let Setup {
        base, client, api, ..
    } = setup().await;
    api.set_processing(secs(600));
    let id = asset(&client, "https://media.example/one.mp4").await;
    let live = MediaMagicClient::new(base, LIVE_KEY, documented_policy());
    let e = live.complete_in_sandbox(&id).await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::Forbidden { body } if body.detail == "This endpoint is only available with a sandbox key"),
        "{e:?}"
    );
    assert!(client.results(&id).await.is_err(), "still processing");
    client.complete_in_sandbox(&id).await.unwrap();
    assert!(client.results(&id).await.is_ok());
    assert_eq!(api.emulator.hits_of(endpoint::SANDBOX_COMPLETE), 2);
}

#[tokio::test(start_paused = true)]
async fn direct_uploads_403_on_an_invalid_blob_path_413_when_too_large_415_on_a_wrong_type() {
    let Setup { client, api, .. } = setup().await;
    let mp4 = b"\0\0\0\x18ftypmp42";
    for path in [
        "../etc/passwd.mp4",
        "uploads/../x.mp4",
        "elsewhere/a.mp4",
        "uploads/a b.mp4",
    ] {
        let e = client.upload(path, "video/mp4", mp4).await.unwrap_err();
        assert!(
            matches!(&e, MediaMagicError::Forbidden { body } if body.detail == "Invalid blob path"),
            "{path}: {e:?}"
        );
    }
    let e = client
        .upload(
            "uploads/big.mp4",
            "video/mp4",
            &vec![0; MAX_INLINE_BYTES + 1],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::PayloadTooLarge { body } if body.detail.contains("presigned upload URL")),
        "{e:?}"
    );
    for (content_type, detail) in [
        ("application/pdf", "Content type not allowed"),
        ("audio/mpeg", "Content type does not match the file"),
    ] {
        let e = client
            .upload("uploads/clip.mp4", content_type, mp4)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, MediaMagicError::UnsupportedMediaType { body } if body.detail == detail),
            "{e:?}"
        );
    }
    let uploaded = client
        .upload("uploads/clip.mp4", "video/mp4", mp4)
        .await
        .unwrap();
    assert_eq!(
        (uploaded.blob_path.as_str(), uploaded.size),
        ("uploads/clip.mp4", 12)
    );
    assert_eq!(
        api.emulator.statuses(),
        [403, 403, 403, 403, 413, 415, 415, 201]
    );
}

#[tokio::test(start_paused = true)]
async fn a_subscription_without_a_delivery_destination_is_400() {
    let Setup { client, api, .. } = setup().await;
    let e = client.subscribe(None).await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::BadRequest { body } if body.detail.contains("delivery destination")),
        "{e:?}"
    );
    let subscription = client
        .subscribe(Some("https://hooks.example/mm"))
        .await
        .unwrap();
    assert_eq!(subscription.url, "https://hooks.example/mm");
    client.delete_webhook(&subscription.id).await.unwrap();
    assert_eq!(api.emulator.statuses(), [400, 201, 204]);
}

#[tokio::test(start_paused = true)]
async fn deleting_a_webhook_is_retried_on_502() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    api.emulator
        .script(endpoint::DELETE_WEBHOOK, [bad_gateway()]);
    client.delete_webhook("wh_1").await.unwrap();
    let statuses: Vec<u16> = api.emulator.statuses();
    assert_eq!(statuses, [502, 204]);
    assert_within(&waits.take(), &backoff(1));
}

#[tokio::test(start_paused = true)]
async fn submit_then_fetch_stops_at_the_first_error() {
    let Setup { client, api, .. } = setup().await;
    let submission = NewSubmission::new("https://media.example/evening-news.mp4");
    let results = client.submit_and_fetch(&submission).await.unwrap();
    assert!(results.labels.contains(&"news".to_owned()));
    assert_eq!(api.emulator.hits_of(endpoint::RESULTS), 1);

    // Already submitted: the results are never asked for.
    api.emulator.clear_hits();
    let e = client.submit_and_fetch(&submission).await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::AlreadySubmitted { body } if body.detail == "Asset already submitted"),
        "{e:?}"
    );
    assert_eq!(api.emulator.hits_of(endpoint::SUBMIT), 1);
    assert_eq!(api.emulator.hits_of(endpoint::RESULTS), 0);

    // A submission that fails on every resend: nothing after it.
    api.emulator.clear_hits();
    api.emulator
        .script(endpoint::SUBMIT, (0..4).map(|_| internal()));
    let other = NewSubmission::new("https://media.example/interview.mp4");
    let e = client.submit_and_fetch(&other).await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::Internal { body: Some(body) } if body.detail == "Storage error"),
        "{e:?}"
    );
    assert_eq!(api.emulator.hits_of(endpoint::SUBMIT), 4, "three resends");
    assert_eq!(api.emulator.hits_of(endpoint::RESULTS), 0);

    // Submitted, but the results are not ready: the 404 ends it, unretried.
    api.emulator.clear_hits();
    api.set_processing(secs(60));
    let e = client.submit_and_fetch(&other).await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::NotFound { body } if body.detail.contains("finished processing")),
        "{e:?}"
    );
    let statuses: Vec<u16> = api.emulator.statuses();
    assert_eq!(statuses, [201, 404]);
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_a_transport_error_retried_with_backoff_even_for_a_post() {
    // Held until the end: refused, and no parallel test can take the port.
    let (addr, _socket) = refused_addr().expect("a refused address");
    let base = format!("http://{addr}");
    let waits = Recorder::default();
    let client = MediaMagicClient::new(base, SANDBOX_KEY, waits.attach(documented_policy()));
    let e = client.results("ast_1").await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::Transport(t) if t.is_connect()),
        "{e:?}"
    );
    assert_eq!(e.status(), None);
    assert_within(&waits.take(), &backoff(3));
    // Nothing reached the server, so even the non-idempotent POST is resent.
    let e = client
        .submit(&NewSubmission::new("https://media.example/one.mp4"))
        .await
        .unwrap_err();
    assert!(e.safe_to_resend(), "{e:?}");
    assert_within(&waits.take(), &backoff(3));
}

#[tokio::test(start_paused = true)]
async fn the_key_is_checked_before_the_shared_quota_and_maintenance() {
    let Setup {
        base,
        client,
        api,
        waits,
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.emulator.enforce(apifault_examples::emulator::Quota {
        limit: 1,
        window: secs(20),
    });
    let anonymous = MediaMagicClient::without_key(base, waits.attach(documented_policy()));
    let e = anonymous.results(&id).await.unwrap_err();
    assert!(matches!(e, MediaMagicError::Unauthorized { .. }), "{e:?}");
    // The 401 did not count: the quota's one request is still there.
    assert!(client.results(&id).await.is_ok());
    let statuses: Vec<u16> = api.emulator.statuses();
    assert_eq!(statuses, [201, 401, 200]);
    assert!(waits.take().is_empty());

    // Maintenance is not documented: what a gateway would answer, an
    // undocumented 503, served after the key check and never retried.
    tokio::time::advance(secs(20)).await;
    api.emulator.clear_hits();
    api.emulator.maintenance_for(secs(60));
    let e = anonymous.results(&id).await.unwrap_err();
    assert!(matches!(e, MediaMagicError::Unauthorized { .. }), "{e:?}");
    let e = client.results(&id).await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::Other { status, .. } if status.as_u16() == 503),
        "{e:?}"
    );
    let statuses: Vec<u16> = api.emulator.statuses();
    assert_eq!(statuses, [401, 503]);
    assert!(waits.take().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_asset_that_is_not_retryable_is_409_and_not_retried() {
    let Setup {
        client, api, waits, ..
    } = setup().await;
    let id = asset(&client, "https://media.example/one.mp4").await;
    api.make_not_retryable(&id);
    api.emulator.clear_hits();
    let e = client.retry_asset(&id).await.unwrap_err();
    assert!(
        matches!(&e, MediaMagicError::Conflict { body } if body.detail == "Asset is not retryable"),
        "{e:?}"
    );
    assert_eq!(api.emulator.statuses(), [409]);
    assert!(waits.take().is_empty());
}
