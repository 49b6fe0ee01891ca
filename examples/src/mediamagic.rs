//! The MediaMagic Integrations API: typed errors, a client and an emulator.
//!
//! The rules of the page this module encodes, each with the page's words
//! (in quotes) where it has them, and what we chose where it is silent
//! (marked *ours*):
//! - the key travels in `X-API-Key`; 401 for a "missing/invalid/expired/
//!   revoked key". *Ours*: the key formats (`mm_sandbox_…`, `mm_live_…`)
//!   and the demo keys ([`SANDBOX_KEY`], [`LIVE_KEY`], [`EXPIRED_KEY`],
//!   [`REVOKED_KEY`], [`NO_API_PLAN_KEY`]);
//! - success: 200, 201 (submission, direct upload, webhook subscription),
//!   202 (asset retry accepted), 204 (subscription deleted); the client
//!   takes any 2xx as success;
//! - 400 "a sandbox-only field sent with a live key" (the field is
//!   `simulationDelaySeconds`) or a "subscription without a delivery
//!   destination"; 402 "plan not allowed to use the API"; 403
//!   "sandbox-only endpoint with a live key" or "invalid blob path"; 404
//!   "not found in your workspace" or results "requested before the asset
//!   finished"; 409 "already submitted", "not retryable", "retry already in
//!   progress"; 413 "upload too large: use the presigned upload URL"; 415
//!   "content type not allowed or not matching the file"; 422 "validation
//!   failed": all never retried ("Never 400, 401, 402, 403, 404, 409, 413,
//!   415, 422");
//! - "429, 500, and 502 are safe to retry with backoff": a 429 waits
//!   `Retry-After`, then backs off; 500 and 502 back off exponentially
//!   with jitter. Every call resends after them, submissions and asset
//!   retries included: the page calls them safe, and a submission resent
//!   after a 500 that had stored it after all is refused with 409 "Asset
//!   already submitted", never stored twice. The caller then gets that 409
//!   ([`MediaMagicClient::submit`] says what it means);
//! - "wait `Retry-After`, then back off" is read (*ours*) as: a 429 is a
//!   backoff error that carries a floor. Each retry after a 429 waits the
//!   larger of the server's `Retry-After` and the policy's next jittered
//!   backoff step, so a first 429 waits `Retry-After` exactly (unless the
//!   hint is shorter than the first step), and repeated 429s wait longer
//!   and longer as the backoff grows past the hint; without `Retry-After`
//!   a 429 just backs off. These count as failures (the page says "back
//!   off"), against the policy's `max_retries`;
//! - a status the page does not list (a 503 or 504 from a gateway) is not
//!   retried: the page names the three that are (*ours*: the emulator's
//!   maintenance window is such a 503);
//! - four body shapes, chosen by status: `{"detail", "docs_url"?}` for
//!   domain errors, `{"error": "validation_error", "message", "fields"}`
//!   for 422, `{"error_code", "bucket", "message"}` for 402, `{"error":
//!   "Rate limit exceeded: …"}` for 429. *Ours*: the shapes are rebuilt
//!   from the page's Python sample, and every `detail` text but "Asset
//!   already submitted" is our wording;
//! - no request id and no universal error code.
//!
//! *Ours*, where the page names a cause and no mechanism: the resources and
//! their fields (`/submissions` with a `source_url`, `/assets/{id}/results`,
//! `/assets/{id}/retry`, `/uploads` with a `blob_path`, `/webhooks` with a
//! `url`, and the sandbox-only endpoint `/sandbox/assets/{id}/complete`),
//! the inline size limit ([`MAX_INLINE_BYTES`]), what makes a blob path
//! invalid (see [`valid_blob_path`]), and `simulationDelaySeconds` read as
//! how long the sandbox takes to finish the asset.
//!
//! What does not live here: the scripting, request log, quota and gate every
//! emulator shares (`crate::emulator`), and the tables (`crate::tour`).
//! The emulator checks `X-API-Key` first (401), then the plan (402), then
//! hands over to the shared gate (quota, then script). It announces the
//! quota with `Retry-After` only, the one rate-limit header MediaMagic
//! documents.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use apifault::{ApiError, Jitter, RetryPolicy, Success};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::emulator::{Emulator, Gate, answer};

/// The endpoints, as the emulator names them in its scripts and its log.
pub mod endpoint {
    /// `POST /submissions`.
    pub const SUBMIT: &str = "POST /submissions";
    /// `GET /assets/{id}/results`.
    pub const RESULTS: &str = "GET /assets/{id}/results";
    /// `POST /assets/{id}/retry`.
    pub const RETRY_ASSET: &str = "POST /assets/{id}/retry";
    /// `DELETE /webhooks/{id}`.
    pub const DELETE_WEBHOOK: &str = "DELETE /webhooks/{id}";
    /// `POST /webhooks`.
    pub const SUBSCRIBE: &str = "POST /webhooks";
    /// `POST /uploads`.
    pub const UPLOAD: &str = "POST /uploads";
    /// `POST /sandbox/assets/{id}/complete` (sandbox keys only).
    pub const SANDBOX_COMPLETE: &str = "POST /sandbox/assets/{id}/complete";
}

/// The header that carries the API key.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// A sandbox key the emulator accepts: sandbox-only fields are allowed.
pub const SANDBOX_KEY: &str = "mm_sandbox_3f9c2a";

/// A live key the emulator accepts: sandbox-only fields are a 400 and
/// sandbox-only endpoints a 403.
pub const LIVE_KEY: &str = "mm_live_8d41e7";

/// A key that has expired: a 401.
pub const EXPIRED_KEY: &str = "mm_live_expired_0a11ce";

/// A key that was revoked: a 401.
pub const REVOKED_KEY: &str = "mm_live_revoked_b0b5ed";

/// A valid key of a workspace whose plan does not include the API: a 402.
pub const NO_API_PLAN_KEY: &str = "mm_live_starter_9e2d10";

/// The largest request body the API takes inline; a larger upload goes
/// through the presigned upload URL, or is a 413.
pub const MAX_INLINE_BYTES: usize = 1024 * 1024;

const DOCS: &str = "https://docs.mediamagic.invalid/errors";

/// The domain error body: `{"detail": "...", "docs_url": "..."}`, served
/// with 400, 401, 403, 404, 409, 413, 415, 500 and 502.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// What went wrong, for a human.
    pub detail: String,
    /// Where the documentation explains it, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
}

impl ErrorDetail {
    /// A body with `detail` and no `docs_url`.
    #[must_use]
    pub fn new(detail: impl Into<String>) -> Self {
        ErrorDetail {
            detail: detail.into(),
            docs_url: None,
        }
    }

    /// A body with `detail` and a link to the documentation's `anchor`.
    #[must_use]
    pub fn documented(detail: impl Into<String>, anchor: &str) -> Self {
        ErrorDetail {
            detail: detail.into(),
            docs_url: Some(format!("{DOCS}#{anchor}")),
        }
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field, as named in the request body.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The 422 body: `{"error": "validation_error", "message": "...", "fields": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    /// Always `validation_error`.
    pub error: String,
    /// A summary.
    pub message: String,
    /// One entry per field that failed.
    pub fields: Vec<FieldError>,
}

impl ValidationError {
    /// A validation error over `fields`.
    #[must_use]
    pub fn new(fields: Vec<FieldError>) -> Self {
        ValidationError {
            error: "validation_error".into(),
            message: "Validation failed".into(),
            fields,
        }
    }
}

/// The 402 body: the plan does not allow the API (`{"error_code", "bucket", "message"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanError {
    /// A machine-readable code, e.g. `plan_not_allowed`.
    pub error_code: String,
    /// The usage bucket the plan lacks, e.g. `integrations_api`.
    pub bucket: String,
    /// For a human.
    pub message: String,
}

/// The 429 body: `{"error": "Rate limit exceeded: ..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitBody {
    /// `Rate limit exceeded: …`.
    pub error: String,
}

/// Every documented error of the MediaMagic Integrations API.
///
/// No `request_id` (the API has none) and no `atomic` (the page does not
/// promise that a failed request changed nothing, and a 500 may come after
/// a submission was stored). The client resends after 429, 500 and 502
/// anyway, because the page calls them "safe to retry"; the API's 409 on a
/// duplicate is what makes that so. The statuses that are retried (429, 500, 502) hold
/// their body as an `Option`: a 429 or a 502 written by a proxy in front of
/// the API is still that status, and is still retried, whatever its body.
/// Every other documented status is never retried, so a body of another
/// shape lands in `Other`, which is never retried either.
#[derive(Debug, thiserror::Error, ApiError, apifault::IntoResponse)]
pub enum MediaMagicError {
    /// 400: a sandbox-only field sent with a live key, or a webhook
    /// subscription without a delivery destination, or a body that is not
    /// JSON.
    #[error("bad request: {body}")]
    #[api(status = 400, retry = "never")]
    BadRequest {
        /// `{"detail", "docs_url"}`.
        #[api(body)]
        body: ErrorDetail,
    },
    /// 401: the key is missing, invalid, expired or revoked.
    #[error("unauthorized: {body}")]
    #[api(status = 401, retry = "never")]
    Unauthorized {
        /// `{"detail", "docs_url"}`.
        #[api(body)]
        body: ErrorDetail,
    },
    /// 402: the plan does not allow the API.
    #[error("plan not allowed ({}): {}", body.error_code, body.message)]
    #[api(status = 402, retry = "never")]
    PlanNotAllowed {
        /// `{"error_code", "bucket", "message"}`.
        #[api(body)]
        body: PlanError,
    },
    /// 403: a sandbox-only endpoint called with a live key, or an invalid
    /// blob path.
    #[error("forbidden: {body}")]
    #[api(status = 403, retry = "never")]
    Forbidden {
        /// `{"detail", "docs_url"}`.
        #[api(body)]
        body: ErrorDetail,
    },
    /// 404: not found in this workspace, or results asked for before the
    /// asset finished.
    #[error("not found: {body}")]
    #[api(status = 404, retry = "never")]
    NotFound {
        /// `{"detail", "docs_url"}`.
        #[api(body)]
        body: ErrorDetail,
    },
    /// 409 "Asset already submitted": the source URL was submitted
    /// before. After a resend (a 500 or 502 on the first try), it says the
    /// first attempt was stored after all. Told apart from the other 409s by
    /// the page's verbatim message, the only one it quotes.
    #[error("already submitted: {body}")]
    #[api(
        status = 409,
        when(body = "/detail: Asset already submitted"),
        retry = "never"
    )]
    AlreadySubmitted {
        /// `{"detail": "Asset already submitted", "docs_url"}`.
        #[api(body)]
        body: ErrorDetail,
    },
    /// 409: not retryable, or a retry already in progress. Documented as
    /// not retryable.
    #[error("conflict: {body}")]
    #[api(status = 409, retry = "never")]
    Conflict {
        /// `{"detail", "docs_url"}`.
        #[api(body)]
        body: ErrorDetail,
    },
    /// 413: too large to send inline; use the presigned upload URL.
    #[error("payload too large: {body}")]
    #[api(status = 413, retry = "never")]
    PayloadTooLarge {
        /// `{"detail", "docs_url"}`.
        #[api(body)]
        body: ErrorDetail,
    },
    /// 415: a content type that is not allowed, or does not match the file.
    #[error("unsupported media type: {body}")]
    #[api(status = 415, retry = "never")]
    UnsupportedMediaType {
        /// `{"detail", "docs_url"}`.
        #[api(body)]
        body: ErrorDetail,
    },
    /// 422: validation failed, field by field.
    #[error(
        "validation failed: {}",
        body.fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
    )]
    #[api(status = 422, retry = "never")]
    Validation {
        /// `{"error": "validation_error", "message", "fields"}`.
        #[api(body)]
        body: ValidationError,
    },
    /// 429: waits `Retry-After`, then backs off: each retry waits the larger
    /// of `Retry-After` and the next jittered backoff step.
    #[error("rate limited, retry after {retry_after:?}")]
    #[api(status = 429, retry = "backoff")]
    RateLimited {
        /// `Retry-After`.
        #[api(retry_after)]
        retry_after: Option<Duration>,
        /// `{"error": "Rate limit exceeded: ..."}`.
        #[api(body)]
        body: Option<RateLimitBody>,
    },
    /// 500: a storage or internal error; backs off with jitter.
    #[error("internal error: {}", body.as_ref().map_or("(no detail)", |b| b.detail.as_str()))]
    #[api(status = 500, retry = "backoff")]
    Internal {
        /// `{"detail", "docs_url"}`, when the response had it.
        #[api(body)]
        body: Option<ErrorDetail>,
    },
    /// 502: the result blob could not be loaded; backs off with jitter.
    #[error("bad gateway: {}", body.as_ref().map_or("(no detail)", |b| b.detail.as_str()))]
    #[api(status = 502, retry = "backoff")]
    BadGateway {
        /// `{"detail", "docs_url"}`, when the response had it.
        #[api(body)]
        body: Option<ErrorDetail>,
    },
    /// Connection failures and timeouts.
    #[error(transparent)]
    #[api(transport)]
    Transport(#[from] reqwest::Error),
    /// Any status the documentation does not list (a 503 or 504 from a
    /// gateway, say): never retried, since the documentation retries only
    /// 429, 500 and 502.
    #[error("unexpected status {status}: {body}")]
    #[api(other, retry = "never")]
    Other {
        /// The status.
        #[api(status)]
        status: StatusCode,
        /// The body, as text.
        #[api(body)]
        body: String,
    },
}

/// What `POST /submissions` sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubmission {
    /// Where MediaMagic fetches the media (`http` or `https`). One URL is
    /// submitted once: a second submission is a 409.
    pub source_url: String,
    /// Small files may travel inline (base64), up to [`MAX_INLINE_BYTES`]
    /// of request; larger ones go through the presigned upload URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_content: Option<String>,
    /// `simulationDelaySeconds`: how long the sandbox takes to finish the
    /// asset. Only the sandbox accepts this field: with a live key, it is
    /// a 400.
    #[serde(
        default,
        rename = "simulationDelaySeconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub simulation_delay_seconds: Option<u64>,
}

impl NewSubmission {
    /// A submission of the media at `source_url`.
    #[must_use]
    pub fn new(source_url: impl Into<String>) -> Self {
        NewSubmission {
            source_url: source_url.into(),
            ..Self::default()
        }
    }
}

/// What `POST /submissions` answers (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// The submission's id.
    pub id: String,
    /// The asset it created, whose results to fetch.
    pub asset_id: String,
    /// `queued`.
    pub status: String,
}

/// What `POST /webhooks` answers (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Its id, e.g. `wh_2`.
    pub id: String,
    /// Where the events go.
    pub url: String,
}

/// What `POST /uploads` answers (201): a direct upload stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// Where it is stored.
    pub blob_path: String,
    /// Its size in bytes.
    pub size: u64,
}

/// What `GET /assets/{id}/results` answers (200) once the asset finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetResults {
    /// The asset.
    pub asset_id: String,
    /// `completed`.
    pub status: String,
    /// What the analysis found.
    pub labels: Vec<String>,
}

/// The retry policy the documentation asks for: exponential backoff with
/// jitter from 1 s (equal jitter: each wait is between half and all of 1 s,
/// 2 s, 4 s), three retries, and a 429 waited out for the larger of
/// `Retry-After` (up to 5 minutes: a longer one gives up at once) and that
/// backoff.
#[must_use]
pub fn documented_policy() -> RetryPolicy {
    RetryPolicy::exponential(Duration::from_secs(1))
        .factor(2.0)
        .jitter(Jitter::Equal)
        .max_retries(3)
        .max_delay(Duration::from_secs(30))
        .max_server_wait(Duration::from_secs(300))
        .max_elapsed(Duration::from_secs(600))
}

/// A client of the MediaMagic Integrations API.
#[derive(Clone, Debug)]
pub struct MediaMagicClient {
    http: reqwest::Client,
    base: String,
    api_key: Option<String>,
    policy: RetryPolicy,
}

impl MediaMagicClient {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8080`), sending
    /// `api_key` in `X-API-Key`.
    #[must_use]
    pub fn new(base: impl Into<String>, api_key: impl Into<String>, policy: RetryPolicy) -> Self {
        MediaMagicClient {
            http: reqwest::Client::new(),
            base: base.into(),
            api_key: Some(api_key.into()),
            policy,
        }
    }

    /// A client that sends no key: every call is a 401.
    #[must_use]
    pub fn without_key(base: impl Into<String>, policy: RetryPolicy) -> Self {
        MediaMagicClient {
            http: reqwest::Client::new(),
            base: base.into(),
            api_key: None,
            policy,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.api_key {
            Some(key) => request.header(API_KEY_HEADER, key),
            None => request,
        }
    }

    /// `POST /submissions` (201). Resent after a 429, a 500 or a 502, as
    /// the page says they are "safe to retry with backoff". A 500 or 502
    /// may come after the submission was stored; the resend is then
    /// refused with a 409 "Asset already submitted", never stored twice,
    /// and that 409 is what this returns: the media is submitted, under
    /// the id the first attempt was given (the page offers no way to look
    /// it up by `source_url`).
    #[apifault::retry(policy = &self.policy)]
    pub async fn submit(
        &self,
        submission: &NewSubmission,
    ) -> Result<Success<Submission>, MediaMagicError> {
        let response = self
            .request(reqwest::Method::POST, "/submissions")
            .json(submission)
            .send()
            .await?;
        apifault::reqwest::json_with_meta(response).await
    }

    /// `GET /assets/{id}/results` (200): a 404 until the asset finished.
    #[apifault::retry(policy = &self.policy)]
    pub async fn results(&self, asset_id: &str) -> Result<Success<AssetResults>, MediaMagicError> {
        let response = self
            .request(reqwest::Method::GET, &format!("/assets/{asset_id}/results"))
            .send()
            .await?;
        apifault::reqwest::json_with_meta(response).await
    }

    /// `POST /assets/{id}/retry` (202): runs the asset again. Resent after
    /// a 429, a 500 or a 502 ("safe to retry with backoff"); a resend whose
    /// first attempt had started the retry gets a 409 "retry already in
    /// progress", which is what this then returns.
    #[apifault::retry(policy = &self.policy)]
    pub async fn retry_asset(&self, asset_id: &str) -> Result<Success<()>, MediaMagicError> {
        let response = self
            .request(reqwest::Method::POST, &format!("/assets/{asset_id}/retry"))
            .send()
            .await?;
        apifault::reqwest::no_content_with_meta(response).await
    }

    /// `DELETE /webhooks/{id}` (204): removes a webhook subscription.
    /// Deleting is idempotent, so every retryable error is retried; a
    /// resent delete whose first attempt did apply answers 404.
    #[apifault::retry(policy = &self.policy)]
    pub async fn delete_webhook(&self, webhook_id: &str) -> Result<Success<()>, MediaMagicError> {
        let response = self
            .request(reqwest::Method::DELETE, &format!("/webhooks/{webhook_id}"))
            .send()
            .await?;
        apifault::reqwest::no_content_with_meta(response).await
    }

    /// `POST /webhooks` (201): subscribes `url` (`None`: no delivery
    /// destination, a 400) to the workspace's events. Resent after a 429,
    /// 500 or 502, which the page calls safe to retry.
    #[apifault::retry(policy = &self.policy)]
    pub async fn subscribe(
        &self,
        url: Option<&str>,
    ) -> Result<Success<Subscription>, MediaMagicError> {
        let body = serde_json::json!({ "url": url });
        let response = self
            .request(reqwest::Method::POST, "/webhooks")
            .json(&body)
            .send()
            .await?;
        apifault::reqwest::json_with_meta(response).await
    }

    /// `POST /uploads?blob_path=…` (201): uploads `content` directly, as
    /// `content_type`. Over [`MAX_INLINE_BYTES`] it is a 413: use the
    /// presigned upload URL.
    #[apifault::retry(policy = &self.policy)]
    pub async fn upload(
        &self,
        blob_path: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<Success<Upload>, MediaMagicError> {
        let response = self
            .request(
                reqwest::Method::POST,
                &format!("/uploads?blob_path={}", percent_encode(blob_path)),
            )
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(content.to_vec())
            .send()
            .await?;
        apifault::reqwest::json_with_meta(response).await
    }

    /// `POST /sandbox/assets/{id}/complete` (200): a sandbox-only endpoint
    /// that finishes an asset at once; with a live key it is a 403.
    #[apifault::retry(policy = &self.policy)]
    pub async fn complete_in_sandbox(
        &self,
        asset_id: &str,
    ) -> Result<Success<()>, MediaMagicError> {
        let response = self
            .request(
                reqwest::Method::POST,
                &format!("/sandbox/assets/{asset_id}/complete"),
            )
            .send()
            .await?;
        apifault::reqwest::no_content_with_meta(response).await
    }

    /// A sequence of dependent calls: submit, then fetch the new asset's
    /// results. The first error (after its retries) stops the sequence.
    pub async fn submit_and_fetch(
        &self,
        submission: &NewSubmission,
    ) -> Result<Success<AssetResults>, MediaMagicError> {
        let submission = self.submit(submission).await?;
        self.results(&submission.asset_id).await
    }
}

#[derive(Debug, Clone)]
struct Asset {
    source_url: String,
    ready_at: Instant,
    retrying: bool,
    retryable: bool,
}

/// The emulator's state: scripted faults, the assets it processes and the
/// webhook subscriptions it holds.
#[derive(Debug)]
pub struct MediaMagicEmulator {
    /// Scripts, quota and the request log.
    pub emulator: Emulator<MediaMagicError>,
    assets: Mutex<HashMap<String, Asset>>,
    submitted: Mutex<HashSet<String>>,
    webhooks: Mutex<HashSet<String>>,
    processing: Mutex<Duration>,
    after_applying: Mutex<HashMap<String, VecDeque<MediaMagicError>>>,
    next_id: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether a key the emulator accepts is a sandbox or a live one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    Sandbox,
    Live,
}

impl MediaMagicEmulator {
    /// A new emulator holding the webhook subscription `wh_1`, whose assets
    /// finish as soon as they are submitted.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(MediaMagicEmulator {
            emulator: Emulator::default(),
            assets: Mutex::default(),
            submitted: Mutex::default(),
            webhooks: Mutex::new(HashSet::from(["wh_1".to_owned()])),
            processing: Mutex::new(Duration::ZERO),
            after_applying: Mutex::default(),
            next_id: AtomicU64::new(1),
        })
    }

    /// How long an asset takes from submission (or retry) to results; until
    /// then its results are a 404 and another retry a 409.
    pub fn set_processing(&self, processing: Duration) {
        *lock(&self.processing) = processing;
    }

    /// Makes `asset_id` one that cannot be run again: an asset retry is then
    /// a 409 "not retryable". *Ours*: the page lists the cause, not what
    /// makes an asset so; the emulator leaves that to the test.
    pub fn make_not_retryable(&self, asset_id: &str) {
        if let Some(asset) = lock(&self.assets).get_mut(asset_id) {
            asset.retryable = false;
        }
    }

    /// The next requests to `endpoint` do their work, then fail with
    /// `errors`, in order: what an API that is not atomic does when, say,
    /// storage fails after the write. (`Emulator::script` fails before the work.)
    pub fn script_after_applying(
        &self,
        endpoint: &str,
        errors: impl IntoIterator<Item = MediaMagicError>,
    ) {
        lock(&self.after_applying)
            .entry(endpoint.to_owned())
            .or_default()
            .extend(errors);
    }

    /// The response of `endpoint` once its work is done: `success`, unless
    /// a failure after applying was scripted.
    fn applied(&self, endpoint: &str, success: impl axum::response::IntoResponse) -> Response {
        let failure = lock(&self.after_applying)
            .get_mut(endpoint)
            .and_then(VecDeque::pop_front);
        match failure {
            Some(error) => answer(&self.emulator, endpoint, error),
            None => answer(&self.emulator, endpoint, success),
        }
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }

    /// The key, then the shared gate (quota, then script), decide whether
    /// `endpoint` fails before it does its work.
    fn gate(&self, endpoint: &str, headers: &HeaderMap) -> Result<KeyKind, MediaMagicError> {
        let key = headers
            .get(API_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let unauthorized = |detail: &str| MediaMagicError::Unauthorized {
            body: ErrorDetail::documented(detail, "authentication"),
        };
        let kind = match key {
            "" => return Err(unauthorized("Missing API key")),
            EXPIRED_KEY => return Err(unauthorized("API key expired")),
            REVOKED_KEY => return Err(unauthorized("API key revoked")),
            NO_API_PLAN_KEY => {
                return Err(MediaMagicError::PlanNotAllowed {
                    body: PlanError {
                        error_code: "plan_not_allowed".into(),
                        bucket: "integrations_api".into(),
                        message: "Your plan does not include the Integrations API".into(),
                    },
                });
            }
            key if key.starts_with("mm_sandbox_") => KeyKind::Sandbox,
            key if key.starts_with("mm_live_") => KeyKind::Live,
            _ => return Err(unauthorized("Invalid API key")),
        };
        let maintenance = || MediaMagicError::Other {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: "Service temporarily unavailable".into(),
        };
        // MediaMagic documents `Retry-After` only: the quota's reset becomes
        // that, and the other rate-limit fields are not announced.
        let rate_limited = |announced: apifault::RateLimit| MediaMagicError::RateLimited {
            retry_after: announced.reset,
            body: Some(RateLimitBody {
                error: format!(
                    "Rate limit exceeded: {} requests per window",
                    announced.limit.unwrap_or(0)
                ),
            }),
        };
        match self.emulator.gate(endpoint, maintenance, rate_limited) {
            Gate::Fail(error) => Err(error),
            Gate::Pass(_) => Ok(kind),
        }
    }
}

type Shared = State<Arc<MediaMagicEmulator>>;

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// What the emulator reads of a submission: `simulationDelaySeconds` of
/// any value counts as sent.
#[derive(Deserialize)]
struct SubmissionRequest {
    source_url: Option<serde_json::Value>,
    #[serde(rename = "simulationDelaySeconds")]
    simulation_delay_seconds: Option<serde_json::Value>,
}

fn validate(request: &SubmissionRequest) -> Result<String, ValidationError> {
    let problem = match &request.source_url {
        None | Some(serde_json::Value::Null) => "is required",
        Some(serde_json::Value::String(url)) if url.trim().is_empty() => "is required",
        Some(serde_json::Value::String(url))
            if url.starts_with("https://") || url.starts_with("http://") =>
        {
            return Ok(url.clone());
        }
        Some(_) => "must be an http or https URL",
    };
    Err(ValidationError::new(vec![FieldError {
        field: "source_url".into(),
        message: problem.into(),
    }]))
}

async fn submit(State(api): Shared, headers: HeaderMap, body: String) -> Response {
    const ENDPOINT: &str = endpoint::SUBMIT;
    let fail = |error: MediaMagicError| answer(&api.emulator, ENDPOINT, error);
    let key = match api.gate(ENDPOINT, &headers) {
        Ok(key) => key,
        Err(error) => return fail(error),
    };
    if body.len() > MAX_INLINE_BYTES {
        return fail(MediaMagicError::PayloadTooLarge {
            body: ErrorDetail::documented(
                "Upload too large: use the presigned upload URL",
                "upload-too-large",
            ),
        });
    }
    if !is_json(&headers) {
        return fail(MediaMagicError::UnsupportedMediaType {
            body: ErrorDetail::new("Content type not allowed: send application/json"),
        });
    }
    let Ok(request) = serde_json::from_str::<SubmissionRequest>(&body) else {
        return fail(MediaMagicError::BadRequest {
            body: ErrorDetail::new("The body is not a JSON object"),
        });
    };
    if key == KeyKind::Live && request.simulation_delay_seconds.is_some() {
        return fail(MediaMagicError::BadRequest {
            body: ErrorDetail::documented(
                "simulationDelaySeconds is a sandbox-only field and cannot be sent with a live key",
                "sandbox-only-fields",
            ),
        });
    }
    let simulated = request
        .simulation_delay_seconds
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        .map(Duration::from_secs);
    let source_url = match validate(&request) {
        Ok(url) => url,
        Err(body) => return fail(MediaMagicError::Validation { body }),
    };
    if !lock(&api.submitted).insert(source_url.clone()) {
        return fail(MediaMagicError::AlreadySubmitted {
            body: ErrorDetail::documented("Asset already submitted", "already-submitted"),
        });
    }
    let n = api.next_id();
    let asset_id = format!("ast_{n}");
    let ready_at = Instant::now() + simulated.unwrap_or(*lock(&api.processing));
    lock(&api.assets).insert(
        asset_id.clone(),
        Asset {
            source_url,
            ready_at,
            retrying: false,
            retryable: true,
        },
    );
    let submission = Submission {
        id: format!("sub_{n}"),
        asset_id,
        status: "queued".into(),
    };
    api.applied(ENDPOINT, (StatusCode::CREATED, axum::Json(submission)))
}

fn asset_not_found() -> MediaMagicError {
    MediaMagicError::NotFound {
        body: ErrorDetail::new("Asset not found in your workspace"),
    }
}

async fn results(State(api): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    const ENDPOINT: &str = endpoint::RESULTS;
    let fail = |error: MediaMagicError| answer(&api.emulator, ENDPOINT, error);
    if let Err(error) = api.gate(ENDPOINT, &headers) {
        return fail(error);
    }
    let asset = lock(&api.assets).get(&id).cloned();
    let Some(asset) = asset else {
        return fail(asset_not_found());
    };
    if Instant::now() < asset.ready_at {
        return fail(MediaMagicError::NotFound {
            body: ErrorDetail::documented(
                "Results are not available until the asset has finished processing",
                "results-not-ready",
            ),
        });
    }
    let mut labels = vec!["speech".to_owned(), "music".to_owned()];
    if asset.source_url.contains("news") {
        labels.push("news".into());
    }
    let results = AssetResults {
        asset_id: id,
        status: "completed".into(),
        labels,
    };
    answer(&api.emulator, ENDPOINT, axum::Json(results))
}

async fn retry_asset(State(api): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    const ENDPOINT: &str = endpoint::RETRY_ASSET;
    let fail = |error: MediaMagicError| answer(&api.emulator, ENDPOINT, error);
    if let Err(error) = api.gate(ENDPOINT, &headers) {
        return fail(error);
    }
    let now = Instant::now();
    let processing = *lock(&api.processing);
    let mut assets = lock(&api.assets);
    let Some(asset) = assets.get_mut(&id) else {
        drop(assets);
        return fail(asset_not_found());
    };
    if !asset.retryable {
        drop(assets);
        return fail(MediaMagicError::Conflict {
            body: ErrorDetail::documented("Asset is not retryable", "not-retryable"),
        });
    }
    if asset.retrying && now < asset.ready_at {
        drop(assets);
        return fail(MediaMagicError::Conflict {
            body: ErrorDetail::documented("A retry is already in progress", "retry-in-progress"),
        });
    }
    asset.retrying = true;
    asset.ready_at = now + processing;
    drop(assets);
    api.applied(ENDPOINT, StatusCode::ACCEPTED)
}

async fn delete_webhook(
    State(api): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    const ENDPOINT: &str = endpoint::DELETE_WEBHOOK;
    let fail = |error: MediaMagicError| answer(&api.emulator, ENDPOINT, error);
    if let Err(error) = api.gate(ENDPOINT, &headers) {
        return fail(error);
    }
    if lock(&api.webhooks).remove(&id) {
        answer(&api.emulator, ENDPOINT, StatusCode::NO_CONTENT)
    } else {
        fail(MediaMagicError::NotFound {
            body: ErrorDetail::new("Webhook subscription not found in your workspace"),
        })
    }
}

/// What `POST /webhooks` reads: the delivery destination.
#[derive(Deserialize)]
struct SubscriptionRequest {
    url: Option<String>,
}

async fn subscribe(State(api): Shared, headers: HeaderMap, body: String) -> Response {
    const ENDPOINT: &str = endpoint::SUBSCRIBE;
    let fail = |error: MediaMagicError| answer(&api.emulator, ENDPOINT, error);
    if let Err(error) = api.gate(ENDPOINT, &headers) {
        return fail(error);
    }
    let request = serde_json::from_str::<SubscriptionRequest>(&body).ok();
    let Some(url) = request
        .and_then(|r| r.url)
        .filter(|url| !url.trim().is_empty())
    else {
        return fail(MediaMagicError::BadRequest {
            body: ErrorDetail::documented(
                "A webhook subscription needs a delivery destination",
                "webhooks",
            ),
        });
    };
    let id = format!("wh_{}", api.next_id());
    lock(&api.webhooks).insert(id.clone());
    answer(
        &api.emulator,
        ENDPOINT,
        (StatusCode::CREATED, axum::Json(Subscription { id, url })),
    )
}

/// Whether the emulator takes `path` as a blob path (*ours*; the page
/// names "invalid blob path" and no rule): under `uploads/`, made of
/// letters, digits, `.`, `_`, `-` and `/`, with no empty, `.` or `..`
/// segment.
#[must_use]
pub fn valid_blob_path(path: &str) -> bool {
    path.strip_prefix("uploads/").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .split('/')
                .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
    })
}

/// `%XX` escapes decoded (invalid ones kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with every byte but unreserved ones (RFC 3986) written `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The content type a file name's extension calls for (*ours*: the media
/// types the emulator takes).
fn content_type_of(blob_path: &str) -> Option<&'static str> {
    let extension = blob_path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        _ => return None,
    })
}

async fn upload(
    State(api): Shared,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: axum::body::Bytes,
) -> Response {
    const ENDPOINT: &str = endpoint::UPLOAD;
    let fail = |error: MediaMagicError| answer(&api.emulator, ENDPOINT, error);
    if let Err(error) = api.gate(ENDPOINT, &headers) {
        return fail(error);
    }
    let blob_path = uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("blob_path="))
        .map(percent_decode)
        .unwrap_or_default();
    let blob_path = blob_path.as_str();
    if !valid_blob_path(blob_path) {
        return fail(MediaMagicError::Forbidden {
            body: ErrorDetail::documented("Invalid blob path", "uploads"),
        });
    }
    if body.len() > MAX_INLINE_BYTES {
        return fail(MediaMagicError::PayloadTooLarge {
            body: ErrorDetail::documented(
                "Upload too large: use the presigned upload URL",
                "upload-too-large",
            ),
        });
    }
    let sent = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let allowed = ["video/mp4", "video/quicktime", "audio/mpeg", "audio/wav"];
    let Some(sent) = sent.filter(|sent| allowed.contains(&sent.as_str())) else {
        return fail(MediaMagicError::UnsupportedMediaType {
            body: ErrorDetail::new("Content type not allowed"),
        });
    };
    if content_type_of(blob_path) != Some(sent.as_str()) {
        return fail(MediaMagicError::UnsupportedMediaType {
            body: ErrorDetail::new("Content type does not match the file"),
        });
    }
    let uploaded = Upload {
        blob_path: blob_path.to_owned(),
        size: body.len() as u64,
    };
    answer(
        &api.emulator,
        ENDPOINT,
        (StatusCode::CREATED, axum::Json(uploaded)),
    )
}

/// The sandbox-only endpoint: finishes an asset at once.
async fn complete_in_sandbox(
    State(api): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    const ENDPOINT: &str = endpoint::SANDBOX_COMPLETE;
    let fail = |error: MediaMagicError| answer(&api.emulator, ENDPOINT, error);
    match api.gate(ENDPOINT, &headers) {
        Err(error) => return fail(error),
        Ok(KeyKind::Live) => {
            return fail(MediaMagicError::Forbidden {
                body: ErrorDetail::documented(
                    "This endpoint is only available with a sandbox key",
                    "sandbox",
                ),
            });
        }
        Ok(KeyKind::Sandbox) => {}
    }
    let mut assets = lock(&api.assets);
    let Some(asset) = assets.get_mut(&id) else {
        drop(assets);
        return fail(asset_not_found());
    };
    asset.ready_at = Instant::now();
    drop(assets);
    answer(&api.emulator, ENDPOINT, StatusCode::OK)
}

/// The emulator's routes, over `state`.
pub fn router(state: Arc<MediaMagicEmulator>) -> axum::Router {
    axum::Router::new()
        .route("/submissions", post(submit))
        .route("/assets/{id}/results", get(results))
        .route("/assets/{id}/retry", post(retry_asset))
        .route("/uploads", post(upload))
        .route("/webhooks", post(subscribe))
        .route("/webhooks/{id}", delete(delete_webhook))
        .route("/sandbox/assets/{id}/complete", post(complete_in_sandbox))
        .with_state(state)
}

/// Starts an emulator on a loopback port: its address and its state.
pub async fn start() -> std::io::Result<(String, Arc<MediaMagicEmulator>)> {
    let state = MediaMagicEmulator::new();
    let addr = crate::emulator::serve(router(Arc::clone(&state))).await?;
    Ok((format!("http://{addr}"), state))
}

/// Whether every wait lies in `bounds`, pairwise, and there are as many.
fn within(waits: &[Duration], bounds: &[(Duration, Duration)]) -> bool {
    waits.len() == bounds.len()
        && waits
            .iter()
            .zip(bounds)
            .all(|(wait, (low, high))| low <= wait && wait <= high)
}

/// Whether `wait` is what a 429 carrying `hint` waits when the next backoff
/// step is jittered within `[low, high]`: the larger of the two, so exactly
/// the hint when the hint is at least `high`, else within
/// `[max(hint, low), high]`.
fn hint_or_backoff(wait: Duration, hint: Duration, (low, high): (Duration, Duration)) -> bool {
    if hint >= high {
        wait == hint
    } else {
        hint.max(low) <= wait && wait <= high
    }
}

/// Whether `result` is the 409 of a source URL submitted before.
fn already_submitted<T>(result: &Result<T, MediaMagicError>) -> bool {
    matches!(result, Err(MediaMagicError::AlreadySubmitted { .. }))
}

/// Whether an optional domain error body is there and says `detail`.
fn detail_is(body: Option<&ErrorDetail>, detail: &str) -> bool {
    body.is_some_and(|body| body.detail == detail)
}

/// The scripted scenario the tour runs: each documented retry rule once,
/// with server hints checked exactly and jittered waits against their
/// bounds.
pub async fn scenarios() -> std::io::Result<Vec<crate::tour::Row>> {
    use crate::tour::{Recorder, row};

    let (base, api) = start().await?;
    let recorder = Recorder::default();
    let client = MediaMagicClient::new(
        base.clone(),
        SANDBOX_KEY,
        recorder.attach(documented_policy()),
    );
    let live = MediaMagicClient::new(base.clone(), LIVE_KEY, recorder.attach(documented_policy()));
    let emu = &api.emulator;
    let ms = Duration::from_millis;
    let secs = Duration::from_secs;
    let internal = || MediaMagicError::Internal {
        body: Some(ErrorDetail::new("Storage error")),
    };
    let bad_gateway = || MediaMagicError::BadGateway {
        body: Some(ErrorDetail::new("The result blob could not be loaded")),
    };
    let mut rows = Vec::new();

    let first = NewSubmission::new("https://media.example/evening-news.mp4");
    let asset = match client.submit(&first).await {
        Ok(submission) => submission.into_inner().asset_id,
        Err(error) => return Err(std::io::Error::other(error)),
    };
    let other = NewSubmission::new("https://media.example/interview.mp4");
    rows.push(
        row(
            "POST /submissions",
            "201: submission",
            emu,
            &recorder,
            client.submit(&other),
            |r, s, w| {
                r.as_ref()
                    .is_ok_and(|sub| sub.status == "queued" && sub.asset_id != asset)
                    && s == [201]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            &format!("GET /assets/{asset}/results"),
            "200: results of a finished asset",
            emu,
            &recorder,
            client.results(&asset),
            |r, s, w| {
                r.as_ref().is_ok_and(|res| {
                    res.asset_id == asset
                        && res.status == "completed"
                        && res.labels.iter().any(|label| label == "news")
                }) && s == [200]
                    && w.is_empty()
            },
        )
        .await,
    );
    emu.script(
        endpoint::RESULTS,
        [MediaMagicError::RateLimited {
            retry_after: Some(secs(30)),
            body: Some(RateLimitBody {
                error: "Rate limit exceeded: 60 requests per minute".into(),
            }),
        }],
    );
    rows.push(
        row(
            "GET results (429, Retry-After 30 s)",
            "429: \"wait Retry-After, then back off\"",
            emu,
            &recorder,
            client.results(&asset),
            // The hint is above the first backoff step (at most 1 s): waited exactly.
            |r, s, w| r.is_ok() && s == [429, 200] && w == [secs(30)],
        )
        .await,
    );
    emu.script(
        endpoint::RESULTS,
        [
            MediaMagicError::RateLimited {
                retry_after: Some(secs(10)),
                body: None,
            },
            internal(),
        ],
    );
    rows.push(
        row(
            "GET results (429 Retry-After 10 s, then 500)",
            "429: \"wait Retry-After\"; 500: backoff with jitter",
            emu,
            &recorder,
            client.results(&asset),
            |r, s, w| {
                r.is_ok()
                    && s == [429, 500, 200]
                    && w.first() == Some(&secs(10))
                    && within(&w[1..], &[(secs(1), secs(2))])
            },
        )
        .await,
    );
    emu.script(
        endpoint::RESULTS,
        (0..3).map(|_| MediaMagicError::RateLimited {
            retry_after: Some(secs(1)),
            body: None,
        }),
    );
    rows.push(
        row(
            "GET results (429 x3, Retry-After 1 s: then backs off)",
            "429: \"wait Retry-After, then back off\"",
            emu,
            &recorder,
            client.results(&asset),
            // Each wait is max(1 s, backoff step): 1 s, 1 to 2 s, then 2 to 4 s;
            // waiting the hint alone would come back after 1 s every time.
            |r, s, w| {
                r.is_ok()
                    && s == [429, 429, 429, 200]
                    && w.len() == 3
                    && hint_or_backoff(w[0], secs(1), (ms(500), secs(1)))
                    && hint_or_backoff(w[1], secs(1), (secs(1), secs(2)))
                    && hint_or_backoff(w[2], secs(1), (secs(2), secs(4)))
            },
        )
        .await,
    );
    emu.script(endpoint::RESULTS, [internal(), bad_gateway()]);
    rows.push(
        row(
            "GET results (500, 502)",
            "500, 502: \"exponential backoff with jitter\"",
            emu,
            &recorder,
            client.results(&asset),
            |r, s, w| {
                r.is_ok()
                    && s == [500, 502, 200]
                    && within(w, &[(ms(500), secs(1)), (secs(1), secs(2))])
            },
        )
        .await,
    );
    emu.script(endpoint::RESULTS, (0..4).map(|_| bad_gateway()));
    rows.push(
        row(
            "GET results (502 x4: gives up)",
            "502: backoff with jitter; ours: 3 retries, then give up",
            emu,
            &recorder,
            client.results(&asset),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::BadGateway { body })
                    if detail_is(body.as_ref(), "The result blob could not be loaded"))
                    && s == [502, 502, 502, 502]
                    && within(
                        w,
                        &[(ms(500), secs(1)), (secs(1), secs(2)), (secs(2), secs(4))],
                    )
            },
        )
        .await,
    );
    emu.script(
        endpoint::RESULTS,
        [MediaMagicError::Other {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: "upstream unavailable".into(),
        }],
    );
    rows.push(
        row(
            "GET results (503, undocumented: not retried)",
            "\"retry only 429, 500 and 502\"",
            emu,
            &recorder,
            client.results(&asset),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::Other { status, body })
                    if status.as_u16() == 503 && body == "upstream unavailable")
                    && s == [503]
                    && w.is_empty()
            },
        )
        .await,
    );
    let starter = MediaMagicClient::new(
        base.clone(),
        NO_API_PLAN_KEY,
        recorder.attach(documented_policy()),
    );
    rows.push(
        row(
            "POST /submissions (402)",
            "402: \"plan not allowed to use the API\"; never retried",
            emu,
            &recorder,
            starter.submit(&NewSubmission::new("https://media.example/a.mp4")),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::PlanNotAllowed { body })
                    if body.error_code == "plan_not_allowed" && body.bucket == "integrations_api")
                    && s == [402]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /submissions source_url \"\" (422)",
            "422: \"validation failed\"; never retried",
            emu,
            &recorder,
            client.submit(&NewSubmission::new("")),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::Validation { body })
                if body.error == "validation_error"
                    && body.fields == [FieldError {
                        field: "source_url".into(),
                        message: "is required".into(),
                    }])
                    && s == [422]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /submissions again (409)",
            "409: \"already submitted\"; never retried",
            emu,
            &recorder,
            client.submit(&first),
            |r, s, w| already_submitted(r) && s == [409] && w.is_empty(),
        )
        .await,
    );
    // The storage fails after the submission was stored: the page calls a
    // 500 safe to retry, so the client resends, and the resend is refused
    // as a duplicate. The caller learns that the media is submitted.
    api.script_after_applying(endpoint::SUBMIT, [internal()]);
    rows.push(
        row(
            "POST /submissions (500 after storing it; resent: 409)",
            "\"429, 500, and 502 are safe to retry\"; a duplicate: 409 \"Asset already submitted\"",
            emu,
            &recorder,
            client.submit(&NewSubmission::new("https://media.example/b.mp4")),
            |r, s, w| already_submitted(r) && s == [500, 409] && within(w, &[(ms(500), secs(1))]),
        )
        .await,
    );
    emu.script(endpoint::SUBMIT, [bad_gateway()]);
    rows.push(
        row(
            "POST /submissions (502 before storing it; resent)",
            "\"429, 500, and 502 are safe to retry with backoff\"",
            emu,
            &recorder,
            client.submit(&NewSubmission::new("https://media.example/e.mp4")),
            |r, s, w| {
                r.as_ref().is_ok_and(|sub| sub.status == "queued")
                    && s == [502, 201]
                    && within(w, &[(ms(500), secs(1))])
            },
        )
        .await,
    );
    emu.script(
        endpoint::SUBMIT,
        [MediaMagicError::RateLimited {
            retry_after: Some(secs(5)),
            body: None,
        }],
    );
    rows.push(
        row(
            "POST /submissions (429, Retry-After 5 s; resent)",
            "429: \"wait Retry-After, then back off\"",
            emu,
            &recorder,
            client.submit(&NewSubmission::new("https://media.example/c.mp4")),
            |r, s, w| {
                r.as_ref().is_ok_and(|sub| sub.status == "queued")
                    && s == [429, 201]
                    && w == [secs(5)]
            },
        )
        .await,
    );
    let sandbox_field = NewSubmission {
        simulation_delay_seconds: Some(30),
        ..NewSubmission::new("https://media.example/d.mp4")
    };
    rows.push(
        row(
            "POST /submissions simulationDelaySeconds, live key (400)",
            "400: \"a sandbox-only field sent with a live key\"",
            emu,
            &recorder,
            live.submit(&sandbox_field),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::BadRequest { body })
                    if body.detail.contains("simulationDelaySeconds"))
                    && s == [400]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /webhooks without a url (400)",
            "400: \"subscription without a delivery destination\"",
            emu,
            &recorder,
            client.subscribe(None),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::BadRequest { body })
                    if body.detail.contains("delivery destination"))
                    && s == [400]
                    && w.is_empty()
            },
        )
        .await,
    );
    for (who, key, detail) in [
        ("without X-API-Key", None, "Missing API key"),
        ("with an unknown key", Some("not-a-key"), "Invalid API key"),
        ("with an expired key", Some(EXPIRED_KEY), "API key expired"),
        ("with a revoked key", Some(REVOKED_KEY), "API key revoked"),
    ] {
        let caller = match key {
            Some(key) => {
                MediaMagicClient::new(base.clone(), key, recorder.attach(documented_policy()))
            }
            None => {
                MediaMagicClient::without_key(base.clone(), recorder.attach(documented_policy()))
            }
        };
        rows.push(
            row(
                &format!("GET results {who} (401)"),
                "401: \"missing/invalid/expired/revoked key\"; never retried",
                emu,
                &recorder,
                caller.results(&asset),
                |r, s, w| {
                    matches!(r, Err(MediaMagicError::Unauthorized { body }) if body.detail == detail)
                        && s == [401]
                        && w.is_empty()
                },
            )
            .await,
        );
    }
    rows.push(
        row(
            "POST /sandbox/assets/{id}/complete, live key (403)",
            "403: \"sandbox-only endpoint with a live key\"; never retried",
            emu,
            &recorder,
            live.complete_in_sandbox(&asset),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::Forbidden { body }) if body.detail.contains("sandbox key"))
                    && s == [403]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /uploads blob_path ../secrets (403)",
            "403: \"invalid blob path\"; never retried",
            emu,
            &recorder,
            client.upload("../secrets.mp4", "video/mp4", b"\0\0\0\x18ftypmp42"),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::Forbidden { body }) if body.detail == "Invalid blob path")
                    && s == [403]
                    && w.is_empty()
            },
        )
        .await,
    );
    let too_large = vec![0_u8; MAX_INLINE_BYTES + 1];
    rows.push(
        row(
            "POST /uploads over 1 MiB (413)",
            "413: \"upload too large: use the presigned upload URL\"",
            emu,
            &recorder,
            client.upload("uploads/big.mp4", "video/mp4", &too_large),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::PayloadTooLarge { body }) if body.detail.contains("presigned upload URL"))
                    && s == [413]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /uploads clip.mp4 as audio/mpeg (415)",
            "415: \"content type not allowed or not matching the file\"",
            emu,
            &recorder,
            client.upload("uploads/clip.mp4", "audio/mpeg", b"ID3"),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::UnsupportedMediaType { body }) if body.detail == "Content type does not match the file")
                    && s == [415]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /uploads uploads/clip.mp4",
            "201: \"direct upload\"",
            emu,
            &recorder,
            client.upload("uploads/clip.mp4", "video/mp4", b"\0\0\0\x18ftypmp42"),
            |r, s, w| r.as_ref().is_ok_and(|u| u.size == 12) && s == [201] && w.is_empty(),
        )
        .await,
    );
    rows.push(
        row(
            "submit (409), then results: stops",
            "409: never retried; the sequence stops",
            emu,
            &recorder,
            client.submit_and_fetch(&first),
            |r, s, w| already_submitted(r) && s == [409] && w.is_empty(),
        )
        .await,
    );
    api.set_processing(secs(60));
    rows.push(
        row(
            &format!("POST /assets/{asset}/retry"),
            "202: \"asset retry accepted\"",
            emu,
            &recorder,
            client.retry_asset(&asset),
            |r, s, w| r.is_ok() && s == [202] && w.is_empty(),
        )
        .await,
    );
    rows.push(
        row(
            &format!("POST /assets/{asset}/retry again (409)"),
            "409: \"retry already in progress\"; never retried",
            emu,
            &recorder,
            client.retry_asset(&asset),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::Conflict { body })
                    if body.detail == "A retry is already in progress")
                    && s == [409]
                    && w.is_empty()
            },
        )
        .await,
    );
    let archived = match client
        .submit(&NewSubmission::new("https://media.example/archive.mp4"))
        .await
    {
        Ok(submission) => submission.into_inner().asset_id,
        Err(error) => return Err(std::io::Error::other(error)),
    };
    api.make_not_retryable(&archived);
    rows.push(
        row(
            &format!("POST /assets/{archived}/retry (409)"),
            "409: \"not retryable\"; never retried",
            emu,
            &recorder,
            client.retry_asset(&archived),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::Conflict { body })
                    if body.detail == "Asset is not retryable")
                    && s == [409]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "GET results while processing (404)",
            "404: \"results requested before the asset finished\"",
            emu,
            &recorder,
            client.results(&asset),
            |r, s, w| {
                matches!(r, Err(MediaMagicError::NotFound { body })
                    if body.detail == "Results are not available until the asset has finished processing")
                    && s == [404]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "DELETE /webhooks/wh_1",
            "204: \"subscription deleted\"",
            emu,
            &recorder,
            client.delete_webhook("wh_1"),
            |r, s, w| r.is_ok() && s == [204] && w.is_empty(),
        )
        .await,
    );
    Ok(rows)
}
