//! Lightcast (skills taxonomy and extraction): typed errors, a client and an
//! emulator.
//!
//! The documented rules this module encodes:
//! - success is 200 (the client takes any 2xx as success all the same);
//! - client errors are 400, 401, 404, 413, 415, 422 and 429; server errors
//!   are 500, 502 (the upstream gave a bad answer; usually temporary), 503
//!   (maintenance or load) and 504 (the upstream timed out);
//! - the 5xx family is retried later, with exponential backoff: the four
//!   documented ones, and any other 5xx (501, 505, 507, …) as well, since
//!   the rule names the family, not a list;
//! - 429 "see their rate limit documentation", which is not in the seeds:
//!   waiting for the limit is *our reading*. The wait is read from
//!   `Retry-After`, falling back to `RateLimit-Reset` (both headers are
//!   ours too), and waited out exactly, up to a cap;
//! - every other 4xx means the request must be fixed: never retried, the
//!   undocumented ones (408, 418, …) included.
//!
//! The emulator checks the access token first: a request without a valid
//! one gets its 401 before anything else, so it neither uses the quota nor
//! meets a scripted fault or the maintenance window. Every request the
//! quota counted carries the `RateLimit-*` headers, failures included, so
//! that a [`Throttle`] sees each one spent.
//!
//! *Ours*, where the page is silent: the access token and how it travels,
//! the routes and their bodies (`/status`, `/skills/{id}` with `KS…` ids,
//! `/skills/extract`), the 16 KiB limit behind the 413, the emulator's
//! `RateLimit-*` headers, and the backoff's numbers (four retries).
//!
//! The documentation fixes no error body. The JSON:API-like shape used here
//! (`{"errors": [{"status": 400, "title": "…", "detail": "…"}]}`) is the
//! emulator's; the client decodes it where it can and keeps the status's
//! meaning where it cannot (the body fields are `Option`s).
//!
//! What does not live here: the emulator machinery every API shares
//! ([`crate::emulator`]) and the table the tour prints ([`crate::tour`]).

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use apifault::{ApiError, Jitter, RateLimit, RetryPolicy, Success, Throttle};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::emulator::{Emulator, Gate, answer, insert_rate_limit};

/// One problem in an error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// The HTTP status, repeated.
    pub status: u16,
    /// A short summary, the same for every occurrence of the problem.
    pub title: String,
    /// What went wrong with this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An error body, as the emulator writes it (JSON:API-like; the
/// documentation does not fix a shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// One entry per problem.
    pub errors: Vec<ErrorObject>,
}

impl ErrorBody {
    /// A body with one problem.
    #[must_use]
    pub fn one(status: u16, title: impl Into<String>, detail: impl Into<String>) -> Self {
        ErrorBody {
            errors: vec![ErrorObject {
                status,
                title: title.into(),
                detail: Some(detail.into()),
            }],
        }
    }

    /// The status of the first problem, if any.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        self.errors.first().map(|e| e.status)
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for error in &self.errors {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            // The title repeats the status the message already names.
            f.write_str(error.detail.as_deref().unwrap_or(&error.title))?;
        }
        Ok(())
    }
}

/// The body of an error as one line, for `Display`.
fn detail(body: &Option<ErrorBody>) -> String {
    body.as_ref()
        .map_or_else(|| "no details".to_owned(), ToString::to_string)
}

/// Every documented error of the Lightcast API.
#[derive(Debug, thiserror::Error, ApiError, apifault::IntoResponse)]
#[api(retry_after = ["Retry-After", "RateLimit-Reset"])]
pub enum LightcastError {
    /// 400: the request is malformed (bad JSON, a malformed skill id).
    #[error("bad request: {}", detail(body))]
    #[api(status = 400)]
    BadRequest {
        /// What was wrong.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 401: no valid access token.
    #[error("unauthorized: {}", detail(body))]
    #[api(status = 401)]
    Unauthorized {
        /// What was wrong.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 404: no such resource.
    #[error("not found: {}", detail(body))]
    #[api(status = 404)]
    NotFound {
        /// What was not found.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 413: the request body is too large.
    #[error("payload too large: {}", detail(body))]
    #[api(status = 413)]
    PayloadTooLarge {
        /// The limit, in words.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 415: the request body is not in a supported format (JSON).
    #[error("unsupported media type: {}", detail(body))]
    #[api(status = 415)]
    UnsupportedMediaType {
        /// What was sent.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 422: well-formed but semantically invalid (e.g. an empty text).
    #[error("unprocessable: {}", detail(body))]
    #[api(status = 422)]
    Unprocessable {
        /// What failed validation.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 429: over the rate limit; retried once the limit allows.
    #[error("rate limited for {wait:?}")]
    #[api(status = 429)]
    RateLimited {
        /// `Retry-After`, else `RateLimit-Reset`.
        #[api(retry_after)]
        wait: Option<Duration>,
        /// `RateLimit-Limit`, `-Remaining`, `-Reset`.
        #[api(rate_limit)]
        rate_limit: Option<RateLimit>,
        /// The explanation.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 500: an internal error; backs off.
    #[error("internal server error: {}", detail(body))]
    #[api(status = 500)]
    Internal {
        /// The explanation.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 502: an upstream service gave a bad answer; usually temporary, backs
    /// off.
    #[error("bad gateway: {}", detail(body))]
    #[api(status = 502)]
    BadGateway {
        /// The explanation.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 503: maintenance or load; backs off (any hint is not a promise).
    #[error("service unavailable: {}", detail(body))]
    #[api(status = 503, retry = "backoff")]
    Unavailable {
        /// The explanation.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// 504: an upstream service timed out; backs off.
    #[error("gateway timeout: {}", detail(body))]
    #[api(status = 504)]
    GatewayTimeout {
        /// The explanation.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// Any other 5xx (501, 505, 507, …): of the family the documentation
    /// retries later, so it backs off like the documented ones.
    #[error("server error {status}: {}", detail(body))]
    #[api(status = 500..=599, retry = "backoff")]
    Server {
        /// The status.
        #[api(status)]
        status: StatusCode,
        /// The explanation.
        #[api(body)]
        body: Option<ErrorBody>,
    },
    /// Connection failures and timeouts.
    #[error(transparent)]
    #[api(transport)]
    Transport(#[from] reqwest::Error),
    /// Any other status the documentation does not list: an undocumented
    /// 4xx (408 included) means the request must be fixed, so it is never
    /// retried (the 5xx all land in [`Server`](Self::Server)).
    #[error("unexpected status {status}")]
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

impl LightcastError {
    /// The error the emulator serves for `status`, with its JSON body: the
    /// documented variant, `Server` for an undocumented 5xx, or `Other` for
    /// any other undocumented status. A 429
    /// made here carries no wait and no rate limit; build one by hand to
    /// give it a hint.
    #[must_use]
    pub fn emulated(status: u16) -> Self {
        let title = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        let body = Some(ErrorBody::one(status, title, format!("emulated {status}")));
        match status {
            400 => LightcastError::BadRequest { body },
            401 => LightcastError::Unauthorized { body },
            404 => LightcastError::NotFound { body },
            413 => LightcastError::PayloadTooLarge { body },
            415 => LightcastError::UnsupportedMediaType { body },
            422 => LightcastError::Unprocessable { body },
            429 => LightcastError::RateLimited {
                wait: None,
                rate_limit: None,
                body,
            },
            500 => LightcastError::Internal { body },
            502 => LightcastError::BadGateway { body },
            503 => LightcastError::Unavailable { body },
            504 => LightcastError::GatewayTimeout { body },
            _ if (500..=599).contains(&status) => LightcastError::Server {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body,
            },
            _ => LightcastError::Other {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body: format!("emulated {status}"),
            },
        }
    }

    /// The typed body, for the variants that have one and when it decoded.
    #[must_use]
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            LightcastError::BadRequest { body }
            | LightcastError::Unauthorized { body }
            | LightcastError::NotFound { body }
            | LightcastError::PayloadTooLarge { body }
            | LightcastError::UnsupportedMediaType { body }
            | LightcastError::Unprocessable { body }
            | LightcastError::RateLimited { body, .. }
            | LightcastError::Internal { body }
            | LightcastError::BadGateway { body }
            | LightcastError::Unavailable { body }
            | LightcastError::GatewayTimeout { body }
            | LightcastError::Server { body, .. } => body.as_ref(),
            LightcastError::Transport(_) | LightcastError::Other { .. } => None,
        }
    }
}

/// A skill of the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    /// Its id, e.g. `KS1200364C9C1LK3V5Q1`.
    pub id: String,
    /// Its name, e.g. `Python (Programming Language)`.
    pub name: String,
    /// Its kind, e.g. `Specialized Skill`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A skill found in a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractedSkill {
    /// The skill.
    pub skill: Skill,
    /// How sure the extraction is, from 0 to 1.
    pub confidence: f64,
}

/// What `GET /status` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// In words.
    pub message: String,
    /// Whether the service is up.
    pub healthy: bool,
}

/// Every success is wrapped in `{"data": …}`.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope<T> {
    data: T,
}

/// What `POST /skills/extract` takes.
#[derive(Debug, Serialize, Deserialize)]
struct ExtractRequest<'a> {
    text: std::borrow::Cow<'a, str>,
}

/// The retry policy the documentation asks for: the 5xx family backs off
/// exponentially from 1 s (1, 2, 4, 8 s with equal jitter, so each wait is
/// at least half of that), four retries; a 429 waits for the server's hint,
/// honoured up to 120 s (a longer hint, such as a spent monthly quota,
/// gives up at once rather than retrying early).
#[must_use]
pub fn documented_policy() -> RetryPolicy {
    RetryPolicy::exponential(Duration::from_secs(1))
        .factor(2.0)
        .jitter(Jitter::Equal)
        .max_retries(4)
        .max_delay(Duration::from_secs(30))
        .max_server_wait(Duration::from_secs(120))
        .max_elapsed(Duration::from_secs(300))
}

/// A client of the Lightcast API.
#[derive(Clone, Debug)]
pub struct LightcastClient {
    http: reqwest::Client,
    base: String,
    token: String,
    policy: RetryPolicy,
    throttle: Option<Throttle>,
}

impl LightcastClient {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8080`),
    /// authenticated with the bearer `token`.
    #[must_use]
    pub fn new(base: impl Into<String>, token: impl Into<String>, policy: RetryPolicy) -> Self {
        LightcastClient {
            http: reqwest::Client::new(),
            base: base.into(),
            token: token.into(),
            policy,
            throttle: None,
        }
    }

    /// Holds requests while the rate-limit window is spent.
    #[must_use]
    pub fn with_throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = Some(throttle);
        self
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, LightcastError> {
        let request = request.bearer_auth(&self.token);
        Ok(match &self.throttle {
            Some(throttle) => apifault::reqwest::send(throttle, request).await?,
            None => request.send().await?,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /status`: whether the service is up.
    #[apifault::retry(policy = &self.policy)]
    pub async fn status(&self) -> Result<Success<Status>, LightcastError> {
        let response = self.send(self.http.get(self.url("/status"))).await?;
        apifault::reqwest::json_with_meta::<Envelope<Status>, _>(response)
            .await
            .map(|answer| answer.map(|envelope| envelope.data))
    }

    /// `GET /skills/{id}`: one skill of the taxonomy.
    #[apifault::retry(policy = &self.policy)]
    pub async fn get_skill(&self, id: &str) -> Result<Success<Skill>, LightcastError> {
        let response = self
            .send(self.http.get(self.url(&format!("/skills/{id}"))))
            .await?;
        apifault::reqwest::json_with_meta::<Envelope<Skill>, _>(response)
            .await
            .map(|answer| answer.map(|envelope| envelope.data))
    }

    /// `POST /skills/extract`: the skills found in `text`. A POST, but it
    /// only reads, so it is idempotent and retried like a GET.
    #[apifault::retry(policy = &self.policy)]
    pub async fn extract_skills(
        &self,
        text: &str,
    ) -> Result<Success<Vec<ExtractedSkill>>, LightcastError> {
        let request = ExtractRequest { text: text.into() };
        let response = self
            .send(self.http.post(self.url("/skills/extract")).json(&request))
            .await?;
        apifault::reqwest::json_with_meta::<Envelope<Vec<ExtractedSkill>>, _>(response)
            .await
            .map(|answer| answer.map(|envelope| envelope.data))
    }

    /// A sequence of dependent calls: extract the skills of `text`, then
    /// look each one up. The first error (after its retries) stops the
    /// sequence; a success keeps what the last call's answer said.
    pub async fn skills_in(&self, text: &str) -> Result<Success<Vec<Skill>>, LightcastError> {
        let mut found = Vec::new();
        let mut last = self.extract_skills(text).await?.map(|f| found = f);
        let mut skills = Vec::with_capacity(found.len());
        for extracted in found {
            last = self
                .get_skill(&extracted.skill.id)
                .await?
                .map(|skill| skills.push(skill));
        }
        Ok(last.map(|()| skills))
    }
}

/// The access token the emulator accepts.
pub const EMULATOR_TOKEN: &str = "lightcast-emulator-token";

/// The largest request body the emulator takes before answering 413 (the
/// emulator's choice: the documentation gives no number).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The emulator's taxonomy: id, name, type, and the word that finds it in a
/// text. The ids are the emulator's own.
const CATALOG: &[(&str, &str, &str, &str)] = &[
    (
        "KS1200364C9C1LK3V5Q1",
        "Python (Programming Language)",
        "Specialized Skill",
        "python",
    ),
    (
        "KS440W865GC4VRBW6LJP",
        "SQL (Programming Language)",
        "Specialized Skill",
        "sql",
    ),
    (
        "KS7G0RD6PMVGPX2DPS52",
        "Rust (Programming Language)",
        "Specialized Skill",
        "rust",
    ),
    (
        "KS1218W78FGVPVP2KXPX",
        "Communication",
        "Common Skill",
        "communication",
    ),
];

fn catalog_skill(entry: &(&str, &str, &str, &str)) -> Skill {
    Skill {
        id: entry.0.to_owned(),
        name: entry.1.to_owned(),
        kind: entry.2.to_owned(),
    }
}

/// A skill id as the taxonomy writes them: `KS` and 18 more upper-case
/// letters or digits.
fn well_formed(id: &str) -> bool {
    id.len() == 20
        && id.starts_with("KS")
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The emulator's state: scripted faults, quota and maintenance.
#[derive(Debug, Default)]
pub struct LightcastEmulator {
    /// Scripts, quota, maintenance and the request log.
    pub emulator: Emulator<LightcastError>,
}

impl LightcastEmulator {
    /// A new emulator serving the built-in taxonomy.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Decides whether `endpoint` fails before it does its work, in the
    /// order a real API checks: the access token (when `headers` are given:
    /// the endpoint needs one), then the shared gate (maintenance, the
    /// quota, the script). `Continue` carries the rate-limit state to
    /// announce on whatever the endpoint answers; `Break` the response
    /// already served.
    ///
    /// A request without a valid token is refused first: it does not use
    /// the quota, and meets neither a scripted fault nor the maintenance
    /// window, only its 401.
    fn admit(
        &self,
        endpoint: &str,
        headers: Option<&HeaderMap>,
    ) -> ControlFlow<Response, Option<RateLimit>> {
        if headers.is_some_and(|headers| !authorized(headers)) {
            return ControlFlow::Break(self.fail(endpoint, None, unauthorized()));
        }
        // Which of the gate's own errors, if any, it built.
        let (mut down, mut over) = (false, false);
        let gate = self.emulator.gate(
            endpoint,
            || {
                down = true;
                LightcastError::Unavailable {
                    body: Some(ErrorBody::one(
                        503,
                        "Service Unavailable",
                        "down for maintenance",
                    )),
                }
            },
            |announced| {
                over = true;
                LightcastError::RateLimited {
                    wait: announced.reset,
                    rate_limit: Some(announced),
                    body: Some(ErrorBody::one(
                        429,
                        "Too Many Requests",
                        "rate limit exceeded",
                    )),
                }
            },
        );
        match gate {
            Gate::Pass(announced) => ControlFlow::Continue(announced),
            // Maintenance answers before the quota counts anything; a 429
            // states the quota itself.
            Gate::Fail(error) if down || over => {
                ControlFlow::Break(self.fail(endpoint, None, error))
            }
            // A scripted fault comes after the quota counted the request.
            Gate::Fail(error) => {
                ControlFlow::Break(self.fail(endpoint, self.emulator.announced(), error))
            }
        }
    }

    /// A success, with the rate-limit headers when a quota is enforced.
    fn success(
        &self,
        endpoint: &str,
        announced: Option<RateLimit>,
        response: impl IntoResponse,
    ) -> Response {
        let mut response = response.into_response();
        if let Some(announced) = announced {
            insert_rate_limit(response.headers_mut(), announced);
        }
        answer(&self.emulator, endpoint, response)
    }

    /// A failure, with the rate-limit headers when the quota counted the
    /// request (`announced`): a failure uses the quota as a success does,
    /// and a throttled client must see it spent. An error that states a
    /// rate limit itself (a 429) keeps its own.
    fn fail(
        &self,
        endpoint: &str,
        announced: Option<RateLimit>,
        error: LightcastError,
    ) -> Response {
        let mut response = error.into_response();
        if let Some(announced) = announced
            && !response.headers().contains_key("ratelimit-remaining")
        {
            insert_rate_limit(response.headers_mut(), announced);
        }
        answer(&self.emulator, endpoint, response)
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| token == EMULATOR_TOKEN)
}

fn unauthorized() -> LightcastError {
    LightcastError::Unauthorized {
        body: Some(ErrorBody::one(
            401,
            "Unauthorized",
            "missing or invalid access token",
        )),
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

type Shared = State<Arc<LightcastEmulator>>;

async fn status(State(api): Shared) -> Response {
    const ENDPOINT: &str = "GET /status";
    // The health check needs no token.
    let announced = match api.admit(ENDPOINT, None) {
        ControlFlow::Continue(announced) => announced,
        ControlFlow::Break(refused) => return refused,
    };
    let data = Status {
        message: "Service is healthy".into(),
        healthy: true,
    };
    api.success(ENDPOINT, announced, axum::Json(Envelope { data }))
}

async fn get_skill(State(api): Shared, Path(id): Path<String>, headers: HeaderMap) -> Response {
    const ENDPOINT: &str = "GET /skills/{id}";
    let announced = match api.admit(ENDPOINT, Some(&headers)) {
        ControlFlow::Continue(announced) => announced,
        ControlFlow::Break(refused) => return refused,
    };
    if !well_formed(&id) {
        let body = ErrorBody::one(400, "Bad Request", format!("{id:?} is not a skill id"));
        return api.fail(
            ENDPOINT,
            announced,
            LightcastError::BadRequest { body: Some(body) },
        );
    }
    match CATALOG.iter().find(|entry| entry.0 == id) {
        Some(entry) => {
            let data = catalog_skill(entry);
            api.success(ENDPOINT, announced, axum::Json(Envelope { data }))
        }
        None => {
            let body = ErrorBody::one(404, "Not Found", format!("no skill {id}"));
            api.fail(
                ENDPOINT,
                announced,
                LightcastError::NotFound { body: Some(body) },
            )
        }
    }
}

async fn extract(State(api): Shared, headers: HeaderMap, body: Bytes) -> Response {
    const ENDPOINT: &str = "POST /skills/extract";
    let announced = match api.admit(ENDPOINT, Some(&headers)) {
        ControlFlow::Continue(announced) => announced,
        ControlFlow::Break(refused) => return refused,
    };
    if !is_json(&headers) {
        let body = ErrorBody::one(
            415,
            "Unsupported Media Type",
            "send the text as application/json",
        );
        return api.fail(
            ENDPOINT,
            announced,
            LightcastError::UnsupportedMediaType { body: Some(body) },
        );
    }
    if body.len() > MAX_BODY_BYTES {
        let body = ErrorBody::one(
            413,
            "Payload Too Large",
            format!("at most {MAX_BODY_BYTES} bytes"),
        );
        return api.fail(
            ENDPOINT,
            announced,
            LightcastError::PayloadTooLarge { body: Some(body) },
        );
    }
    let request = match serde_json::from_slice::<ExtractRequest<'_>>(&body) {
        Ok(request) => request,
        Err(error) => {
            let body = ErrorBody::one(400, "Bad Request", error.to_string());
            return api.fail(
                ENDPOINT,
                announced,
                LightcastError::BadRequest { body: Some(body) },
            );
        }
    };
    if request.text.trim().is_empty() {
        let body = ErrorBody::one(422, "Unprocessable Entity", "text must not be empty");
        return api.fail(
            ENDPOINT,
            announced,
            LightcastError::Unprocessable { body: Some(body) },
        );
    }
    let words: Vec<String> = request
        .text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .collect();
    let data: Vec<ExtractedSkill> = CATALOG
        .iter()
        .filter(|entry| words.iter().any(|word| word == entry.3))
        .map(|entry| ExtractedSkill {
            skill: catalog_skill(entry),
            confidence: 1.0,
        })
        .collect();
    api.success(ENDPOINT, announced, axum::Json(Envelope { data }))
}

/// The emulator's routes, over `state`.
pub fn router(state: Arc<LightcastEmulator>) -> axum::Router {
    axum::Router::new()
        .route("/status", get(status))
        .route("/skills/extract", post(extract))
        .route("/skills/{id}", get(get_skill))
        .with_state(state)
}

/// Starts an emulator on a loopback port: its address and its state.
pub async fn start() -> std::io::Result<(String, Arc<LightcastEmulator>)> {
    let state = LightcastEmulator::new();
    // Ours: the page names no request id header; the emulator sends the
    // common `X-Request-Id` for support, as most APIs do.
    state.emulator.send_request_ids("lc");
    let addr = crate::emulator::serve(router(Arc::clone(&state))).await?;
    Ok((format!("http://{addr}"), state))
}

/// What a caller that sends the text as `text/plain` gets (the client never
/// does): `POST /skills/extract` with the documented policy.
async fn extract_plain_text(
    http: &reqwest::Client,
    base: &str,
    policy: &RetryPolicy,
    text: &str,
) -> Result<serde_json::Value, LightcastError> {
    apifault::retry(policy, || async {
        let response = http
            .post(format!("{base}/skills/extract"))
            .bearer_auth(EMULATOR_TOKEN)
            .header("content-type", "text/plain")
            .body(text.to_owned())
            .send()
            .await?;
        apifault::reqwest::json::<serde_json::Value, LightcastError>(response).await
    })
    .await
}

/// Whether `wait` lies in `[low, high]` seconds: waits with jitter are
/// checked against bounds, not exact values.
fn within(wait: Duration, low: f64, high: f64) -> bool {
    (low..=high).contains(&wait.as_secs_f64())
}

/// The equal-jitter bounds of the documented backoff: retry `n` (from 1)
/// waits between half of `2^(n-1)` seconds and all of it.
fn backs_off(waits: &[Duration]) -> bool {
    waits.iter().zip(0..).all(|(wait, n)| {
        let full = f64::from(1u32 << n);
        within(*wait, full / 2.0, full)
    })
}

/// The scripted scenario the tour runs: each documented status once, each
/// retried (or not) and waited as the documentation says.
pub async fn scenarios() -> std::io::Result<Vec<crate::tour::Row>> {
    use crate::tour::{Recorder, row};

    let (base, api) = start().await?;
    let recorder = Recorder::default();
    let client = LightcastClient::new(
        base.clone(),
        EMULATOR_TOKEN,
        recorder.attach(documented_policy()),
    );
    let emu = &api.emulator;
    let secs = Duration::from_secs;
    let python = CATALOG[0].0;
    let mut rows = Vec::new();

    rows.push(
        row(
            "GET /status",
            "success: 200",
            emu,
            &recorder,
            client.status(),
            |r, s, _| r.as_ref().is_ok_and(|st| st.healthy) && s == [200],
        )
        .await,
    );
    rows.push(
        row(
            &format!("GET /skills/{python}"),
            "success: 200",
            emu,
            &recorder,
            client.get_skill(python),
            |r, s, _| {
                r.as_ref()
                    .is_ok_and(|sk| sk.name == "Python (Programming Language)")
                    && s == [200]
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /skills/extract \"Python and SQL\"",
            "success: 200",
            emu,
            &recorder,
            client.extract_skills("Python and SQL"),
            |r, s, _| r.as_ref().is_ok_and(|found| found.len() == 2) && s == [200],
        )
        .await,
    );
    rows.push(
        row(
            "GET /skills/not-a-skill (400)",
            "400: \"fix the request\"; never retried",
            emu,
            &recorder,
            client.get_skill("not-a-skill"),
            |r, s, w| {
                matches!(r, Err(LightcastError::BadRequest { body: Some(b) }) if b.status() == Some(400))
                    && s == [400]
                    && w.is_empty()
            },
        )
        .await,
    );
    let expired = LightcastClient::new(
        base.clone(),
        "expired-token",
        recorder.attach(documented_policy()),
    );
    rows.push(
        row(
            "GET /skills/{id}, expired token (401)",
            "401: \"fix the request\"; never retried",
            emu,
            &recorder,
            expired.get_skill(python),
            |r, s, _| {
                matches!(r, Err(LightcastError::Unauthorized { body: Some(b) }) if b.status() == Some(401)) && s == [401]
            },
        )
        .await,
    );
    rows.push(
        row(
            "GET /skills/KS0000000000000000ZZ (404)",
            "404: \"fix the request\"; never retried",
            emu,
            &recorder,
            client.get_skill("KS0000000000000000ZZ"),
            |r, s, _| matches!(r, Err(LightcastError::NotFound { body: Some(b) }) if b.status() == Some(404)) && s == [404],
        )
        .await,
    );
    let huge = "python ".repeat(MAX_BODY_BYTES / 7 + 1);
    rows.push(
        row(
            "POST /skills/extract, over 16 KiB (413)",
            "413: \"fix the request\"; never retried",
            emu,
            &recorder,
            client.extract_skills(&huge),
            |r, s, _| {
                matches!(r, Err(LightcastError::PayloadTooLarge { body: Some(b) }) if b.status() == Some(413)) && s == [413]
            },
        )
        .await,
    );
    let http = reqwest::Client::new();
    let policy = recorder.attach(documented_policy());
    rows.push(
        row(
            "POST /skills/extract as text/plain (415)",
            "415: \"fix the request\"; never retried",
            emu,
            &recorder,
            extract_plain_text(&http, &base, &policy, "Python and SQL"),
            |r, s, _| {
                matches!(
                    r,
                    Err(LightcastError::UnsupportedMediaType { body: Some(b) }) if b.status() == Some(415)) && s == [415]
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /skills/extract \"\" (422)",
            "422: \"fix the request\"; never retried",
            emu,
            &recorder,
            client.extract_skills(""),
            |r, s, _| {
                matches!(r, Err(LightcastError::Unprocessable { body: Some(b) }) if b.status() == Some(422))
                    && s == [422]
            },
        )
        .await,
    );
    emu.script(
        "GET /skills/{id}",
        [LightcastError::RateLimited {
            wait: Some(secs(12)),
            rate_limit: Some(RateLimit::new(100, 0, secs(12))),
            body: None,
        }],
    );
    rows.push(
        row(
            "GET /skills/{id} (429, Retry-After 12)",
            "429: see their rate limits; ours: wait Retry-After",
            emu,
            &recorder,
            client.get_skill(python),
            // The hint, exactly.
            |r, s, w| r.is_ok() && s == [429, 200] && w == [secs(12)],
        )
        .await,
    );
    emu.script(
        "GET /skills/{id}",
        [LightcastError::RateLimited {
            wait: None,
            rate_limit: Some(RateLimit::new(100, 0, secs(7))),
            body: None,
        }],
    );
    rows.push(
        row(
            "GET /skills/{id} (429, RateLimit-Reset 7)",
            "429: see their rate limits; ours: wait RateLimit-Reset",
            emu,
            &recorder,
            client.get_skill(python),
            |r, s, w| r.is_ok() && s == [429, 200] && w == [secs(7)],
        )
        .await,
    );
    emu.script(
        "GET /skills/{id}",
        [500, 502, 504].map(LightcastError::emulated),
    );
    rows.push(
        row(
            "GET /skills/{id} (500, 502, 504)",
            "\"retry the 5xx family later\"",
            emu,
            &recorder,
            client.get_skill(python),
            |r, s, w| r.is_ok() && s == [500, 502, 504, 200] && w.len() == 3 && backs_off(w),
        )
        .await,
    );
    api.emulator.maintenance_for(secs(5));
    rows.push(
        row(
            "GET /status (maintenance for 5 s)",
            "503 \"maintenance or load\": retry later",
            emu,
            &recorder,
            client.status(),
            |r, s, w| {
                let total: Duration = w.iter().sum();
                r.is_ok()
                    && s.last() == Some(&200)
                    && s[..s.len() - 1].iter().all(|&st| st == 503)
                    && s.len() >= 2
                    && backs_off(w)
                    && total >= secs(5)
            },
        )
        .await,
    );
    emu.script("GET /status", [LightcastError::emulated(408)]);
    rows.push(
        row(
            "GET /status (408, undocumented 4xx)",
            "any other 4xx: \"fix the request\"",
            emu,
            &recorder,
            client.status(),
            |r, s, w| {
                matches!(r, Err(LightcastError::Other { status, .. }) if *status == 408)
                    && s == [408]
                    && w.is_empty()
            },
        )
        .await,
    );
    emu.script("GET /status", [501, 505].map(LightcastError::emulated));
    rows.push(
        row(
            "GET /status (501, 505, undocumented 5xx)",
            "\"retry the 5xx family later\"",
            emu,
            &recorder,
            client.status(),
            |r, s, w| r.is_ok() && s == [501, 505, 200] && w.len() == 2 && backs_off(w),
        )
        .await,
    );
    emu.script(
        "GET /skills/{id}",
        (0..5).map(|_| LightcastError::emulated(500)),
    );
    rows.push(
        row(
            "GET /skills/{id} (500 x5)",
            "\"retry the 5xx family later\"; ours: 4 retries",
            emu,
            &recorder,
            client.get_skill(python),
            |r, s, w| {
                matches!(r, Err(LightcastError::Internal { .. }))
                    && s == [500; 5]
                    && w.len() == 4
                    && backs_off(w)
            },
        )
        .await,
    );
    emu.script("GET /skills/{id}", [LightcastError::emulated(404)]);
    rows.push(
        row(
            "extract, look up (404), look up",
            "404: \"fix the request\"; the sequence stops",
            emu,
            &recorder,
            client.skills_in("Python and SQL"),
            |r, s, _| matches!(r, Err(LightcastError::NotFound { .. })) && s == [200, 404],
        )
        .await,
    );
    Ok(rows)
}
