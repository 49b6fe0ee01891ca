//! Omilia end to end: the client, over real HTTP on loopback, against the
//! emulator (or, for a hint the emulator never sends, a one-route server),
//! with tokio's paused clock so that every backoff is taken in virtual time.
//! Each documented status is retried (or not) and waited as documented, and
//! surfaces as its variant with the error code of its body.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use apifault::ApiError;
use apifault_examples::emulator::refused_addr;
use apifault_examples::omilia::{
    DEMO_API_KEY, Dialog, ErrorBody, NewDialog, OmiliaClient, OmiliaEmulator, OmiliaError,
    documented_policy, start,
};
use apifault_examples::tour::Recorder;
use axum::http::StatusCode;
use axum::response::IntoResponse;

const CREATE: &str = "POST /dialogs";
const GET: &str = "GET /dialogs/{id}";
const EXPORT: &str = "POST /dialogs/{id}/export";
const DELETE: &str = "DELETE /dialogs/{id}";

struct Harness {
    client: OmiliaClient,
    api: Arc<OmiliaEmulator>,
    base: String,
    recorder: Recorder,
}

async fn harness() -> Harness {
    let (base, api) = start().await.expect("the emulator starts");
    let recorder = Recorder::default();
    let client = OmiliaClient::new(
        base.clone(),
        DEMO_API_KEY,
        recorder.attach(documented_policy()),
    );
    Harness {
        client,
        api,
        base,
        recorder,
    }
}

impl Harness {
    fn statuses(&self) -> Vec<u16> {
        self.api.emulator.statuses()
    }

    fn statuses_of(&self, endpoint: &str) -> Vec<u16> {
        let hits = self.api.emulator.hits();
        hits.iter()
            .filter(|h| h.endpoint == endpoint)
            .map(|h| h.status)
            .collect()
    }

    /// Forgets the requests and waits so far.
    fn reset(&self) {
        self.api.emulator.clear_hits();
        let _ = self.recorder.take();
    }

    async fn dialog(&self) -> Dialog {
        let dialog = self
            .client
            .create_dialog(&NewDialog::of("banking-ivr"))
            .await
            .expect("a dialog");
        self.reset();
        dialog
    }
}

/// The documented backoff: 1 s, 2 s, 4 s, 8 s, each taken with equal jitter
/// (between half and all of it).
const BACKOFF_MS: [(u64, u64); 4] = [(500, 1000), (1000, 2000), (2000, 4000), (4000, 8000)];

#[track_caller]
fn assert_backoff(waits: &[Duration], retries: usize) {
    assert_eq!(waits.len(), retries, "waits {waits:?}");
    for (wait, (low, high)) in waits.iter().zip(BACKOFF_MS) {
        let (low, high) = (Duration::from_millis(low), Duration::from_millis(high));
        assert!(
            low <= *wait && *wait <= high,
            "wait {wait:?} outside [{low:?}, {high:?}] in {waits:?}"
        );
    }
}

fn too_many() -> OmiliaError {
    OmiliaError::TooManyRequests {
        body: ErrorBody::coded("TOO_MANY_REQUESTS", "Too many requests"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_dialog_is_created_201_read_200_exported_202_and_deleted_204() {
    let h = harness().await;
    let new = NewDialog {
        app_id: "banking-ivr".into(),
        language: Some("en-US".into()),
    };
    let created = h.client.create_dialog(&new).await.expect("created");
    assert_eq!(created.app_id, "banking-ivr");
    assert_eq!(created.language.as_deref(), Some("en-US"));
    let read = h.client.get_dialog(&created.id).await.expect("read");
    assert_eq!(read, created);
    let export = h.client.export_dialog(&created.id).await.expect("accepted");
    assert_eq!(
        (export.dialog_id.as_str(), export.status.as_str()),
        (created.id.as_str(), "pending")
    );
    h.client.delete_dialog(&created.id).await.expect("deleted");
    assert_eq!(h.statuses(), [201, 200, 202, 204]);
    assert!(h.api.dialogs().is_empty());
    assert_eq!(h.api.exports(), [export]);
    assert!(h.recorder.take().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_same_key_and_body_answer_201_with_the_stored_dialog() {
    let h = harness().await;
    let new = NewDialog::of("banking-ivr");
    let first = h
        .client
        .create_dialog_with_key(&new, "k-1")
        .await
        .expect("created");
    let again = h
        .client
        .create_dialog_with_key(&new, "k-1")
        .await
        .expect("replayed");
    assert_eq!(again, first);
    assert_eq!(h.statuses(), [201, 201]);
    assert_eq!(h.api.dialogs(), [first]);
}

#[tokio::test(start_paused = true)]
async fn each_logical_create_gets_its_own_key() {
    let h = harness().await;
    let new = NewDialog::of("banking-ivr");
    let a = h.client.create_dialog(&new).await.expect("created");
    let b = h.client.create_dialog(&new).await.expect("created");
    assert_ne!(a.id, b.id);
    assert_eq!(h.api.dialogs().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_key_reused_with_another_body_is_409_and_never_retried() {
    let h = harness().await;
    h.client
        .create_dialog_with_key(&NewDialog::of("banking-ivr"), "k-1")
        .await
        .expect("created");
    h.reset();
    let error = h
        .client
        .create_dialog_with_key(&NewDialog::of("claims-bot"), "k-1")
        .await
        .expect_err("a conflict");
    assert!(matches!(error, OmiliaError::Conflict { .. }), "{error:?}");
    assert_eq!(error.code(), Some("IDEMPOTENCY_KEY_REUSED"));
    assert!(!error.is_retryable());
    assert_eq!(h.statuses(), [409]);
    assert!(h.recorder.take().is_empty());
    assert_eq!(h.api.dialogs().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_key_still_in_flight_is_409_and_never_retried() {
    let h = harness().await;
    let new = NewDialog::of("banking-ivr");
    h.api.hold_creations();
    let owner = tokio::spawn({
        let (client, new) = (h.client.clone(), new.clone());
        async move { client.create_dialog_with_key(&new, "k-1").await }
    });
    h.api.creation_in_flight().await;
    let error = h
        .client
        .create_dialog_with_key(&new, "k-1")
        .await
        .expect_err("a conflict");
    assert_eq!(error.code(), Some("IDEMPOTENCY_KEY_IN_USE"));
    assert_eq!(h.statuses(), [409]);
    assert!(h.recorder.take().is_empty());
    h.api.release_creations();
    let created = owner.await.expect("joined").expect("created");
    assert_eq!(h.statuses(), [409, 201]);
    assert_eq!(h.api.dialogs(), [created]);
}

#[tokio::test(start_paused = true)]
async fn a_keyed_create_is_resent_after_a_5xx_and_creates_one_dialog() {
    for status in [500, 502, 503, 504] {
        let h = harness().await;
        // The server creates the dialog and then fails: the API is not atomic.
        h.api.fail_after_creating([OmiliaError::server(status)]);
        let created = h
            .client
            .create_dialog(&NewDialog::of("banking-ivr"))
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(h.statuses(), [status, 201], "{status}");
        assert_backoff(&h.recorder.take(), 1);
        assert_eq!(h.api.dialogs(), [created], "{status}: one dialog");
    }
}

#[tokio::test(start_paused = true)]
async fn a_504_while_the_create_still_runs_ends_in_a_409_yet_creates_the_dialog() {
    let h = harness().await;
    let new = NewDialog::of("banking-ivr");
    // The gateway answers 504 at once; the API goes on creating, held
    // until released.
    h.api.hold_creations();
    h.api.fail_before_creating([OmiliaError::Server {
        status: StatusCode::GATEWAY_TIMEOUT,
        body: ErrorBody::coded("GATEWAY_TIMEOUT", "The upstream timed out"),
    }]);

    let error = h
        .client
        .create_dialog_with_key(&new, "k-1")
        .await
        .expect_err("a conflict");

    // The retry under the same key met the first attempt still in flight.
    assert!(matches!(error, OmiliaError::Conflict { .. }), "{error:?}");
    assert_eq!(error.code(), Some("IDEMPOTENCY_KEY_IN_USE"));
    assert!(!error.is_retryable());
    assert_eq!(h.statuses(), [504, 409]);
    assert_backoff(&h.recorder.take(), 1);
    assert!(h.api.dialogs().is_empty(), "not created yet");

    // Yet the dialog is created, once.
    h.api.release_creations();
    h.api.background_done().await;
    let dialogs = h.api.dialogs();
    assert_eq!(dialogs.len(), 1, "{dialogs:?}");
    assert_eq!(dialogs[0].app_id, "banking-ivr");

    // Resent later under the same key, the call gets that dialog: no second.
    let again = h
        .client
        .create_dialog_with_key(&new, "k-1")
        .await
        .expect("the stored dialog");
    assert_eq!(again, dialogs[0]);
    assert_eq!(h.statuses(), [504, 409, 201]);
    assert_eq!(h.api.dialogs(), dialogs, "still exactly one dialog");
}

#[tokio::test(start_paused = true)]
async fn the_api_key_is_checked_before_a_scripted_fault() {
    let h = harness().await;
    let dialog = h.dialog().await;
    h.api.emulator.script(GET, [OmiliaError::server(500)]);
    let stranger = OmiliaClient::new(
        h.base.clone(),
        "wrong-key",
        h.recorder.attach(documented_policy()),
    );
    let error = stranger.get_dialog(&dialog.id).await.expect_err("refused");
    assert_eq!(error.code(), Some("UNAUTHORIZED"));
    // The fault is still there for the next request with the right key.
    h.client.get_dialog(&dialog.id).await.expect("retried");
    assert_eq!(h.statuses(), [401, 500, 200]);
    assert_backoff(&h.recorder.take(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_export_is_not_resent_after_500_502_or_504() {
    for status in [500, 502, 504] {
        let h = harness().await;
        let dialog = h.dialog().await;
        h.api.emulator.script(EXPORT, [OmiliaError::server(status)]);
        let error = h
            .client
            .export_dialog(&dialog.id)
            .await
            .expect_err("a server error");
        assert!(
            matches!(&error, OmiliaError::Server { status: s, .. } if s.as_u16() == status),
            "{error:?}"
        );
        // Retryable in itself, but the export may have started.
        assert!(error.is_retryable() && !error.safe_to_resend());
        assert_eq!(h.statuses(), [status]);
        assert!(h.recorder.take().is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn an_export_is_resent_after_429_and_503_which_apply_nothing() {
    for (status, error) in [(429, too_many()), (503, OmiliaError::server(503))] {
        let h = harness().await;
        let dialog = h.dialog().await;
        h.api.emulator.script(EXPORT, [error]);
        let export = h.client.export_dialog(&dialog.id).await.expect("accepted");
        assert_eq!(h.statuses(), [status, 202]);
        assert_backoff(&h.recorder.take(), 1);
        assert_eq!(h.api.exports(), [export], "one export");
    }
}

#[tokio::test(start_paused = true)]
async fn every_documented_4xx_but_429_is_never_retried_and_keeps_its_code() {
    type Is = fn(&OmiliaError) -> bool;
    let cases: [(u16, &str, Is); 6] = [
        (400, "MISSING_PARAMETER", |e| {
            matches!(e, OmiliaError::BadRequest { .. })
        }),
        (401, "UNAUTHORIZED", |e| {
            matches!(e, OmiliaError::Unauthorized { .. })
        }),
        (402, "EXPORT_FAILED", |e| {
            matches!(e, OmiliaError::RequestFailed { .. })
        }),
        (403, "NO_LICENSES", |e| {
            matches!(e, OmiliaError::Forbidden { .. })
        }),
        (404, "DIALOG_NOT_FOUND", |e| {
            matches!(e, OmiliaError::NotFound { .. })
        }),
        (409, "IDEMPOTENCY_KEY_REUSED", |e| {
            matches!(e, OmiliaError::Conflict { .. })
        }),
    ];
    for (status, code, is) in cases {
        let h = harness().await;
        let dialog = h.dialog().await;
        let body = ErrorBody::coded(code, "scripted");
        let scripted = match status {
            400 => OmiliaError::BadRequest { body },
            401 => OmiliaError::Unauthorized { body },
            402 => OmiliaError::RequestFailed { body },
            403 => OmiliaError::Forbidden { body },
            404 => OmiliaError::NotFound { body },
            _ => OmiliaError::Conflict { body },
        };
        // Scripted twice: a retry would reach the second one.
        let again = OmiliaError::NotFound { body: None };
        h.api.emulator.script(GET, [scripted, again]);
        let error = h.client.get_dialog(&dialog.id).await.expect_err("an error");
        assert!(is(&error), "{status}: {error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.code(), Some(code), "{status}");
        assert_eq!(error.body().map(|b| b.message.as_str()), Some("scripted"));
        assert_eq!(h.statuses(), [status], "{status}: one attempt");
        assert!(h.recorder.take().is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn a_missing_app_id_is_400_missing_parameter() {
    let h = harness().await;
    let error = h
        .client
        .create_dialog(&NewDialog::of(" "))
        .await
        .expect_err("a bad request");
    assert!(matches!(error, OmiliaError::BadRequest { .. }), "{error:?}");
    assert_eq!(error.code(), Some("MISSING_PARAMETER"));
    // A body without the field at all, sent by hand.
    let response = reqwest::Client::new()
        .post(format!("{}/dialogs", h.base))
        .header("x-api-key", DEMO_API_KEY)
        .json(&serde_json::json!({ "language": "en-US" }))
        .send()
        .await
        .expect("sent");
    let error = apifault::reqwest::json::<Dialog, OmiliaError>(response)
        .await
        .expect_err("a bad request");
    assert_eq!(error.code(), Some("MISSING_PARAMETER"));
    assert_eq!(h.statuses(), [400, 400]);
    assert!(h.api.dialogs().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_wrong_or_missing_api_key_is_401_and_never_retried() {
    let h = harness().await;
    let dialog = h.dialog().await;
    let stranger = OmiliaClient::new(
        h.base.clone(),
        "wrong-key",
        h.recorder.attach(documented_policy()),
    );
    let error = stranger.get_dialog(&dialog.id).await.expect_err("refused");
    assert!(
        matches!(error, OmiliaError::Unauthorized { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("UNAUTHORIZED"));
    let response = reqwest::Client::new()
        .get(format!("{}/dialogs/{}", h.base, dialog.id))
        .send()
        .await
        .expect("sent");
    let error = apifault::reqwest::json::<Dialog, OmiliaError>(response)
        .await
        .expect_err("refused");
    assert!(
        matches!(error, OmiliaError::Unauthorized { .. }),
        "{error:?}"
    );
    assert_eq!(h.statuses(), [401, 401]);
    assert!(h.recorder.take().is_empty());
}

#[tokio::test(start_paused = true)]
async fn no_available_licenses_is_403_no_licenses_until_a_dialog_is_deleted() {
    let h = harness().await;
    h.api.limit_licenses(1);
    let first = h.dialog().await;
    let error = h
        .client
        .create_dialog(&NewDialog::of("claims-bot"))
        .await
        .expect_err("no license");
    assert!(matches!(error, OmiliaError::Forbidden { .. }), "{error:?}");
    assert_eq!(error.code(), Some("NO_LICENSES"));
    assert_eq!(
        error.to_string(),
        "403 forbidden: NO_LICENSES: No available licenses"
    );
    assert_eq!(h.statuses(), [403]);
    assert!(h.recorder.take().is_empty());
    h.client.delete_dialog(&first.id).await.expect("deleted");
    h.client
        .create_dialog(&NewDialog::of("claims-bot"))
        .await
        .expect("a license is free again");
    assert_eq!(h.statuses(), [403, 204, 201]);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_dialog_is_404_on_every_endpoint() {
    let h = harness().await;
    let get = h.client.get_dialog("dlg-404").await.expect_err("404");
    let export = h.client.export_dialog("dlg-404").await.expect_err("404");
    let delete = h.client.delete_dialog("dlg-404").await.expect_err("404");
    for error in [get, export, delete] {
        assert!(matches!(error, OmiliaError::NotFound { .. }), "{error:?}");
        assert_eq!(error.code(), Some("DIALOG_NOT_FOUND"));
    }
    assert_eq!(h.statuses(), [404, 404, 404]);
    assert!(h.recorder.take().is_empty());
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_backs_off_exponentially_then_succeeds() {
    let h = harness().await;
    let dialog = h.dialog().await;
    h.api
        .emulator
        .script(GET, [too_many(), too_many(), too_many()]);
    let started = tokio::time::Instant::now();
    h.client.get_dialog(&dialog.id).await.expect("read");
    let waits = h.recorder.take();
    assert_backoff(&waits, 3);
    assert!(started.elapsed() >= waits.iter().sum::<Duration>());
    assert_eq!(h.statuses(), [429, 429, 429, 200]);
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_backs_off_even_when_a_retry_after_hint_says_otherwise() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/dialogs/{id}",
        axum::routing::get({
            let calls = Arc::clone(&calls);
            move || async move {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    let body =
                        serde_json::json!({ "code": "TOO_MANY_REQUESTS", "message": "slow down" });
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "120")],
                        axum::Json(body),
                    )
                        .into_response()
                } else {
                    axum::Json(Dialog {
                        id: "dlg-1".into(),
                        app_id: "banking-ivr".into(),
                        language: None,
                    })
                    .into_response()
                }
            }
        }),
    );
    let addr = apifault_examples::emulator::serve(app)
        .await
        .expect("served");
    let recorder = Recorder::default();
    let client = OmiliaClient::new(
        format!("http://{addr}"),
        DEMO_API_KEY,
        recorder.attach(documented_policy()),
    );
    let started = tokio::time::Instant::now();
    let dialog = client.get_dialog("dlg-1").await.expect("read");
    assert_eq!(dialog.id, "dlg-1");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_backoff(&recorder.take(), 1);
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[tokio::test(start_paused = true)]
async fn server_errors_back_off_exponentially_then_succeed() {
    let h = harness().await;
    let dialog = h.dialog().await;
    h.api
        .emulator
        .script(GET, [500, 502, 503, 504].map(OmiliaError::server));
    let started = tokio::time::Instant::now();
    h.client.get_dialog(&dialog.id).await.expect("read");
    let waits = h.recorder.take();
    assert_backoff(&waits, 4);
    assert!(started.elapsed() >= waits.iter().sum::<Duration>());
    assert_eq!(h.statuses(), [500, 502, 503, 504, 200]);
}

#[tokio::test(start_paused = true)]
async fn server_errors_give_up_after_four_retries_with_the_last_body() {
    let h = harness().await;
    let dialog = h.dialog().await;
    let unavailable = || OmiliaError::Server {
        status: StatusCode::BAD_GATEWAY,
        body: ErrorBody::coded("UPSTREAM", "Upstream unavailable"),
    };
    h.api.emulator.script(GET, (0..6).map(|_| unavailable()));
    let error = h.client.get_dialog(&dialog.id).await.expect_err("gave up");
    assert!(
        matches!(&error, OmiliaError::Server { status, .. } if *status == StatusCode::BAD_GATEWAY),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("UPSTREAM"));
    assert_eq!(h.statuses(), [502; 5]);
    assert_backoff(&h.recorder.take(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_backs_off_and_surfaces_as_transport() {
    let (closed, _reserved) = refused_addr().expect("a refused address");
    let recorder = Recorder::default();
    let client = OmiliaClient::new(
        format!("http://{closed}"),
        DEMO_API_KEY,
        recorder.attach(documented_policy()),
    );
    // Nothing left the machine, so even the export is safe to resend.
    let error = client.export_dialog("dlg-1").await.expect_err("refused");
    assert!(matches!(error, OmiliaError::Transport(_)), "{error:?}");
    assert!(error.safe_to_resend());
    assert_backoff(&recorder.take(), 4);
}

#[tokio::test(start_paused = true)]
async fn an_undocumented_status_is_other_and_never_retried() {
    let h = harness().await;
    let dialog = h.dialog().await;
    let other = |status: StatusCode| OmiliaError::Other {
        status,
        body: "teapot".into(),
    };
    h.api.emulator.script(
        GET,
        [
            other(StatusCode::REQUEST_TIMEOUT),
            other(StatusCode::IM_A_TEAPOT),
            other(StatusCode::NOT_IMPLEMENTED),
        ],
    );
    // A 4xx "failed given the information provided", a 408 too; an
    // unlisted 5xx is not one of the page's server errors.
    for status in [408, 418, 501] {
        let error = h
            .client
            .get_dialog(&dialog.id)
            .await
            .expect_err("undocumented");
        assert!(
            matches!(&error, OmiliaError::Other { status: s, body } if s.as_u16() == status && body == "teapot"),
            "{error:?}"
        );
    }
    assert_eq!(h.statuses(), [408, 418, 501]);
    assert!(h.recorder.take().is_empty());
}

#[tokio::test(start_paused = true)]
async fn dependent_calls_stop_at_the_first_error() {
    let failed = |code: &str| OmiliaError::RequestFailed {
        body: ErrorBody::coded(code, "failed"),
    };
    let cases: [(&str, Option<&str>, Vec<u16>); 4] = [
        (CREATE, None, vec![201, 202, 204]),
        (CREATE, Some("CREATE_FAILED"), vec![402]),
        (EXPORT, Some("EXPORT_FAILED"), vec![201, 402]),
        (DELETE, Some("DELETE_FAILED"), vec![201, 202, 402]),
    ];
    for (endpoint, code, expected) in cases {
        let h = harness().await;
        h.api.emulator.script(endpoint, code.map(failed));
        let result = h
            .client
            .export_and_delete(&NewDialog::of("banking-ivr"))
            .await;
        assert_eq!(h.statuses(), expected, "{endpoint}");
        match code {
            None => assert!(result.is_ok(), "{result:?}"),
            Some(code) => {
                let error = result.expect_err("stopped");
                assert!(
                    matches!(error, OmiliaError::RequestFailed { .. }),
                    "{error:?}"
                );
                assert_eq!(error.code(), Some(code));
            }
        }
        assert!(h.recorder.take().is_empty());
        // What ran before the failure stays done: nothing is rolled back.
        let created = h.statuses_of(CREATE) == [201];
        let deleted = h.statuses_of(DELETE) == [204];
        assert_eq!(h.api.dialogs().len(), usize::from(created && !deleted));
    }
}

#[tokio::test(start_paused = true)]
async fn every_attempt_of_a_create_sends_one_key_and_the_next_create_another() {
    // A one-route server that records each request's key and fails the
    // first two of every three with a 500 (which may have been applied).
    let keys = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let app = axum::Router::new().route(
        "/dialogs",
        axum::routing::post({
            let keys = Arc::clone(&keys);
            move |headers: axum::http::HeaderMap| async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let mut keys = keys.lock().unwrap();
                keys.push(key);
                if !keys.len().is_multiple_of(3) {
                    let body = serde_json::json!({ "code": "INTERNAL", "message": "try again" });
                    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
                } else {
                    let dialog = Dialog {
                        id: format!("dlg-{}", keys.len() / 3),
                        app_id: "banking-ivr".into(),
                        language: None,
                    };
                    (StatusCode::CREATED, axum::Json(dialog)).into_response()
                }
            }
        }),
    );
    let addr = apifault_examples::emulator::serve(app)
        .await
        .expect("served");
    let client = OmiliaClient::new(format!("http://{addr}"), DEMO_API_KEY, documented_policy());
    let new = NewDialog::of("banking-ivr");
    assert_eq!(
        client.create_dialog(&new).await.expect("created").id,
        "dlg-1"
    );
    assert_eq!(
        client.create_dialog(&new).await.expect("created").id,
        "dlg-2"
    );
    let keys = keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 6, "{keys:?}");
    assert!(keys.iter().all(|key| key.len() >= 16), "{keys:?}");
    assert!(keys[..3].iter().all(|key| *key == keys[0]), "{keys:?}");
    assert!(keys[3..].iter().all(|key| *key == keys[3]), "{keys:?}");
    assert_ne!(keys[0], keys[3]);
}
