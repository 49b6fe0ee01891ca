//! Omilia: typed errors, a client and an emulator.
//!
//! The documented rules this module encodes:
//! - any 2xx is success: 200 (a dialog read), 201 (a dialog created), 202
//!   (accepted for asynchronous processing: an export), 204 (deleted);
//! - 400 (a parameter is missing), 401 (no valid API key), 402 (the
//!   parameters were valid but the request failed), 403 (e.g. "No available
//!   licenses") and 404 are never retried: resending cannot change them;
//! - 409: the request conflicts with another one, e.g. one that used the
//!   same idempotency key. Never retried;
//! - 429 (too many requests) is retried with exponential backoff. The
//!   documentation asks for backoff, not for a server hint, so the wait never
//!   comes from a `Retry-After` header;
//! - a 4xx "failed given the information provided": never retried, except
//!   429, and that holds for a 4xx the page does not list (a 408 included):
//!   the catch-all variant never retries;
//! - 500, 502, 503, 504 are "server side" and "rare", and the page gives no
//!   retry rule for them. *Ours*: they back off exponentially, like a 429;
//!   a 5xx the page does not list is not retried;
//! - "Not all errors map cleanly onto HTTP response codes … refer to the
//!   list of codes": that list is the page's HTTP status table. The page
//!   documents no error code in the body, so no rule here depends on one:
//!   the status alone chooses the variant and its retry. *Ours*: the
//!   emulator's bodies, `{"code": "NO_LICENSES", "message": "No available
//!   licenses"}`; the client keeps such a body when it comes
//!   ([`ErrorBody`], [`OmiliaError::code`]) as an optional extra for
//!   people and logs, and decodes a response without one just the same;
//! - *ours*: the page says nothing on whether a failed request may have
//!   been applied, so the client assumes it may: a POST without an
//!   idempotency key (an export) is not resent after a 500, 502 or 504
//!   (only after a 429 or a 503, which reject a request before it is
//!   processed). Creating a dialog sends an `Idempotency-Key` chosen once
//!   per logical call (the page's 409 names "the same idempotency key"),
//!   which makes that POST safe to resend.
//!
//! What the key does not settle: a keyed create that gets a 5xx while its
//! first attempt is still running on the server (a gateway that timed out
//! with a 504 while the API goes on, say). The retry, sent under the same
//! key, finds that key still in flight and gets a 409
//! `IDEMPOTENCY_KEY_IN_USE`, which is never retried. The caller then sees a
//! conflict although the dialog may well be created a moment later. A
//! caller that must know resends later under the same key
//! ([`OmiliaClient::create_dialog_with_key`]): once the first attempt is
//! done, that answers 201 with the dialog it created, and never creates a
//! second one.
//!
//! Where the documentation is silent, this module chooses (and the emulator
//! enforces): the API key travels in an `X-API-Key` header, missing or wrong
//! being a 401; `app_id` is the one required parameter of a new dialog; a
//! key is optional on `POST /dialogs` (without one nothing is deduplicated);
//! a key whose request failed without creating anything (400, 403) is
//! released for reuse; the header's name (`Idempotency-Key`) and the keys'
//! format; the routes and bodies (`/dialogs`, `dlg-1`, an export's
//! `exp-1` and `pending`); the error bodies and their codes (see above);
//! and the policy backs off from 1 s, doubling, four retries, with equal
//! jitter (each wait between half and all of 1 s, 2 s, 4 s, 8 s).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use apifault::{ApiError, Jitter, RetryPolicy};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use crate::emulator::{Emulator, Gate, answer};

/// The header that carries the API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The header that makes `POST /dialogs` safe to resend.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// The key [`start`]'s emulator accepts.
pub const DEMO_API_KEY: &str = "omilia-demo-key";

/// The body the emulator's failures carry: an error code beyond the HTTP
/// status, and a message for people. *Ours*: the page documents no body,
/// and no rule of the client reads the code; it is kept for people and
/// logs, and a response without it decodes to the same variant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A machine-readable code, e.g. `NO_LICENSES`; not every failure has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub message: String,
}

impl ErrorBody {
    /// A body with a code.
    #[must_use]
    pub fn coded(code: &str, message: &str) -> Option<Self> {
        Some(ErrorBody {
            code: Some(code.to_owned()),
            message: message.to_owned(),
        })
    }
}

/// `": CODE: message"`, or nothing when the response had no body.
fn detail(body: &Option<ErrorBody>) -> String {
    match body {
        Some(ErrorBody {
            code: Some(code),
            message,
        }) => format!(": {code}: {message}"),
        Some(ErrorBody {
            code: None,
            message,
        }) if !message.is_empty() => format!(": {message}"),
        _ => String::new(),
    }
}

/// Every documented error of the Omilia API. The body of an error is kept
/// as an [`ErrorBody`] when it has that shape (`None` when it has no body
/// or another one: the status alone decides the variant).
///
/// Not `atomic`: a failed request may have been applied.
#[derive(Debug, thiserror::Error, ApiError, apifault::IntoResponse)]
pub enum OmiliaError {
    /// 400: a required parameter is missing.
    #[error("400 missing parameter{}", detail(body))]
    #[api(status = 400)]
    BadRequest {
        /// The code and message, where the server sent them.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 401: no valid API key.
    #[error("401 no valid API key{}", detail(body))]
    #[api(status = 401)]
    Unauthorized {
        /// The code and message, where the server sent them.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 402: the parameters were valid but the request failed.
    #[error("402 request failed{}", detail(body))]
    #[api(status = 402)]
    RequestFailed {
        /// The code and message, where the server sent them.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 403: e.g. "No available licenses".
    #[error("403 forbidden{}", detail(body))]
    #[api(status = 403)]
    Forbidden {
        /// The code and message, where the server sent them.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 404: no such resource.
    #[error("404 not found{}", detail(body))]
    #[api(status = 404)]
    NotFound {
        /// The code and message, where the server sent them.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 409: conflicts with another request, e.g. one holding the same
    /// idempotency key. Never retried: the other request is either
    /// different (a resend would conflict again) or still running (a resend
    /// would race it); the caller decides what to do.
    #[error("409 conflict{}", detail(body))]
    #[api(status = 409, retry = "never")]
    Conflict {
        /// The code and message, where the server sent them.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 429: too many requests. Exponential backoff, as documented, rather
    /// than the default of waiting for a server hint.
    #[error("429 too many requests{}", detail(body))]
    #[api(status = 429, retry = "backoff")]
    TooManyRequests {
        /// The code and message, where the server sent them.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 500, 502, 503, 504: server side, rare; exponential backoff.
    #[error("server error {status}{}", detail(body))]
    #[api(status = [500, 502, 503, 504], retry = "backoff")]
    Server {
        /// Which one.
        #[api(status)]
        status: StatusCode,
        /// The code and message, where the server sent them.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// Connection failures and timeouts.
    #[error(transparent)]
    #[api(transport)]
    Transport(#[from] reqwest::Error),
    /// Any status the documentation does not list: never retried. A 4xx
    /// "failed given the information provided" (a 408 included); an
    /// unlisted 5xx is not one of the page's "server side" errors.
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

impl OmiliaError {
    /// The error's body, for the documented statuses that carried one.
    #[must_use]
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            OmiliaError::BadRequest { body }
            | OmiliaError::Unauthorized { body }
            | OmiliaError::RequestFailed { body }
            | OmiliaError::Forbidden { body }
            | OmiliaError::NotFound { body }
            | OmiliaError::Conflict { body }
            | OmiliaError::TooManyRequests { body }
            | OmiliaError::Server { body, .. } => body.as_ref(),
            OmiliaError::Transport(_) | OmiliaError::Other { .. } => None,
        }
    }

    /// The error code in the body (`NO_LICENSES`, …), where there is one:
    /// the emulator's, not the page's (*ours*); no rule depends on it.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        self.body()?.code.as_deref()
    }

    /// A 5xx of the documented ones, with no body.
    ///
    /// # Panics
    ///
    /// When `status` is not a valid HTTP status code.
    #[must_use]
    pub fn server(status: u16) -> Self {
        OmiliaError::Server {
            status: StatusCode::from_u16(status).expect("an HTTP status"),
            body: None,
        }
    }
}

/// A dialog: one conversation with an Omilia application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dialog {
    /// Its id, e.g. `dlg-1`.
    pub id: String,
    /// The application that runs it.
    pub app_id: String,
    /// Its language, when one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// What `POST /dialogs` sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDialog {
    /// The application to run: required (blank counts as missing).
    pub app_id: String,
    /// The language, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl NewDialog {
    /// A new dialog of `app_id`, in no particular language.
    #[must_use]
    pub fn of(app_id: &str) -> Self {
        NewDialog {
            app_id: app_id.to_owned(),
            language: None,
        }
    }
}

/// An export of a dialog, accepted (202) and produced later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// Its id, e.g. `exp-1`.
    pub id: String,
    /// The dialog exported.
    pub dialog_id: String,
    /// `pending` when accepted.
    pub status: String,
}

/// The retry policy the documentation asks for: exponential backoff (1 s,
/// 2 s, 4 s, 8 s: four retries) with equal jitter, so that each wait is
/// between half and all of its step, for 429 and the server errors alike.
#[must_use]
pub fn documented_policy() -> RetryPolicy {
    RetryPolicy::exponential(Duration::from_secs(1))
        .factor(2.0)
        .jitter(Jitter::Equal)
        .max_retries(4)
        .max_delay(Duration::from_secs(30))
        .max_elapsed(Duration::from_secs(60))
}

/// A client of the Omilia API.
#[derive(Clone, Debug)]
pub struct OmiliaClient {
    http: reqwest::Client,
    base: String,
    api_key: String,
    policy: RetryPolicy,
}

impl OmiliaClient {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8080`),
    /// authenticating with `api_key`.
    #[must_use]
    pub fn new(base: impl Into<String>, api_key: impl Into<String>, policy: RetryPolicy) -> Self {
        OmiliaClient {
            http: reqwest::Client::new(),
            base: base.into(),
            api_key: api_key.into(),
            policy,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header(API_KEY_HEADER, &self.api_key)
    }

    /// `POST /dialogs` (201), under a key chosen for this call
    /// ([`apifault::IdempotencyKey`]): every retry of it sends the same
    /// key, which makes it safe to resend (see below), and the next call
    /// another.
    #[apifault::retry(policy = &self.policy, idempotency_key = key)]
    pub async fn create_dialog(&self, new: &NewDialog) -> Result<Dialog, OmiliaError> {
        self.post_dialog(new, key.as_str()).await
    }

    /// `POST /dialogs` (201) under the caller's idempotency `key`, for a
    /// caller that must resend one logical call across restarts.
    //
    // The API is not atomic, yet this POST is `idempotent = true`: the
    // server applies a key once, and a resend with the same key and body
    // gets the stored dialog back (201 again) instead of a second dialog,
    // even after a 500 that had created it. So a 5xx is retried here. A 409
    // means that another request holds the key (with another body, or still
    // in flight): waiting does not resolve it, so it is never retried.
    #[apifault::retry(policy = &self.policy, idempotent = true)]
    pub async fn create_dialog_with_key(
        &self,
        new: &NewDialog,
        key: &str,
    ) -> Result<Dialog, OmiliaError> {
        self.post_dialog(new, key).await
    }

    /// One `POST /dialogs` under `key`.
    async fn post_dialog(&self, new: &NewDialog, key: &str) -> Result<Dialog, OmiliaError> {
        let response = self
            .request(reqwest::Method::POST, "/dialogs")
            .header(IDEMPOTENCY_KEY_HEADER, key)
            .json(new)
            .send()
            .await?;
        apifault::reqwest::json(response).await
    }

    /// `GET /dialogs/{id}` (200).
    #[apifault::retry(policy = &self.policy)]
    pub async fn get_dialog(&self, id: &str) -> Result<Dialog, OmiliaError> {
        let response = self
            .request(reqwest::Method::GET, &format!("/dialogs/{id}"))
            .send()
            .await?;
        apifault::reqwest::json(response).await
    }

    /// `POST /dialogs/{id}/export` (202, processed later). No idempotency
    /// key: after a 500, 502 or 504 the export may have started, so it is
    /// not resent; 429 and 503 (nothing was processed) are.
    #[apifault::retry(policy = &self.policy, idempotent = false)]
    pub async fn export_dialog(&self, id: &str) -> Result<Export, OmiliaError> {
        let response = self
            .request(reqwest::Method::POST, &format!("/dialogs/{id}/export"))
            .send()
            .await?;
        apifault::reqwest::json(response).await
    }

    /// `DELETE /dialogs/{id}` (204). Idempotent as any DELETE: a resend
    /// after a deletion that did happen answers 404, never a second effect.
    #[apifault::retry(policy = &self.policy, idempotent = true)]
    pub async fn delete_dialog(&self, id: &str) -> Result<(), OmiliaError> {
        let response = self
            .request(reqwest::Method::DELETE, &format!("/dialogs/{id}"))
            .send()
            .await?;
        apifault::reqwest::no_content(response).await
    }

    /// A sequence of dependent calls: create a dialog, export it, delete
    /// it. The first error (after its retries) stops the sequence.
    pub async fn export_and_delete(&self, new: &NewDialog) -> Result<Export, OmiliaError> {
        let dialog = self.create_dialog(new).await?;
        let export = self.export_dialog(&dialog.id).await?;
        self.delete_dialog(&dialog.id).await?;
        Ok(export)
    }
}

/// What the emulator remembers of an idempotency key.
#[derive(Debug)]
enum KeyState {
    /// The first request with this key is being processed.
    InFlight,
    /// It created this dialog.
    Done(Dialog),
}

/// What a keyed create may do.
enum Claim {
    /// The key is new (now in flight): go on.
    Fresh,
    /// Same key, same body, done: answer the stored dialog.
    Replay(Dialog),
    /// Another request holds the key.
    Conflict(OmiliaError),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The emulator's state: scripted faults, dialogs, exports, idempotency
/// keys and licenses.
#[derive(Debug)]
pub struct OmiliaEmulator {
    /// Scripts and the request log.
    pub emulator: Emulator<OmiliaError>,
    api_key: String,
    dialogs: Mutex<HashMap<String, Dialog>>,
    exports: Mutex<Vec<Export>>,
    keys: Mutex<HashMap<String, (Value, KeyState)>>,
    licenses: Mutex<Option<usize>>,
    after_creating: Mutex<VecDeque<OmiliaError>>,
    before_creating: Mutex<VecDeque<OmiliaError>>,
    hold: watch::Sender<bool>,
    held: watch::Sender<usize>,
    background: watch::Sender<usize>,
    next_id: AtomicU64,
}

impl OmiliaEmulator {
    /// A new emulator, with no dialogs, accepting [`DEMO_API_KEY`].
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(OmiliaEmulator {
            emulator: Emulator::default(),
            api_key: DEMO_API_KEY.to_owned(),
            dialogs: Mutex::default(),
            exports: Mutex::default(),
            keys: Mutex::default(),
            licenses: Mutex::default(),
            after_creating: Mutex::default(),
            before_creating: Mutex::default(),
            hold: watch::Sender::new(false),
            held: watch::Sender::new(0),
            background: watch::Sender::new(0),
            next_id: AtomicU64::new(1),
        })
    }

    /// At most `licenses` dialogs at once; one more is a 403 `NO_LICENSES`.
    pub fn limit_licenses(&self, licenses: usize) {
        *lock(&self.licenses) = Some(licenses);
    }

    /// The next dialogs created are stored, and then their requests answer
    /// `errors`, in order: the failure of a non-atomic API that applied
    /// the request anyway.
    pub fn fail_after_creating(&self, errors: impl IntoIterator<Item = OmiliaError>) {
        lock(&self.after_creating).extend(errors);
    }

    /// The next creations answer `errors` at once, in order, and go on in
    /// the background (their key claimed, held like any other creation by
    /// [`hold_creations`](Self::hold_creations)): a gateway that gave up
    /// (a 504) while the API still works on the request.
    pub fn fail_before_creating(&self, errors: impl IntoIterator<Item = OmiliaError>) {
        lock(&self.before_creating).extend(errors);
    }

    /// Resolves once no creation goes on in the background (see
    /// [`fail_before_creating`](Self::fail_before_creating)).
    pub async fn background_done(&self) {
        let _ = self.background.subscribe().wait_for(|n| *n == 0).await;
    }

    /// Holds every new creation in flight (its key claimed, nothing
    /// created) until [`release_creations`](Self::release_creations).
    pub fn hold_creations(&self) {
        self.hold.send_replace(true);
    }

    /// Lets held creations go on.
    pub fn release_creations(&self) {
        self.hold.send_replace(false);
    }

    /// Resolves once a creation is held in flight, its key claimed.
    pub async fn creation_in_flight(&self) {
        let _ = self.held.subscribe().wait_for(|held| *held > 0).await;
    }

    /// The dialogs that exist, by id.
    pub fn dialogs(&self) -> Vec<Dialog> {
        let mut dialogs: Vec<Dialog> = lock(&self.dialogs).values().cloned().collect();
        dialogs.sort_by(|a, b| a.id.cmp(&b.id));
        dialogs
    }

    /// The exports accepted, in order.
    pub fn exports(&self) -> Vec<Export> {
        lock(&self.exports).clone()
    }

    /// 401 without the right `X-API-Key`, then the gate every emulator
    /// shares (a maintenance window and a quota, which Omilia does not
    /// document and this emulator never sets unless a test does, then the
    /// scripted fault, if any): the response to serve instead of doing the
    /// work.
    fn admit(&self, endpoint: &str, headers: &HeaderMap) -> Option<Response> {
        let authorized = headers
            .get(API_KEY_HEADER)
            .is_some_and(|key| key.as_bytes() == self.api_key.as_bytes());
        if !authorized {
            let body = ErrorBody::coded("UNAUTHORIZED", "No valid API key provided");
            return Some(self.fail(endpoint, OmiliaError::Unauthorized { body }));
        }
        let gate = self.emulator.gate(
            endpoint,
            || OmiliaError::Server {
                status: StatusCode::SERVICE_UNAVAILABLE,
                body: ErrorBody::coded("MAINTENANCE", "Down for maintenance"),
            },
            // Omilia documents no rate-limit headers: the 429 states none.
            |_| OmiliaError::TooManyRequests {
                body: ErrorBody::coded("TOO_MANY_REQUESTS", "Too many requests"),
            },
        );
        match gate {
            Gate::Pass(_) => None,
            Gate::Fail(error) => Some(self.fail(endpoint, error)),
        }
    }

    fn fail(&self, endpoint: &str, error: OmiliaError) -> Response {
        answer(&self.emulator, endpoint, error)
    }

    fn success(&self, endpoint: &str, response: impl IntoResponse) -> Response {
        answer(&self.emulator, endpoint, response)
    }

    fn fresh_id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.next_id.fetch_add(1, Ordering::SeqCst))
    }

    fn claim(&self, key: &str, request: &Value) -> Claim {
        let mut keys = lock(&self.keys);
        match keys.get(key) {
            None => {
                keys.insert(key.to_owned(), (request.clone(), KeyState::InFlight));
                Claim::Fresh
            }
            Some((_, KeyState::InFlight)) => Claim::Conflict(OmiliaError::Conflict {
                body: ErrorBody::coded(
                    "IDEMPOTENCY_KEY_IN_USE",
                    "The request holding this key is still in flight",
                ),
            }),
            Some((first, KeyState::Done(dialog))) if first == request => {
                Claim::Replay(dialog.clone())
            }
            Some((_, KeyState::Done(_))) => Claim::Conflict(OmiliaError::Conflict {
                body: ErrorBody::coded(
                    "IDEMPOTENCY_KEY_REUSED",
                    "This key was used with other parameters",
                ),
            }),
        }
    }

    fn settle(&self, key: &str, request: &Value, dialog: Option<&Dialog>) {
        let mut keys = lock(&self.keys);
        match dialog {
            Some(dialog) => {
                let done = KeyState::Done(dialog.clone());
                keys.insert(key.to_owned(), (request.clone(), done));
            }
            None => {
                keys.remove(key);
            }
        }
    }

    /// The work of a creation whose key (if any) is claimed: waits while
    /// creations are held, creates, and settles the key.
    async fn create_claimed(
        &self,
        key: Option<&str>,
        request: &Value,
        app_id: String,
        language: Option<String>,
    ) -> Result<Dialog, OmiliaError> {
        if key.is_some() {
            let mut hold = self.hold.subscribe();
            if *hold.borrow_and_update() {
                self.held.send_modify(|held| *held += 1);
                let _ = hold.wait_for(|hold| !hold).await;
                self.held.send_modify(|held| *held -= 1);
            }
        }
        let created = self.create(app_id, language);
        if let Some(key) = key {
            self.settle(key, request, created.as_ref().ok());
        }
        created
    }

    /// Creates a dialog, if a license is free.
    fn create(&self, app_id: String, language: Option<String>) -> Result<Dialog, OmiliaError> {
        let mut dialogs = lock(&self.dialogs);
        if lock(&self.licenses).is_some_and(|licenses| dialogs.len() >= licenses) {
            return Err(OmiliaError::Forbidden {
                body: ErrorBody::coded("NO_LICENSES", "No available licenses"),
            });
        }
        let dialog = Dialog {
            id: self.fresh_id("dlg"),
            app_id,
            language,
        };
        dialogs.insert(dialog.id.clone(), dialog.clone());
        Ok(dialog)
    }

    fn not_found(id: &str) -> OmiliaError {
        OmiliaError::NotFound {
            body: ErrorBody::coded("DIALOG_NOT_FOUND", &format!("No dialog {id}")),
        }
    }
}

type Shared = State<Arc<OmiliaEmulator>>;

async fn create_dialog(State(api): Shared, headers: HeaderMap, body: String) -> Response {
    const ENDPOINT: &str = "POST /dialogs";
    if let Some(refused) = api.admit(ENDPOINT, &headers) {
        return refused;
    }
    // A body that is not JSON lacks `app_id` as surely as `{}` does.
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let text = |name: &str| {
        request
            .get(name)
            .and_then(Value::as_str)
            .filter(|value| !value.trim().is_empty())
            .map(str::to_owned)
    };
    let Some(app_id) = text("app_id") else {
        let body = ErrorBody::coded("MISSING_PARAMETER", "Missing parameter: app_id");
        return api.fail(ENDPOINT, OmiliaError::BadRequest { body });
    };
    let language = text("language");
    let key = headers
        .get(IDEMPOTENCY_KEY_HEADER)
        .and_then(|key| key.to_str().ok())
        .map(str::to_owned);
    if let Some(key) = &key {
        match api.claim(key, &request) {
            Claim::Fresh => {}
            Claim::Replay(dialog) => {
                return api.success(ENDPOINT, (StatusCode::CREATED, axum::Json(dialog)));
            }
            Claim::Conflict(error) => return api.fail(ENDPOINT, error),
        }
    }
    let early = lock(&api.before_creating).pop_front();
    if let Some(error) = early {
        // Answered now; the creation goes on regardless.
        api.background.send_modify(|n| *n += 1);
        let worker = Arc::clone(&api);
        tokio::spawn(async move {
            let _ = worker
                .create_claimed(key.as_deref(), &request, app_id, language)
                .await;
            worker.background.send_modify(|n| *n -= 1);
        });
        return api.fail(ENDPOINT, error);
    }
    let created = api
        .create_claimed(key.as_deref(), &request, app_id, language)
        .await;
    match created {
        Ok(dialog) => match lock(&api.after_creating).pop_front() {
            Some(error) => api.fail(ENDPOINT, error),
            None => api.success(ENDPOINT, (StatusCode::CREATED, axum::Json(dialog))),
        },
        Err(error) => api.fail(ENDPOINT, error),
    }
}

async fn get_dialog(State(api): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    const ENDPOINT: &str = "GET /dialogs/{id}";
    if let Some(refused) = api.admit(ENDPOINT, &headers) {
        return refused;
    }
    let dialog = lock(&api.dialogs).get(&id).cloned();
    match dialog {
        Some(dialog) => api.success(ENDPOINT, axum::Json(dialog)),
        None => api.fail(ENDPOINT, OmiliaEmulator::not_found(&id)),
    }
}

async fn export_dialog(State(api): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    const ENDPOINT: &str = "POST /dialogs/{id}/export";
    if let Some(refused) = api.admit(ENDPOINT, &headers) {
        return refused;
    }
    if !lock(&api.dialogs).contains_key(&id) {
        return api.fail(ENDPOINT, OmiliaEmulator::not_found(&id));
    }
    let export = Export {
        id: api.fresh_id("exp"),
        dialog_id: id,
        status: "pending".into(),
    };
    lock(&api.exports).push(export.clone());
    api.success(ENDPOINT, (StatusCode::ACCEPTED, axum::Json(export)))
}

async fn delete_dialog(State(api): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    const ENDPOINT: &str = "DELETE /dialogs/{id}";
    if let Some(refused) = api.admit(ENDPOINT, &headers) {
        return refused;
    }
    let removed = lock(&api.dialogs).remove(&id);
    match removed {
        Some(_) => api.success(ENDPOINT, StatusCode::NO_CONTENT),
        None => api.fail(ENDPOINT, OmiliaEmulator::not_found(&id)),
    }
}

/// The emulator's routes, over `state`. Its endpoints, as scripts name
/// them: `POST /dialogs`, `GET /dialogs/{id}`, `POST /dialogs/{id}/export`,
/// `DELETE /dialogs/{id}`. A scripted fault is served after the API key
/// is checked and before anything is done.
pub fn router(state: Arc<OmiliaEmulator>) -> axum::Router {
    axum::Router::new()
        .route("/dialogs", post(create_dialog))
        .route("/dialogs/{id}", get(get_dialog).delete(delete_dialog))
        .route("/dialogs/{id}/export", post(export_dialog))
        .with_state(state)
}

/// Starts an emulator on a loopback port: its address and its state.
pub async fn start() -> std::io::Result<(String, Arc<OmiliaEmulator>)> {
    let state = OmiliaEmulator::new();
    // Ours: the page names no request id header; the emulator sends the
    // common `X-Request-Id` for support, as most APIs do.
    state.emulator.send_request_ids("om");
    let addr = crate::emulator::serve(router(Arc::clone(&state))).await?;
    Ok((format!("http://{addr}"), state))
}

/// Whether `waits` are the documented backoff: the n-th between half and
/// all of 1 s · 2ⁿ⁻¹ (equal jitter).
fn is_documented_backoff(waits: &[Duration]) -> bool {
    waits.iter().enumerate().all(|(n, wait)| {
        let step = Duration::from_secs(1 << n);
        step / 2 <= *wait && *wait <= step
    })
}

/// The scripted scenario the tour runs: each documented rule once, retried
/// (or not) and waited as the documentation says.
pub async fn scenarios() -> std::io::Result<Vec<crate::tour::Row>> {
    use crate::tour::{Recorder, row};

    let (base, api) = start().await?;
    let recorder = Recorder::default();
    let client = OmiliaClient::new(
        base.clone(),
        DEMO_API_KEY,
        recorder.attach(documented_policy()),
    );
    let emu = &api.emulator;
    let mut rows = Vec::new();

    let new = NewDialog::of("banking-ivr");
    rows.push(
        row(
            "POST /dialogs (key k1)",
            "201; ours: an Idempotency-Key",
            emu,
            &recorder,
            client.create_dialog_with_key(&new, "k1"),
            |r, s, _| r.is_ok() && s == [201],
        )
        .await,
    );
    let first = api
        .dialogs()
        .first()
        .map(|d| d.id.clone())
        .unwrap_or_default();
    rows.push(
        row(
            "POST /dialogs (k1 again, same body)",
            "ours: the same key and body answer the stored dialog",
            emu,
            &recorder,
            client.create_dialog_with_key(&new, "k1"),
            |r, s, _| r.as_ref().is_ok_and(|d| d.id == first) && s == [201],
        )
        .await,
    );
    let other = NewDialog::of("claims-bot");
    rows.push(
        row(
            "POST /dialogs (k1, other body: 409)",
            "409: \"conflicts with another request\"; never retried",
            emu,
            &recorder,
            client.create_dialog_with_key(&other, "k1"),
            |r, s, w| matches!(r, Err(OmiliaError::Conflict { .. })) && s == [409] && w.is_empty(),
        )
        .await,
    );
    let racing = async {
        api.hold_creations();
        let owner = tokio::spawn({
            let (client, other) = (client.clone(), other.clone());
            async move { client.create_dialog_with_key(&other, "k2").await }
        });
        api.creation_in_flight().await;
        let second = client.create_dialog_with_key(&other, "k2").await;
        api.release_creations();
        let _ = owner.await;
        second
    };
    rows.push(
        row(
            "POST /dialogs (k2 while in flight: 409)",
            "409: \"conflicts with another request\"; never retried",
            emu,
            &recorder,
            racing,
            |r, s, w| {
                matches!(r, Err(OmiliaError::Conflict { .. })) && s == [409, 201] && w.is_empty()
            },
        )
        .await,
    );
    api.fail_after_creating([OmiliaError::server(500)]);
    let before = api.dialogs().len();
    let third = NewDialog::of("billing");
    rows.push(
        row(
            "POST /dialogs (500 after creating; keyed: resent)",
            "500 \"server side\": ours: back off; the key makes it safe",
            emu,
            &recorder,
            client.create_dialog(&third),
            |r, s, w| {
                r.is_ok()
                    && s == [500, 201]
                    && w.len() == 1
                    && is_documented_backoff(w)
                    && api.dialogs().len() == before + 1
            },
        )
        .await,
    );
    // The gateway gives up (504) while the creation still runs: the retry
    // finds the key in flight, a 409 that is never retried, and the dialog
    // is created all the same.
    api.hold_creations();
    api.fail_before_creating([OmiliaError::Server {
        status: StatusCode::GATEWAY_TIMEOUT,
        body: ErrorBody::coded("GATEWAY_TIMEOUT", "The upstream timed out"),
    }]);
    let before = api.dialogs().len();
    let fourth = NewDialog::of("collections");
    let timed_out = async {
        let result = client.create_dialog_with_key(&fourth, "k3").await;
        api.release_creations();
        api.background_done().await;
        result
    };
    rows.push(
        row(
            "POST /dialogs (k3: 504 while creating, then 409)",
            "409 never retried; ours: 5xx back off",
            emu,
            &recorder,
            timed_out,
            |r, s, w| {
                matches!(r, Err(OmiliaError::Conflict { .. }))
                    && s == [504, 409]
                    && w.len() == 1
                    && is_documented_backoff(w)
                    && api.dialogs().len() == before + 1
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /dialogs (no app_id: 400)",
            "400 \"missing parameter\"; a 4xx is never retried",
            emu,
            &recorder,
            client.create_dialog(&NewDialog::of("")),
            |r, s, _| matches!(r, Err(OmiliaError::BadRequest { .. })) && s == [400],
        )
        .await,
    );
    api.limit_licenses(api.dialogs().len());
    rows.push(
        row(
            "POST /dialogs (no licenses: 403)",
            "403 e.g. \"No available licenses\"; never retried",
            emu,
            &recorder,
            client.create_dialog(&NewDialog::of("survey")),
            |r, s, _| matches!(r, Err(OmiliaError::Forbidden { .. })) && s == [403],
        )
        .await,
    );
    let path = format!("/dialogs/{first}");
    rows.push(
        row(
            &format!("GET {path}"),
            "200",
            emu,
            &recorder,
            client.get_dialog(&first),
            |r, s, _| r.as_ref().is_ok_and(|d| d.app_id == "banking-ivr") && s == [200],
        )
        .await,
    );
    let stranger = OmiliaClient::new(base, "wrong-key", recorder.attach(documented_policy()));
    rows.push(
        row(
            &format!("GET {path} (wrong key: 401)"),
            "401 \"no valid API key\"; never retried",
            emu,
            &recorder,
            stranger.get_dialog(&first),
            |r, s, _| matches!(r, Err(OmiliaError::Unauthorized { .. })) && s == [401],
        )
        .await,
    );
    rows.push(
        row(
            "GET /dialogs/dlg-404 (404)",
            "404; a 4xx is never retried",
            emu,
            &recorder,
            client.get_dialog("dlg-404"),
            |r, s, _| matches!(r, Err(OmiliaError::NotFound { .. })) && s == [404],
        )
        .await,
    );
    let too_many = || OmiliaError::TooManyRequests {
        body: ErrorBody::coded("TOO_MANY_REQUESTS", "Too many requests"),
    };
    emu.script("GET /dialogs/{id}", [too_many(), too_many()]);
    rows.push(
        row(
            &format!("GET {path} (429, 429: backoff)"),
            "429 \"too many requests: exponential backoff\"",
            emu,
            &recorder,
            client.get_dialog(&first),
            |r, s, w| r.is_ok() && s == [429, 429, 200] && w.len() == 2 && is_documented_backoff(w),
        )
        .await,
    );
    emu.script(
        "GET /dialogs/{id}",
        [500, 502, 503, 504].map(OmiliaError::server),
    );
    rows.push(
        row(
            &format!("GET {path} (500, 502, 503, 504)"),
            "5xx \"server side, rare\"; ours: back off",
            emu,
            &recorder,
            client.get_dialog(&first),
            |r, s, w| {
                r.is_ok()
                    && s == [500, 502, 503, 504, 200]
                    && w.len() == 4
                    && is_documented_backoff(w)
            },
        )
        .await,
    );
    let unavailable = || OmiliaError::Server {
        status: StatusCode::SERVICE_UNAVAILABLE,
        body: ErrorBody::coded("SERVICE_UNAVAILABLE", "Try again later"),
    };
    emu.script("GET /dialogs/{id}", (0..5).map(|_| unavailable()));
    rows.push(
        row(
            &format!("GET {path} (503 x5: gives up)"),
            "ours: 5xx back off, four retries, then give up",
            emu,
            &recorder,
            client.get_dialog(&first),
            |r, s, w| {
                matches!(r, Err(OmiliaError::Server { status, .. }) if *status == 503)
                    && s == [503; 5]
                    && w.len() == 4
                    && is_documented_backoff(w)
            },
        )
        .await,
    );
    rows.push(
        row(
            &format!("POST {path}/export (202)"),
            "202 \"accepted for asynchronous processing\"",
            emu,
            &recorder,
            client.export_dialog(&first),
            |r, s, _| r.as_ref().is_ok_and(|e| e.status == "pending") && s == [202],
        )
        .await,
    );
    emu.script(
        "POST /dialogs/{id}/export",
        [OmiliaError::Server {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: ErrorBody::coded("INTERNAL_ERROR", "The export may have started"),
        }],
    );
    rows.push(
        row(
            &format!("POST {path}/export (500; not atomic: not resent)"),
            "ours: a POST that may have started is not resent",
            emu,
            &recorder,
            client.export_dialog(&first),
            |r, s, w| {
                matches!(r, Err(OmiliaError::Server { status, .. }) if *status == 500)
                    && s == [500]
                    && w.is_empty()
            },
        )
        .await,
    );
    emu.script(
        "POST /dialogs/{id}/export",
        [OmiliaError::RequestFailed {
            body: ErrorBody::coded("EXPORT_FAILED", "The export could not be started"),
        }],
    );
    rows.push(
        row(
            &format!("POST {path}/export (402)"),
            "402 \"parameters valid but the request failed\"",
            emu,
            &recorder,
            client.export_dialog(&first),
            |r, s, _| matches!(r, Err(OmiliaError::RequestFailed { .. })) && s == [402],
        )
        .await,
    );
    rows.push(
        row(
            &format!("DELETE {path} (204)"),
            "204",
            emu,
            &recorder,
            client.delete_dialog(&first),
            |r, s, _| r.is_ok() && s == [204],
        )
        .await,
    );
    emu.script(
        "POST /dialogs/{id}/export",
        [OmiliaError::RequestFailed {
            body: ErrorBody::coded("EXPORT_FAILED", "The export could not be started"),
        }],
    );
    rows.push(
        row(
            "create, export (402), delete",
            "402: never retried; the sequence stops",
            emu,
            &recorder,
            client.export_and_delete(&NewDialog::of("survey")),
            |r, s, _| matches!(r, Err(OmiliaError::RequestFailed { .. })) && s == [201, 402],
        )
        .await,
    );
    // A port reserved but never listening: the connection is refused
    // before anything is sent, which is safe to resend even for the export.
    let (closed, _reserved) = crate::emulator::refused_addr()?;
    let offline = OmiliaClient::new(
        format!("http://{closed}"),
        DEMO_API_KEY,
        recorder.attach(documented_policy()),
    );
    rows.push(
        row(
            "POST /dialogs/dlg-1/export (connection refused)",
            "ours: a connection refused sent nothing: back off",
            emu,
            &recorder,
            offline.export_dialog("dlg-1"),
            |r, s, w| {
                matches!(r, Err(OmiliaError::Transport(_)))
                    && s.is_empty()
                    && w.len() == 4
                    && is_documented_backoff(w)
            },
        )
        .await,
    );
    Ok(rows)
}
