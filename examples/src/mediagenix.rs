//! Mediagenix On-Demand (and BeBanjo, the same contract under another
//! name): typed errors, a client and an emulator.
//!
//! The documented rules this module encodes:
//! - any 2xx is success (GET 200, POST 201, publication 202, DELETE 204);
//! - 400, 401, 404, 405, 406, 415, 422 are never retried;
//! - 429 is retried after `Ratelimit-Reset` seconds, without backoff;
//! - 5xx back off exponentially, 503 being maintenance mode: their example
//!   says "2 s, then 4 s, then 16 s; about four retries"; we read it as
//!   doubling from 2 s (2, 4, 8, 16 s) for four retries, then give up, stop
//!   the sequence of dependent operations, and notify (the client's
//!   `on_give_up`);
//! - every synchronous request is atomic, so a failed POST may be resent;
//! - every response may carry `X-Request-Id`, which support asks for;
//! - file names may not contain `& $ + , / : ; = ? @ < > [ ] { } | \ ^ ~ % #`,
//!   whitespace, `(` or `)`: the client rejects them before sending.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apifault::{ApiError, Jitter, RateLimit, RetryPolicy, Throttle};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::emulator::{Emulator, Gate, answer, insert_rate_limit};

/// The body of a 422: what failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationErrors {
    /// One message per problem.
    pub errors: Vec<String>,
}

/// Every documented error of the On-Demand API.
#[derive(Debug, thiserror::Error, ApiError)]
#[api(retry_after = "Ratelimit-Reset", request_id = "X-Request-Id", atomic)]
pub enum OnDemandError {
    /// 400: bad syntax, e.g. a body that is not valid XML, or a file name
    /// with a restricted character that reached the server.
    #[error("bad request: {body}")]
    #[api(status = 400)]
    BadRequest {
        /// The server's explanation.
        #[api(body)]
        body: String,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 401: bad or missing credentials.
    #[error("unauthorized")]
    #[api(status = 401)]
    Unauthorized {
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 404.
    #[error("not found")]
    #[api(status = 404)]
    NotFound {
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 405: the resource does not support the method.
    #[error("method not allowed")]
    #[api(status = 405)]
    MethodNotAllowed {
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 406: unsupported `Accept`.
    #[error("not acceptable")]
    #[api(status = 406)]
    NotAcceptable {
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 415: unsupported `Content-Type`.
    #[error("unsupported media type")]
    #[api(status = 415)]
    UnsupportedMediaType {
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 422: validation errors, detailed in the body.
    #[error("validation failed: {}", body.errors.join("; "))]
    #[api(status = 422)]
    Invalid {
        /// What failed.
        #[api(body)]
        body: ValidationErrors,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 429: retried after `Ratelimit-Reset` seconds.
    #[error("rate limited for {wait:?}")]
    #[api(status = 429)]
    RateLimited {
        /// `Ratelimit-Reset`.
        #[api(retry_after)]
        wait: Option<Duration>,
        /// `Ratelimit-Limit`, `-Remaining`, `-Reset`.
        #[api(rate_limit)]
        rate_limit: Option<RateLimit>,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 503: maintenance mode; backs off like any 5xx.
    #[error("in maintenance")]
    #[api(status = 503, retry = "backoff")]
    Maintenance {
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// Any other 5xx, 501 and 505 included: the documentation backs off on
    /// every 5xx.
    #[error("server error {status}")]
    #[api(status = 500..=599, retry = "backoff")]
    Server {
        /// Which one.
        #[api(status)]
        status: StatusCode,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// Connection failures and timeouts.
    #[error(transparent)]
    #[api(transport)]
    Transport(#[from] reqwest::Error),
    /// A file name the API would reject, caught before sending.
    #[error("file name {name:?} contains the restricted character {character:?}")]
    InvalidFileName {
        /// The name.
        name: String,
        /// The first restricted character in it.
        character: char,
    },
    /// Any status the documentation does not list; never retried, since
    /// the documentation retries no 4xx but 429 (a 408 included).
    #[error("unexpected status {status}")]
    #[api(other, retry = "never")]
    Other {
        /// The status.
        #[api(status)]
        status: StatusCode,
        /// The body, as text.
        #[api(body)]
        body: String,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
}

/// The characters a file name may not contain, besides whitespace.
pub const RESTRICTED: &str = "&$+,/:;=?@<>[]{}|\\^~%#()";

/// The first character of `name` the API forbids in file names.
#[must_use]
pub fn restricted_character(name: &str) -> Option<char> {
    name.chars()
        .find(|c| c.is_whitespace() || RESTRICTED.contains(*c))
}

/// A title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
}

/// What `create_title` sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewTitle {
    /// The name.
    pub name: String,
}

/// A subtitle file attached to a title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subtitle {
    /// The title it belongs to.
    pub title_id: u64,
    /// The file name.
    pub file_name: String,
}

/// The retry policy the documentation asks for: about four retries,
/// exponential from 2 s, and a 429 waited out for as long as
/// `Ratelimit-Reset` says (their example: 200 s).
#[must_use]
pub fn documented_policy() -> RetryPolicy {
    RetryPolicy::exponential(Duration::from_secs(2))
        .factor(2.0)
        .jitter(Jitter::None)
        .max_retries(4)
        .max_delay(Duration::from_secs(60))
        .max_server_wait(Duration::from_secs(300))
        .max_elapsed(Duration::from_secs(600))
}

/// A client of the On-Demand API.
#[derive(Clone, Debug)]
pub struct OnDemandClient {
    http: reqwest::Client,
    base: String,
    policy: RetryPolicy,
    throttle: Option<Throttle>,
}

impl OnDemandClient {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8080`).
    #[must_use]
    pub fn new(base: impl Into<String>, policy: RetryPolicy) -> Self {
        OnDemandClient {
            http: reqwest::Client::new(),
            base: base.into(),
            policy,
            throttle: None,
        }
    }

    /// Calls `notify` when a call gives up after its retries (or on an error
    /// that must not be retried): the documentation asks a client to give
    /// up, stop the sequence of dependent operations, and notify.
    #[must_use]
    pub fn on_give_up(
        mut self,
        notify: impl Fn(&apifault::GiveUpEvent<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.policy = self.policy.on_give_up(notify);
        self
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
    ) -> Result<reqwest::Response, OnDemandError> {
        Ok(match &self.throttle {
            Some(throttle) => apifault::reqwest::send(throttle, request).await?,
            None => request.send().await?,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /titles/{id}`.
    #[apifault::retry(policy = &self.policy)]
    pub async fn get_title(&self, id: u64) -> Result<Title, OnDemandError> {
        let response = self
            .send(self.http.get(self.url(&format!("/titles/{id}"))))
            .await?;
        apifault::reqwest::json(response).await
    }

    /// `POST /titles`: not idempotent, but the API is atomic, so a failed
    /// attempt changed nothing and may be resent.
    #[apifault::retry(policy = &self.policy, idempotent = false)]
    pub async fn create_title(&self, title: &NewTitle) -> Result<Title, OnDemandError> {
        let response = self
            .send(self.http.post(self.url("/titles")).json(title))
            .await?;
        apifault::reqwest::json(response).await
    }

    /// `POST /titles/{id}/subtitles`: rejects a restricted file name before
    /// sending it.
    #[apifault::retry(policy = &self.policy, idempotent = false)]
    pub async fn add_subtitle(
        &self,
        title_id: u64,
        file_name: &str,
    ) -> Result<Subtitle, OnDemandError> {
        if let Some(character) = restricted_character(file_name) {
            return Err(OnDemandError::InvalidFileName {
                name: file_name.to_owned(),
                character,
            });
        }
        let body = serde_json::json!({ "file_name": file_name });
        let response = self
            .send(
                self.http
                    .post(self.url(&format!("/titles/{title_id}/subtitles")))
                    .json(&body),
            )
            .await?;
        apifault::reqwest::json(response).await
    }

    /// `POST /titles/{id}/publication`: accepted (202) and processed later.
    #[apifault::retry(policy = &self.policy, idempotent = false)]
    pub async fn publish(&self, title_id: u64) -> Result<(), OnDemandError> {
        let response = self
            .send(
                self.http
                    .post(self.url(&format!("/titles/{title_id}/publication"))),
            )
            .await?;
        apifault::reqwest::no_content(response).await
    }

    /// `DELETE /titles/{id}`: 204, the deletion itself is asynchronous.
    #[apifault::retry(policy = &self.policy)]
    pub async fn delete_title(&self, id: u64) -> Result<(), OnDemandError> {
        let response = self
            .send(self.http.delete(self.url(&format!("/titles/{id}"))))
            .await?;
        apifault::reqwest::no_content(response).await
    }

    /// A sequence of dependent calls: create a title, attach a subtitle,
    /// publish. The first error (after its retries) stops the sequence.
    pub async fn create_and_publish(
        &self,
        name: &str,
        subtitle: &str,
    ) -> Result<Title, OnDemandError> {
        let title = self
            .create_title(&NewTitle {
                name: name.to_owned(),
            })
            .await?;
        self.add_subtitle(title.id, subtitle).await?;
        self.publish(title.id).await?;
        Ok(title)
    }
}

/// The emulator's state: scripted faults and the titles it stores.
#[derive(Debug, Default)]
pub struct OnDemandEmulator {
    /// Scripts, quota, maintenance and the request log.
    pub emulator: Emulator<OnDemandError>,
    titles: Mutex<HashMap<u64, Title>>,
    next_id: AtomicU64,
    next_request: AtomicU64,
}

impl OnDemandEmulator {
    /// A new emulator holding title 1, "Heat".
    #[must_use]
    pub fn new() -> Arc<Self> {
        let state = Self::default();
        state.next_id.store(2, Ordering::SeqCst);
        state.titles.lock().expect("titles").insert(
            1,
            Title {
                id: 1,
                name: "Heat".into(),
            },
        );
        Arc::new(state)
    }

    /// A fresh `X-Request-Id`.
    pub fn request_id(&self) -> String {
        format!(
            "req-{:06}",
            self.next_request.fetch_add(1, Ordering::SeqCst) + 1
        )
    }

    /// Maintenance, the quota, then the script decide whether `endpoint`
    /// fails before it does its work.
    fn gate(&self, endpoint: &str) -> Gate<OnDemandError> {
        self.emulator.gate(
            endpoint,
            || OnDemandError::Maintenance {
                request_id: Some(self.request_id()),
            },
            |announced| OnDemandError::RateLimited {
                wait: announced.reset,
                rate_limit: Some(announced),
                request_id: Some(self.request_id()),
            },
        )
    }

    /// A success, with the request id and rate-limit headers every response
    /// of the API carries.
    fn success(
        &self,
        endpoint: &str,
        announced: Option<RateLimit>,
        response: impl IntoResponse,
    ) -> Response {
        let mut response = response.into_response();
        let headers = response.headers_mut();
        if let Ok(id) = HeaderValue::from_str(&self.request_id()) {
            headers.insert("x-request-id", id);
        }
        if let Some(announced) = announced {
            insert_rate_limit(headers, announced);
        }
        answer(&self.emulator, endpoint, response)
    }

    /// An error, with the request id and the rate-limit headers every
    /// response of the API carries (a failed request counts against the
    /// quota too).
    fn fail(&self, endpoint: &str, error: OnDemandError) -> Response {
        let mut response = error.into_response();
        let headers = response.headers_mut();
        if !headers.contains_key("x-request-id")
            && let Ok(id) = HeaderValue::from_str(&self.request_id())
        {
            headers.insert("x-request-id", id);
        }
        if !headers.contains_key("ratelimit-remaining")
            && let Some(announced) = self.emulator.announced()
        {
            insert_rate_limit(headers, announced);
        }
        answer(&self.emulator, endpoint, response)
    }
}

type Shared = State<Arc<OnDemandEmulator>>;

async fn get_title(State(api): Shared, Path(id): Path<u64>) -> Response {
    const ENDPOINT: &str = "GET /titles/{id}";
    let announced = match api.gate(ENDPOINT) {
        Gate::Fail(error) => return api.fail(ENDPOINT, error),
        Gate::Pass(announced) => announced,
    };
    let title = api.titles.lock().expect("titles").get(&id).cloned();
    match title {
        Some(title) => api.success(ENDPOINT, announced, axum::Json(title)),
        None => {
            let error = OnDemandError::NotFound {
                request_id: Some(api.request_id()),
            };
            api.fail(ENDPOINT, error)
        }
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

async fn create_title(State(api): Shared, headers: HeaderMap, body: String) -> Response {
    const ENDPOINT: &str = "POST /titles";
    let announced = match api.gate(ENDPOINT) {
        Gate::Fail(error) => return api.fail(ENDPOINT, error),
        Gate::Pass(announced) => announced,
    };
    if !is_json(&headers) {
        return api.fail(
            ENDPOINT,
            OnDemandError::UnsupportedMediaType {
                request_id: Some(api.request_id()),
            },
        );
    }
    let Ok(new) = serde_json::from_str::<NewTitle>(&body) else {
        let body =
            "The request could not be processed by the server due to malformed syntax".to_owned();
        return api.fail(
            ENDPOINT,
            OnDemandError::BadRequest {
                body,
                request_id: Some(api.request_id()),
            },
        );
    };
    if new.name.trim().is_empty() {
        let body = ValidationErrors {
            errors: vec!["Name can't be blank".into()],
        };
        return api.fail(
            ENDPOINT,
            OnDemandError::Invalid {
                body,
                request_id: Some(api.request_id()),
            },
        );
    }
    let id = api.next_id.fetch_add(1, Ordering::SeqCst);
    let title = Title { id, name: new.name };
    api.titles.lock().expect("titles").insert(id, title.clone());
    api.success(
        ENDPOINT,
        announced,
        (StatusCode::CREATED, axum::Json(title)),
    )
}

#[derive(Deserialize)]
struct NewSubtitle {
    file_name: String,
}

async fn add_subtitle(State(api): Shared, Path(id): Path<u64>, body: String) -> Response {
    const ENDPOINT: &str = "POST /titles/{id}/subtitles";
    let announced = match api.gate(ENDPOINT) {
        Gate::Fail(error) => return api.fail(ENDPOINT, error),
        Gate::Pass(announced) => announced,
    };
    let malformed = || OnDemandError::BadRequest {
        body: "The request could not be processed by the server due to malformed syntax".into(),
        request_id: Some(api.request_id()),
    };
    let Ok(new) = serde_json::from_str::<NewSubtitle>(&body) else {
        return api.fail(ENDPOINT, malformed());
    };
    if restricted_character(&new.file_name).is_some() {
        return api.fail(ENDPOINT, malformed());
    }
    if !api.titles.lock().expect("titles").contains_key(&id) {
        return api.fail(
            ENDPOINT,
            OnDemandError::NotFound {
                request_id: Some(api.request_id()),
            },
        );
    }
    let subtitle = Subtitle {
        title_id: id,
        file_name: new.file_name,
    };
    api.success(
        ENDPOINT,
        announced,
        (StatusCode::CREATED, axum::Json(subtitle)),
    )
}

async fn publish(State(api): Shared, Path(id): Path<u64>) -> Response {
    const ENDPOINT: &str = "POST /titles/{id}/publication";
    let announced = match api.gate(ENDPOINT) {
        Gate::Fail(error) => return api.fail(ENDPOINT, error),
        Gate::Pass(announced) => announced,
    };
    if !api.titles.lock().expect("titles").contains_key(&id) {
        return api.fail(
            ENDPOINT,
            OnDemandError::NotFound {
                request_id: Some(api.request_id()),
            },
        );
    }
    api.success(ENDPOINT, announced, StatusCode::ACCEPTED)
}

async fn delete_title(State(api): Shared, Path(id): Path<u64>) -> Response {
    const ENDPOINT: &str = "DELETE /titles/{id}";
    let announced = match api.gate(ENDPOINT) {
        Gate::Fail(error) => return api.fail(ENDPOINT, error),
        Gate::Pass(announced) => announced,
    };
    match api.titles.lock().expect("titles").remove(&id) {
        Some(_) => api.success(ENDPOINT, announced, StatusCode::NO_CONTENT),
        None => api.fail(
            ENDPOINT,
            OnDemandError::NotFound {
                request_id: Some(api.request_id()),
            },
        ),
    }
}

async fn method_not_allowed(
    State(api): Shared,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    let endpoint = format!("{method} {}", uri.path());
    let error = OnDemandError::MethodNotAllowed {
        request_id: Some(api.request_id()),
    };
    api.fail(&endpoint, error)
}

/// The emulator's routes, over `state`.
pub fn router(state: Arc<OnDemandEmulator>) -> axum::Router {
    axum::Router::new()
        .route("/titles", post(create_title))
        .route("/titles/{id}", get(get_title).delete(delete_title))
        .route("/titles/{id}/subtitles", post(add_subtitle))
        .route("/titles/{id}/publication", post(publish))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Starts an emulator on a loopback port: its address and its state.
pub async fn start() -> std::io::Result<(String, Arc<OnDemandEmulator>)> {
    let state = OnDemandEmulator::new();
    let addr = crate::emulator::serve(router(Arc::clone(&state))).await?;
    Ok((format!("http://{addr}"), state))
}

/// The scripted scenario the tour runs: each documented status once, each
/// retried (or not) and waited as the documentation says. `api` names the
/// table (Mediagenix On-Demand or BeBanjo: one contract).
pub async fn scenarios() -> std::io::Result<Vec<crate::tour::Row>> {
    use crate::tour::{Recorder, row};

    let (base, api) = start().await?;
    let recorder = Recorder::default();
    let client = OnDemandClient::new(base.clone(), recorder.attach(documented_policy()));
    let emu = &api.emulator;
    let server = |code: u16| OnDemandError::Server {
        status: StatusCode::from_u16(code).expect("status"),
        request_id: Some(format!("req-{code}")),
    };
    let secs = Duration::from_secs;
    let mut rows = Vec::new();

    rows.push(
        row(
            "GET /titles/1",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, _| r.as_ref().is_ok_and(|t| t.name == "Heat") && s == [200],
        )
        .await,
    );
    rows.push(
        row(
            "GET /titles/99 (404)",
            emu,
            &recorder,
            client.get_title(99),
            |r, s, _| {
                matches!(
                    r,
                    Err(OnDemandError::NotFound {
                        request_id: Some(_)
                    })
                ) && s == [404]
            },
        )
        .await,
    );
    emu.script(
        "GET /titles/{id}",
        [OnDemandError::Unauthorized {
            request_id: Some("req-401".into()),
        }],
    );
    rows.push(
        row(
            "GET /titles/1 (401)",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, _| {
                matches!(r, Err(OnDemandError::Unauthorized { request_id: Some(id) }) if id == "req-401") && s == [401]
            },
        )
        .await,
    );
    emu.script(
        "GET /titles/{id}",
        [OnDemandError::RateLimited {
            wait: Some(secs(200)),
            rate_limit: Some(RateLimit::new(150, 0, secs(200))),
            request_id: Some("req-429".into()),
        }],
    );
    rows.push(
        row(
            "GET /titles/1 (429, reset 200 s)",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, w| r.is_ok() && s == [429, 200] && w == [secs(200)],
        )
        .await,
    );
    emu.script("GET /titles/{id}", [server(500), server(502), server(504)]);
    rows.push(
        row(
            "GET /titles/1 (500, 502, 504)",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, w| r.is_ok() && s == [500, 502, 504, 200] && w == [secs(2), secs(4), secs(8)],
        )
        .await,
    );
    emu.script("GET /titles/{id}", (0..5).map(|_| server(500)));
    rows.push(
        row(
            "GET /titles/1 (500 x5)",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, w| {
                matches!(r, Err(OnDemandError::Server { status, request_id: Some(id) }) if status.as_u16() == 500 && id == "req-500")
                    && s == [500; 5]
                    && w == [secs(2), secs(4), secs(8), secs(16)]
            },
        )
        .await,
    );
    api.emulator.maintenance_for(secs(5));
    rows.push(
        row(
            "GET /titles/1 (maintenance for 5 s)",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, w| r.is_ok() && s == [503, 503, 200] && w == [secs(2), secs(4)],
        )
        .await,
    );
    emu.script("POST /titles", [server(500)]);
    let new = NewTitle {
        name: "Heat 2".into(),
    };
    rows.push(
        row(
            "POST /titles (500; atomic: resent)",
            emu,
            &recorder,
            client.create_title(&new),
            |r, s, w| r.is_ok() && s == [500, 201] && w == [secs(2)],
        )
        .await,
    );
    let blank = NewTitle { name: " ".into() };
    rows.push(
        row(
            "POST /titles (422)",
            emu,
            &recorder,
            client.create_title(&blank),
            |r, s, _| {
                matches!(r, Err(OnDemandError::Invalid { body, .. }) if !body.errors.is_empty())
                    && s == [422]
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /titles/1/subtitles \"a&b.srt\"",
            emu,
            &recorder,
            client.add_subtitle(1, "a&b.srt"),
            |r, s, _| {
                matches!(
                    r,
                    Err(OnDemandError::InvalidFileName { character: '&', .. })
                ) && s.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /titles/1/publication",
            emu,
            &recorder,
            client.publish(1),
            |r, s, _| r.is_ok() && s == [202],
        )
        .await,
    );
    emu.script(
        "POST /titles/{id}/subtitles",
        [OnDemandError::UnsupportedMediaType {
            request_id: Some("req-415".into()),
        }],
    );
    rows.push(
        row(
            "create, subtitle (415), publish",
            emu,
            &recorder,
            client.create_and_publish("Heat 3", "heat3.srt"),
            |r, s, _| {
                matches!(r, Err(OnDemandError::UnsupportedMediaType { .. })) && s == [201, 415]
            },
        )
        .await,
    );
    rows.push(
        row(
            "DELETE /titles/1",
            emu,
            &recorder,
            client.delete_title(1),
            |r, s, _| r.is_ok() && s == [204],
        )
        .await,
    );
    Ok(rows)
}
