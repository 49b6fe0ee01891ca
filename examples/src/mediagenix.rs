//! Mediagenix On-Demand (and BeBanjo, the same contract under another
//! name): typed errors, a client and an emulator.
//!
//! The rules of the page this module encodes, each with the page's words
//! (in quotes) and, where the page is silent, what we chose (marked
//! *ours*):
//! - "Clients must not depend on which 2xx they get": any 2xx is success
//!   (GET/PUT 200, POST 201, publication 202, DELETE 204).
//! - 400, 401, 404, 405, 406, 415, 422 are never retried ("never retry a
//!   4xx, except 429"), and "the response body will normally provide the
//!   reason for the request being rejected": every 4xx variant keeps its
//!   body (text, or the 422's validation errors). The API speaks XML, and
//!   so do the client and the emulator, errors included: the 422's errors
//!   come as `<errors><error>Name can't be blank</error></errors>`, read
//!   with `#[api(body(xml))]`; a 422 whose body is not that XML goes to
//!   `Other`, never retried, as any body the enum cannot read, and so does
//!   a 2xx whose body is not the resource's XML (`apifault::reqwest::xml`).
//!   *Ours*: the other 4xx reasons are plain text (the page gives no shape
//!   for them).
//! - 401 "bad or missing credentials (digest auth)": the client answers
//!   the server's Digest challenge ([`crate::digest`]); the emulator
//!   answers 401 with a challenge to a request without credentials or
//!   with wrong ones. *Ours*: the realm, the nonce (one per emulator) and
//!   the demo credentials ([`DEMO_USER`], [`DEMO_PASSWORD`]).
//! - 406 "unsupported `Accept`": the client sends `Accept:
//!   application/xml`; the emulator answers 406 to an `Accept` that
//!   admits no XML. *Ours*: the emulator speaks XML only (415 to a body
//!   sent as anything else).
//! - 429 "is retried after `Ratelimit-Reset` seconds", "no exponential
//!   backoff for 429": the wait is the header's, exactly, and it is a
//!   wait the server asked for, not a failure, so it uses up none of the
//!   "four retries", which are about 5xx (the policy's `max_server_waits`
//!   bounds it apart, `max_elapsed` bounds both). A reset longer than
//!   [`MAX_RATE_LIMIT_WAIT`] (300 s, above the page's example of 200 s)
//!   gives up at once, and the give-up hook is told why
//!   ([`apifault::StopReason::ServerWaitTooLong`]).
//! - 5xx "exponential backoff", their example: "a 1st retry 2 seconds after
//!   the first attempt, then a 2nd retry 4 seconds after, then a 3rd retry
//!   16 seconds after and so on. With something like this, four retries
//!   should probably be enough"; then give up, stop the sequence of
//!   dependent operations, and notify ([`OnDemandClient::on_give_up`]).
//!   *Ours*: the page's schedule as written (2, 4, 16 s); "and so on"
//!   names no fourth wait, so the last one repeats (the fourth retry waits
//!   16 s again). 503 is
//!   maintenance mode and backs off like every 5xx; so do 501 and 505,
//!   which the page does not single out.
//! - "Every synchronous request is atomic": after any 4xx or 5xx nothing
//!   changed, so a failed POST is resent.
//! - "Every response may carry `X-Request-Id`", which support asks for:
//!   every variant keeps it. *Ours*: its format (`req-000001`).
//! - Rate-limit headers `Ratelimit-Limit`, `-Remaining`, `-Reset` (the
//!   Mediagenix page; example 150, 100, 200): the emulator sends them on
//!   every response, errors included, and a [`Throttle`] can read them.
//!   The BeBanjo page has no such section: the BeBanjo emulator
//!   ([`crate::bebanjo::start`]) sends none, and the same client works
//!   against both. *Ours*: without `Ratelimit-Reset` there is no wait to
//!   honour, so a BeBanjo 429 backs off like a failure (2 s, 4 s, …).
//! - File names may not contain `& $ + , / : ; = ? @ < > [ ] { } | \ ^ ~ % #`,
//!   whitespace, `(` or `)` (a 4xx "The request could not be processed by
//!   the server due to malformed syntax"): the client rejects them before
//!   sending.
//! - *Ours*: the routes and bodies (`/titles` in XML, a `<title>` with an
//!   `<id>` and a `<name>`): the page lists statuses, not resources.
//! - A status the page does not list: a 4xx is never retried (a 408
//!   included), a 5xx backs off.

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

use crate::digest::Challenge;
use crate::emulator::{Emulator, Gate, answer, insert_rate_limit};

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The body of a 422: what failed validation, as the API writes it,
/// `<errors><error>Name can't be blank</error></errors>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "errors")]
pub struct ValidationErrors {
    /// One message per problem, an `<error>` element each.
    #[serde(rename = "error", default)]
    pub errors: Vec<String>,
}

/// Every documented error of the On-Demand API.
#[derive(Debug, thiserror::Error, ApiError, apifault::IntoResponse)]
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
    #[error("unauthorized: {body}")]
    #[api(status = 401)]
    Unauthorized {
        /// The reason, as the server wrote it.
        #[api(body)]
        body: String,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 404.
    #[error("not found: {body}")]
    #[api(status = 404)]
    NotFound {
        /// The reason, as the server wrote it.
        #[api(body)]
        body: String,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 405: the resource does not support the method.
    #[error("method not allowed: {body}")]
    #[api(status = 405)]
    MethodNotAllowed {
        /// The reason, as the server wrote it.
        #[api(body)]
        body: String,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 406: unsupported `Accept`.
    #[error("not acceptable: {body}")]
    #[api(status = 406)]
    NotAcceptable {
        /// The reason, as the server wrote it.
        #[api(body)]
        body: String,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 415: unsupported `Content-Type`.
    #[error("unsupported media type: {body}")]
    #[api(status = 415)]
    UnsupportedMediaType {
        /// The reason, as the server wrote it.
        #[api(body)]
        body: String,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 422: validation errors, detailed in the body (XML).
    #[error("validation failed: {}", body.errors.join("; "))]
    #[api(status = 422)]
    Invalid {
        /// What failed.
        #[api(body(xml))]
        body: ValidationErrors,
        /// For support.
        #[api(request_id)]
        request_id: Option<String>,
    },
    /// 429: retried after `Ratelimit-Reset` seconds.
    #[error("rate limited for {wait:?}: {body}")]
    #[api(status = 429)]
    RateLimited {
        /// The reason, as the server wrote it.
        #[api(body)]
        body: String,
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

/// A title, `<title><id>1</id><name>Heat</name></title>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "title")]
pub struct Title {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
}

/// What `create_title` sends, `<title><name>Heat</name></title>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename = "title")]
pub struct NewTitle {
    /// The name.
    pub name: String,
}

/// A subtitle file attached to a title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "subtitle")]
pub struct Subtitle {
    /// The title it belongs to.
    pub title_id: u64,
    /// The file name.
    pub file_name: String,
}

/// The longest `Ratelimit-Reset` the client waits out; a longer one gives
/// up at once (with [`apifault::StopReason::ServerWaitTooLong`]) rather
/// than coming back early. The page's own example is a reset of 200 s, so
/// the cap must be above it: 300 s leaves room for a window a little
/// longer than the example without holding a call for many minutes.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(300);

/// The user name the emulator accepts (ours: the page names none).
pub const DEMO_USER: &str = "demo";

/// The password of [`DEMO_USER`] (ours).
pub const DEMO_PASSWORD: &str = "on-demand-secret";

/// The retry policy the documentation asks for: four retries for 5xx,
/// waiting 2, 4, 16 and again 16 s (see the module docs), and a 429
/// waited out for exactly `Ratelimit-Reset`, up to
/// [`MAX_RATE_LIMIT_WAIT`]. Rate limits do not count against the four
/// retries: up to 10 of them are waited out (the policy's default
/// `max_server_waits`), and 10 minutes bound the whole call.
#[must_use]
pub fn documented_policy() -> RetryPolicy {
    // The page's example, as written: 2 s, 4 s, 16 s; "and so on" is the
    // last delay again, so the fourth retry waits 16 s.
    RetryPolicy::delays([2, 4, 16].map(Duration::from_secs))
        .jitter(Jitter::None)
        .max_retries(4)
        .max_server_wait(MAX_RATE_LIMIT_WAIT)
        .max_server_waits(10)
        .max_elapsed(Duration::from_secs(600))
}

/// What the client knows of the server's Digest challenge: the challenge,
/// and how many requests it answered (`nc`).
type Answered = Arc<Mutex<Option<(Challenge, u32)>>>;

/// A client of the On-Demand API.
#[derive(Clone, Debug)]
pub struct OnDemandClient {
    http: reqwest::Client,
    base: String,
    policy: RetryPolicy,
    throttle: Option<Throttle>,
    credentials: Option<(String, String)>,
    challenge: Answered,
    accept: String,
}

impl OnDemandClient {
    /// A client of the API at `base` (e.g. `http://127.0.0.1:8080`),
    /// signing in with the emulator's demo credentials.
    #[must_use]
    pub fn new(base: impl Into<String>, policy: RetryPolicy) -> Self {
        Self::without_credentials(base, policy).with_credentials(DEMO_USER, DEMO_PASSWORD)
    }

    /// A client that sends no credentials: every call is a 401.
    #[must_use]
    pub fn without_credentials(base: impl Into<String>, policy: RetryPolicy) -> Self {
        OnDemandClient {
            http: reqwest::Client::new(),
            base: base.into(),
            policy,
            throttle: None,
            credentials: None,
            challenge: Answered::default(),
            accept: XML.into(),
        }
    }

    /// Starts from a Digest challenge this client answered before (a nonce
    /// kept from an earlier session), so that its first request already
    /// carries credentials instead of meeting the challenge's 401.
    #[must_use]
    pub fn with_challenge(self, challenge: Challenge) -> Self {
        *lock(&self.challenge) = Some((challenge, 0));
        self
    }

    /// Sends `accept` as the `Accept` header instead of
    /// `application/xml` (the emulator answers 406 to one that admits no
    /// XML).
    #[must_use]
    pub fn with_accept(mut self, accept: &str) -> Self {
        self.accept = accept.to_owned();
        self
    }

    /// The base URL this client calls.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Answers the server's Digest challenges as `user` with `password`.
    #[must_use]
    pub fn with_credentials(mut self, user: &str, password: &str) -> Self {
        self.credentials = Some((user.to_owned(), password.to_owned()));
        self.challenge = Answered::default();
        self
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

    /// Sends `request` as XML-accepting and signed in. Digest is a
    /// handshake below the API's errors: a 401 that carries a challenge
    /// the client has not answered yet (its first request, or a new
    /// nonce) is answered once, as any HTTP client does; a 401 to an
    /// answered challenge (wrong credentials) or without credentials to
    /// answer with is the API's 401.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, OnDemandError> {
        let request = request
            .header(reqwest::header::ACCEPT, &self.accept)
            .build()?;
        let resend = request.try_clone();
        let (request, answered) = self.sign(request);
        let response = self.execute(request).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED || self.credentials.is_none() {
            return Ok(response);
        }
        let challenge = response
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(Challenge::parse);
        let (Some(challenge), Some(resend)) = (challenge, resend) else {
            return Ok(response);
        };
        if answered.as_ref() == Some(&challenge) {
            return Ok(response);
        }
        *lock(&self.challenge) = Some((challenge, 0));
        let (request, _) = self.sign(resend);
        Ok(self.execute(request).await?)
    }

    /// Adds the answer to the known challenge, if any: the request, and
    /// the challenge it answers.
    fn sign(&self, mut request: reqwest::Request) -> (reqwest::Request, Option<Challenge>) {
        let Some((user, password)) = &self.credentials else {
            return (request, None);
        };
        let mut known = lock(&self.challenge);
        let Some((challenge, nc)) = known.as_mut() else {
            return (request, None);
        };
        *nc += 1;
        let url = request.url();
        let uri = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let header = challenge.authorize(user, password, request.method().as_str(), &uri, *nc);
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&header) {
            request
                .headers_mut()
                .insert(reqwest::header::AUTHORIZATION, value);
        }
        (request, Some(challenge.clone()))
    }

    async fn execute(
        &self,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, reqwest::Error> {
        match &self.throttle {
            Some(throttle) => {
                let request = reqwest::RequestBuilder::from_parts(self.http.clone(), request);
                apifault::reqwest::send(throttle, request).await
            }
            None => self.http.execute(request).await,
        }
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
        apifault::reqwest::xml(response).await
    }

    /// `POST /titles`: not idempotent, but the API is atomic, so a failed
    /// attempt changed nothing and may be resent.
    #[apifault::retry(policy = &self.policy, idempotent = false)]
    pub async fn create_title(&self, title: &NewTitle) -> Result<Title, OnDemandError> {
        let response = self
            .send(xml_request(self.http.post(self.url("/titles")), title))
            .await?;
        apifault::reqwest::xml(response).await
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
        let body = NewSubtitle {
            file_name: file_name.to_owned(),
        };
        let response = self
            .send(xml_request(
                self.http
                    .post(self.url(&format!("/titles/{title_id}/subtitles"))),
                &body,
            ))
            .await?;
        apifault::reqwest::xml(response).await
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

/// The media type the API speaks.
const XML: &str = "application/xml";

/// `value` as an XML document.
fn to_xml(value: &impl Serialize) -> String {
    // Our request and response types are structs of strings and numbers,
    // which always serialize; an empty body would be the server's 400.
    quick_xml::se::to_string(value).unwrap_or_default()
}

/// `request` with `value` as its XML body.
fn xml_request(
    request: reqwest::RequestBuilder,
    value: &impl Serialize,
) -> reqwest::RequestBuilder {
    request
        .header(reqwest::header::CONTENT_TYPE, XML)
        .body(to_xml(value))
}

/// A success body in XML, as the emulator answers.
struct Xml<T>(T);

impl<T: Serialize> IntoResponse for Xml<T> {
    fn into_response(self) -> Response {
        ([(axum::http::header::CONTENT_TYPE, XML)], to_xml(&self.0)).into_response()
    }
}

/// The emulator's state: scripted faults and the titles it stores.
#[derive(Debug)]
pub struct OnDemandEmulator {
    /// Scripts, quota, maintenance and the request log.
    pub emulator: Emulator<OnDemandError>,
    titles: Mutex<HashMap<u64, Title>>,
    next_id: AtomicU64,
    next_request: AtomicU64,
    /// Whether responses carry `Ratelimit-*` headers: the Mediagenix page
    /// documents them, the BeBanjo page does not.
    rate_limit_headers: bool,
    challenge: Challenge,
}

impl OnDemandEmulator {
    /// A new Mediagenix emulator holding title 1, "Heat", announcing its
    /// rate limit in `Ratelimit-*` headers.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Self::with_rate_limit_headers(true)
    }

    /// A new emulator holding title 1, "Heat"; with `false`, no response
    /// carries a `Ratelimit-*` header (BeBanjo).
    #[must_use]
    pub fn with_rate_limit_headers(rate_limit_headers: bool) -> Arc<Self> {
        static NONCES: AtomicU64 = AtomicU64::new(1);
        let nonce = NONCES.fetch_add(1, Ordering::Relaxed);
        let state = OnDemandEmulator {
            emulator: Emulator::default(),
            titles: Mutex::default(),
            next_id: AtomicU64::new(2),
            next_request: AtomicU64::new(0),
            rate_limit_headers,
            challenge: Challenge {
                realm: "On-Demand API".into(),
                nonce: crate::digest::md5_hex(format!("on-demand-{nonce}").as_bytes()),
            },
        };
        state.titles.lock().expect("titles").insert(
            1,
            Title {
                id: 1,
                name: "Heat".into(),
            },
        );
        Arc::new(state)
    }

    /// The Digest challenge this emulator states in its 401s.
    #[must_use]
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
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
                body: "Rate limit exceeded".into(),
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
        if let Some(announced) = announced.filter(|_| self.rate_limit_headers) {
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
        if !self.rate_limit_headers {
            for name in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
                headers.remove(name);
            }
        } else if !headers.contains_key("ratelimit-remaining")
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
        Some(title) => api.success(ENDPOINT, announced, Xml(title)),
        None => {
            let error = OnDemandError::NotFound {
                body: "Not found".into(),
                request_id: Some(api.request_id()),
            };
            api.fail(ENDPOINT, error)
        }
    }
}

fn is_xml(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(XML) || v.starts_with("text/xml"))
}

async fn create_title(State(api): Shared, headers: HeaderMap, body: String) -> Response {
    const ENDPOINT: &str = "POST /titles";
    let announced = match api.gate(ENDPOINT) {
        Gate::Fail(error) => return api.fail(ENDPOINT, error),
        Gate::Pass(announced) => announced,
    };
    if !is_xml(&headers) {
        return api.fail(
            ENDPOINT,
            OnDemandError::UnsupportedMediaType {
                body: "Unsupported Content-Type".into(),
                request_id: Some(api.request_id()),
            },
        );
    }
    let Ok(new) = quick_xml::de::from_str::<NewTitle>(&body) else {
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
    api.success(ENDPOINT, announced, (StatusCode::CREATED, Xml(title)))
}

/// What `add_subtitle` sends, `<subtitle><file_name>…</file_name></subtitle>`.
#[derive(Serialize, Deserialize)]
#[serde(rename = "subtitle")]
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
    let Ok(new) = quick_xml::de::from_str::<NewSubtitle>(&body) else {
        return api.fail(ENDPOINT, malformed());
    };
    if restricted_character(&new.file_name).is_some() {
        return api.fail(ENDPOINT, malformed());
    }
    if !api.titles.lock().expect("titles").contains_key(&id) {
        return api.fail(
            ENDPOINT,
            OnDemandError::NotFound {
                body: "Not found".into(),
                request_id: Some(api.request_id()),
            },
        );
    }
    let subtitle = Subtitle {
        title_id: id,
        file_name: new.file_name,
    };
    api.success(ENDPOINT, announced, (StatusCode::CREATED, Xml(subtitle)))
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
                body: "Not found".into(),
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
                body: "Not found".into(),
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
        body: "Method not supported by the resource".into(),
        request_id: Some(api.request_id()),
    };
    api.fail(&endpoint, error)
}

/// Whether an `Accept` value admits XML: `application/xml`, `text/xml`,
/// `application/*` or `*/*` among its media ranges (parameters ignored).
fn accepts_xml(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let range = range.split(';').next().unwrap_or("").trim();
        [XML, "text/xml", "application/*", "*/*"]
            .iter()
            .any(|ok| range.eq_ignore_ascii_case(ok))
    })
}

/// Before any route: credentials (401 with a Digest challenge when they
/// are missing or wrong), then `Accept` (406 when it admits no XML). A
/// request turned away here is logged as `"METHOD /path"`, its actual
/// path, since no route matched it yet.
async fn gatekeeper(
    State(api): Shared,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let endpoint = format!("{} {}", request.method(), request.uri().path());
    let uri = request
        .uri()
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str);
    let headers = request.headers();
    let signed_in = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|authorization| {
            crate::digest::verify(
                authorization,
                &api.challenge,
                DEMO_USER,
                DEMO_PASSWORD,
                request.method().as_str(),
                uri,
            )
        });
    if !signed_in {
        let mut response = api.fail(
            &endpoint,
            OnDemandError::Unauthorized {
                body: "Bad or missing credentials".into(),
                request_id: Some(api.request_id()),
            },
        );
        if let Ok(value) = HeaderValue::from_str(&api.challenge.header()) {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, value);
        }
        return response;
    }
    let acceptable = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(accepts_xml);
    if !acceptable {
        return api.fail(
            &endpoint,
            OnDemandError::NotAcceptable {
                body: "Unsupported Accept header: this API answers application/xml".into(),
                request_id: Some(api.request_id()),
            },
        );
    }
    next.run(request).await
}

/// The emulator's routes, over `state`.
pub fn router(state: Arc<OnDemandEmulator>) -> axum::Router {
    axum::Router::new()
        .route("/titles", post(create_title))
        .route("/titles/{id}", get(get_title).delete(delete_title))
        .route("/titles/{id}/subtitles", post(add_subtitle))
        .route("/titles/{id}/publication", post(publish))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            gatekeeper,
        ))
        .with_state(state)
}

/// Starts a Mediagenix emulator (with `Ratelimit-*` headers) on a
/// loopback port: its address and its state.
pub async fn start() -> std::io::Result<(String, Arc<OnDemandEmulator>)> {
    serve(OnDemandEmulator::new()).await
}

/// Starts a BeBanjo emulator on a loopback port: the same contract, and no
/// `Ratelimit-*` header on any response, as the BeBanjo page documents
/// none.
pub async fn start_bebanjo() -> std::io::Result<(String, Arc<OnDemandEmulator>)> {
    serve(OnDemandEmulator::with_rate_limit_headers(false)).await
}

async fn serve(state: Arc<OnDemandEmulator>) -> std::io::Result<(String, Arc<OnDemandEmulator>)> {
    let addr = crate::emulator::serve(router(Arc::clone(&state))).await?;
    Ok((format!("http://{addr}"), state))
}

/// Whether `waits` back off as the page's example does: "a 1st retry 2
/// seconds after the first attempt, then a 2nd retry 4 seconds after, then
/// a 3rd retry 16 seconds after and so on": 2 s, 4 s, 16 s, then 16 s
/// again (ours: "and so on" repeats the last).
fn page_backoff(waits: &[Duration]) -> bool {
    let page = [2, 4, 16].map(Duration::from_secs);
    waits
        .iter()
        .enumerate()
        .all(|(i, wait)| *wait == page[i.min(page.len() - 1)])
}

/// Whether a 4xx kept its body, as the page says it "will normally provide
/// the reason for the request being rejected".
fn reason_kept(error: &OnDemandError) -> bool {
    match error {
        OnDemandError::BadRequest { body, .. }
        | OnDemandError::Unauthorized { body, .. }
        | OnDemandError::NotFound { body, .. }
        | OnDemandError::MethodNotAllowed { body, .. }
        | OnDemandError::NotAcceptable { body, .. }
        | OnDemandError::UnsupportedMediaType { body, .. }
        | OnDemandError::RateLimited { body, .. } => !body.is_empty(),
        OnDemandError::Invalid { body, .. } => !body.errors.is_empty(),
        _ => false,
    }
}

/// The Mediagenix scenario the tour runs: each rule of the page once, with
/// the `Ratelimit-*` headers the Mediagenix page documents.
pub async fn scenarios() -> std::io::Result<Vec<crate::tour::Row>> {
    let (base, api) = start().await?;
    scenarios_on(&base, &api, true).await
}

/// The BeBanjo scenario: the same contract, against an emulator that sends
/// no `Ratelimit-*` header (the BeBanjo page has no section on them).
pub async fn bebanjo_scenarios() -> std::io::Result<Vec<crate::tour::Row>> {
    let (base, api) = start_bebanjo().await?;
    scenarios_on(&base, &api, false).await
}

async fn scenarios_on(
    base: &str,
    api: &OnDemandEmulator,
    rate_limit_headers: bool,
) -> std::io::Result<Vec<crate::tour::Row>> {
    use crate::tour::{Recorder, row};

    let secs = Duration::from_secs;
    let recorder = Recorder::default();
    let client = OnDemandClient::new(base, recorder.attach(documented_policy()));
    let emu = &api.emulator;
    let server = |code: u16| OnDemandError::Server {
        status: StatusCode::from_u16(code).expect("status"),
        request_id: Some(format!("req-{code}")),
    };
    let rate_limited = |reset: u64| OnDemandError::RateLimited {
        body: "Rate limit exceeded".into(),
        wait: Some(secs(reset)),
        rate_limit: Some(RateLimit::new(150, 0, secs(reset))),
        request_id: Some("req-429".into()),
    };
    let mut rows = Vec::new();

    rows.push(
        row(
            "GET /titles/1 (first request: Digest challenge)",
            "401 \"bad or missing credentials (digest auth)\"",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, w| r.as_ref().is_ok_and(|t| t.name == "Heat") && s == [401, 200] && w.is_empty(),
        )
        .await,
    );
    rows.push(
        row(
            "GET /titles/1",
            "\"clients must not depend on which 2xx they get\"",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, _| r.is_ok() && s == [200],
        )
        .await,
    );
    let anonymous = OnDemandClient::without_credentials(base, recorder.attach(documented_policy()));
    rows.push(
        row(
            "GET /titles/1 without credentials (401)",
            "401 \"bad or missing credentials\"; never retry a 4xx",
            emu,
            &recorder,
            anonymous.get_title(1),
            |r, s, w| {
                matches!(r, Err(e @ OnDemandError::Unauthorized { .. }) if reason_kept(e))
                    && s == [401]
                    && w.is_empty()
            },
        )
        .await,
    );
    let intruder = OnDemandClient::new(base, recorder.attach(documented_policy()))
        .with_credentials(DEMO_USER, "wrong");
    rows.push(
        row(
            "GET /titles/1 wrong password (challenge, 401)",
            "401 \"bad or missing credentials\"; never retry a 4xx",
            emu,
            &recorder,
            intruder.get_title(1),
            |r, s, w| {
                matches!(r, Err(e @ OnDemandError::Unauthorized { .. }) if reason_kept(e))
                    && s == [401, 401]
                    && w.is_empty()
            },
        )
        .await,
    );
    let json_only = client.clone().with_accept("application/json");
    rows.push(
        row(
            "GET /titles/1 Accept: application/json (406)",
            "406 \"unsupported Accept\"; never retry a 4xx",
            emu,
            &recorder,
            json_only.get_title(1),
            |r, s, w| {
                matches!(r, Err(e @ OnDemandError::NotAcceptable { .. }) if reason_kept(e))
                    && s == [406]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "GET /titles/99 (404)",
            "\"the response body will normally provide the reason\"",
            emu,
            &recorder,
            client.get_title(99),
            |r, s, w| {
                matches!(r, Err(e @ OnDemandError::NotFound { request_id: Some(_), .. }) if reason_kept(e))
                    && s == [404]
                    && w.is_empty()
            },
        )
        .await,
    );
    emu.script("GET /titles/{id}", [rate_limited(200)]);
    if rate_limit_headers {
        rows.push(
            row(
                "GET /titles/1 (429, Ratelimit-Reset: 200)",
                "429 \"retried after Ratelimit-Reset seconds\", \"no exponential backoff\"",
                emu,
                &recorder,
                client.get_title(1),
                |r, s, w| r.is_ok() && s == [429, 200] && w == [secs(200)],
            )
            .await,
        );
        emu.script(
            "GET /titles/{id}",
            [
                rate_limited(30),
                server(500),
                rate_limited(30),
                server(502),
                server(503),
                server(504),
            ],
        );
        rows.push(
            row(
                "GET /titles/1 (429, 500, 429, 502, 503, 504)",
                "\"four retries\" are for 5xx; a 429 waits its reset",
                emu,
                &recorder,
                client.get_title(1),
                |r, s, w| {
                    // The wait after each answer: a 429's is its reset, a
                    // 5xx's the backoff.
                    let after = |status: u16| -> Vec<Duration> {
                        w.iter()
                            .zip(s)
                            .filter(|(_, answered)| {
                                **answered == status || (status == 500 && **answered > 500)
                            })
                            .map(|(wait, _)| *wait)
                            .collect()
                    };
                    let backoffs = after(500);
                    r.is_ok()
                        && s == [429, 500, 429, 502, 503, 504, 200]
                        && after(429) == [secs(30), secs(30)]
                        && backoffs.len() == 4
                        && page_backoff(&backoffs)
                },
            )
            .await,
        );
        emu.script("GET /titles/{id}", [rate_limited(3_600)]);
        rows.push(
            row(
                "GET /titles/1 (429, Ratelimit-Reset: 3600)",
                "429 waits Ratelimit-Reset; ours: over 300 s (page's example 200 s) gives up, saying why",
                emu,
                &recorder,
                client.get_title(1),
                |r, s, w| {
                    matches!(r, Err(OnDemandError::RateLimited { wait: Some(wait), .. }) if *wait == secs(3_600))
                        && s == [429]
                        && w.is_empty()
                        && recorder.last_stop()
                            == Some(apifault::StopReason::ServerWaitTooLong { asked: secs(3_600) })
                },
            )
            .await,
        );
    } else {
        rows.push(
            row(
                "GET /titles/1 (429, no Ratelimit-Reset)",
                "ours: the BeBanjo page documents no rate-limit header: back off",
                emu,
                &recorder,
                client.get_title(1),
                |r, s, w| r.is_ok() && s == [429, 200] && w == [secs(2)],
            )
            .await,
        );
    }
    emu.script("GET /titles/{id}", [server(500), server(502), server(504)]);
    rows.push(
        row(
            "GET /titles/1 (500, 502, 504)",
            "5xx: \"a 1st retry 2 seconds after …, then a 2nd retry 4 seconds after\"",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, w| r.is_ok() && s == [500, 502, 504, 200] && w.len() == 3 && page_backoff(w),
        )
        .await,
    );
    emu.script("GET /titles/{id}", (0..5).map(|_| server(500)));
    rows.push(
        row(
            "GET /titles/1 (500 x5)",
            "\"four retries should probably be enough\", then give up",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, w| {
                matches!(r, Err(OnDemandError::Server { status, request_id: Some(id) }) if status.as_u16() == 500 && id == "req-500")
                    && s == [500; 5]
                    && w.len() == 4
                    && page_backoff(w)
            },
        )
        .await,
    );
    api.emulator.maintenance_for(secs(5));
    rows.push(
        row(
            "GET /titles/1 (maintenance for 5 s)",
            "\"503 while the application is in maintenance mode\": back off",
            emu,
            &recorder,
            client.get_title(1),
            |r, s, w| r.is_ok() && s == [503, 503, 200] && page_backoff(w),
        )
        .await,
    );
    emu.script("POST /titles", [server(500)]);
    let new = NewTitle {
        name: "Heat 2".into(),
    };
    rows.push(
        row(
            "POST /titles (500, resent)",
            "\"every synchronous request is atomic\"",
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
            "422 \"validation errors (details in the body)\"",
            emu,
            &recorder,
            client.create_title(&blank),
            |r, s, w| {
                matches!(r, Err(e @ OnDemandError::Invalid { .. }) if reason_kept(e))
                    && s == [422]
                    && w.is_empty()
            },
        )
        .await,
    );
    rows.push(
        row(
            "POST /titles/1/subtitles \"a&b.srt\"",
            "file names \"may not contain & $ + , / : ; …\"",
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
            "\"the publication resource 202, processed later\"",
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
            body: "Unsupported Content-Type".into(),
            request_id: Some("req-415".into()),
        }],
    );
    rows.push(
        row(
            "create, subtitle (415), publish",
            "\"stop the sequence of dependent operations\"",
            emu,
            &recorder,
            client.create_and_publish("Heat 3", "heat3.srt"),
            |r, s, _| {
                matches!(r, Err(e @ OnDemandError::UnsupportedMediaType { .. }) if reason_kept(e))
                    && s == [201, 415]
            },
        )
        .await,
    );
    rows.push(
        row(
            "DELETE /titles/1",
            "\"DELETE 204\" (any 2xx is success)",
            emu,
            &recorder,
            client.delete_title(1),
            |r, s, _| r.is_ok() && s == [204],
        )
        .await,
    );
    Ok(rows)
}
