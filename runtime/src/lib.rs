//! Typed HTTP API errors that know what they mean.
//!
//! Write one enum for the errors of the API you call (or serve).
//! `#[derive(ApiError)]` ties each variant to the status codes it stands for
//! and to its retry semantics; the generated code decodes any response into
//! the right variant ([`FromResponse`]) and classifies it ([`ApiError`]).
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, serde::Deserialize)]
//! pub struct Validation {
//!     pub message: String,
//! }
//!
//! #[derive(Debug, ApiError)]
//! #[api(retry_after = "Ratelimit-Reset", request_id = "X-Request-Id", atomic)]
//! pub enum OnDemandError {
//!     #[api(status = 404)]
//!     NotFound,
//!     #[api(status = 422)]
//!     Invalid { #[api(body)] body: Validation },
//!     #[api(status = 429)]
//!     RateLimited { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(status = 503, retry = "backoff")]
//!     Maintenance { #[api(request_id)] request_id: Option<String> },
//!     #[api(status = 500..=599)]
//!     Server { #[api(status)] status: StatusCode },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode, #[api(body)] body: String },
//! }
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("ratelimit-reset", "200".parse().unwrap());
//! let e = OnDemandError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &headers, b""));
//! assert_eq!(e.retry(), Retry::After);
//! assert_eq!(e.retry_after(), Some(Duration::from_secs(200)));
//!
//! let e = OnDemandError::from_response(ResponseParts::new(
//!     StatusCode::UNPROCESSABLE_ENTITY,
//!     &headers,
//!     br#"{"message": "title is blank"}"#,
//! ));
//! assert!(matches!(&e, OnDemandError::Invalid { body } if body.message == "title is blank"));
//! assert!(!e.is_retryable());
//! assert!(e.safe_to_resend()); // the API is atomic: a failed request changed nothing
//! ```
//!
//! # The attribute grammar
//!
//! On the enum, `#[api(…)]` takes:
//!
//! | key | meaning |
//! |---|---|
//! | `retry_after = "Header"` or `["A", "B"]` | where the server's wait hint is, tried in order (default `Retry-After`); `Retry-After` is delta-seconds or an HTTP-date, any other header a reset: delta-seconds, or a Unix time from 10^9 on (see [`headers::retry_after_at`]) |
//! | `request_id = "Header"` | the request id header (default `X-Request-Id`) |
//! | `atomic` | the API promises a failed request changed nothing: every status is [`ApiError::safe_to_resend`] |
//! | `code = "/json/pointer"` or a list | where a JSON body keeps its error code, for `when(code = …)`: RFC 6901 pointers tried in order, the first holding a string or a number wins |
//! | `should_retry = "Header"` | the header carrying the server's own retry decision, for `should_retry` fields (default `X-Should-Retry`) |
//! | `retry_after = [ms("retry-after-ms"), secs("/retry_after"), "Retry-After"]` or `retry_after = path` | typed hint sources: `secs`, `ms`, `unix`, `timestamp`, `duration`, in a header or (a name starting with `/`) a JSON pointer into the body; or a hint function (see [`recipes`] and [`hints`]) |
//! | `rate_limit(limit = "…", remaining = "…", reset = duration("…"), used = "…")` | the API's own rate-limit headers, read by `rate_limit` fields and by a [`Throttle`] observing for this enum |
//! | `error_2xx(body = "/ok: false")` | a 2xx whose body says so is an error ([`FromResponse::is_error`]); variants may then claim 2xx statuses |
//!
//! On a variant:
//!
//! | key | meaning |
//! |---|---|
//! | `status = 404`, `status = 500..=599`, `status = [502, 504]` | the statuses it stands for; an exact status wins over a range |
//! | `retry = "never" \| "backoff" \| "after"` | overrides [`Retry::for_status`] |
//! | `transport` | the variant for failures below HTTP (its error field may implement [`TransportError`]) |
//! | `other` | every response no other variant claims; makes decoding total and generates [`FromResponse`] |
//! | `when(header = "Name")`, `when(header = "Name: value")`, `when(code = "X")`, `when(code = ["X", "Y"])`, `when(body = "/pointer: value")`, `when(body = "/pointer")`, several at once, or `when = path` | conditions beyond the status that must all hold; without `status`, any non-2xx status (see [`recipes`]) |
//! | `retry_after = "Header"` or a list | this variant's hint headers, replacing the enum's |
//! | `default_wait = "60s"` | the wait when the response gives no hint (`ms`, `s`, `m`, `h`) |
//!
//! A variant without `#[api]` is a local error (raised before sending): no
//! status, never retried, never decoded.
//!
//! On a field:
//!
//! | key | type | filled with |
//! |---|---|---|
//! | `status` | `http::StatusCode` or `u16` | the response's status |
//! | `body`, `body(json)`, `body(xml)` | `String` (lossy UTF-8), `Vec<u8>`, any `serde::de::DeserializeOwned` (JSON; XML with `body(xml)` and the `xml` feature), or `Option` of those | the body; a typed body that does not decode sends the response to `other` (`Option<T>` becomes `None` instead) |
//! | `retry_after` | `Option<Duration>` | the wait hint, see [`headers::retry_after`] |
//! | `request_id` | `Option<String>` or `String` | the request id header |
//! | `header = "Name"` | any `FromStr` type, or `Option` of one | the named header; absent or unparsable sends the response to `other` unless `Option` |
//! | `rate_limit` | `Option<RateLimit>` | see [`headers::rate_limit`] |
//! | `should_retry` | `Option<bool>` | the server's decision ([`headers::should_retry`]); where `Some`, it overrides `retry()`: `false` is `Never`, `true` keeps the variant's retry (`Backoff` where that is `Never`); resend safety is unchanged |
//!
//! Fields without `#[api]` are filled with `Default::default()`.
//!
//! For an API that answers XML, `#[api(body(xml))]` (feature `xml`, with
//! quick-xml and serde) decodes a typed body from XML exactly as `body`
//! decodes JSON: bytes that are not that XML send the response to `other`,
//! or make an `Option` field `None`. `#[derive(apifault::IntoResponse)]`
//! serves such a field as XML (`Content-Type: application/xml`), and
//! `reqwest::xml` reads an XML success. Body conditions and code pointers
//! (`code`, `when(body = …)`, a hint at `/pointer`) read JSON only.
//!
//! ```
//! # #[cfg(feature = "xml")] {
//! use apifault::{ApiError, FromResponse, ResponseParts};
//!
//! #[derive(Debug, serde::Deserialize)]
//! #[serde(rename = "errors")]
//! struct Errors {
//!     error: Vec<String>,
//! }
//!
//! #[derive(Debug, ApiError)]
//! enum MovidaError {
//!     #[api(status = 422)]
//!     Invalid { #[api(body(xml))] body: Errors },
//!     #[api(other)]
//!     Other { #[api(status)] status: http::StatusCode, #[api(body)] body: String },
//! }
//!
//! let xml = b"<errors><error>Name can't be blank</error></errors>";
//! let headers = http::HeaderMap::new();
//! let parts = ResponseParts::new(http::StatusCode::UNPROCESSABLE_ENTITY, &headers, xml);
//! let e = MovidaError::from_response(parts);
//! assert!(matches!(&e, MovidaError::Invalid { body } if body.error == ["Name can't be blank"]));
//!
//! // Not XML of that shape: the response goes to `other`, as bad JSON does.
//! let parts = ResponseParts::new(http::StatusCode::UNPROCESSABLE_ENTITY, &headers, b"{}");
//! assert!(matches!(MovidaError::from_response(parts), MovidaError::Other { .. }));
//! # }
//! ```
//!
//! # Classification beyond the status
//!
//! Real APIs decide by more than the status: GitHub answers 403 for "rate
//! limited" and for "not allowed", told apart by `x-ratelimit-remaining: 0`;
//! AWS answers 400 with `ThrottlingException` in the body; Stripe's
//! `Stripe-Should-Retry` header overrides the status. Conditions on the
//! variants say so, checked at compile time:
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! #[api(code = "/error/code", should_retry = "Stripe-Should-Retry")]
//! pub enum ApiErr {
//!     #[api(status = [403, 429], when(header = "x-ratelimit-remaining: 0"), retry = "after",
//!           retry_after = "X-RateLimit-Reset")]
//!     RateLimited { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(when(code = ["rate_limit", "ThrottlingException"]), retry = "backoff")]
//!     Throttled,
//!     #[api(status = 403)]
//!     Forbidden,
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode, #[api(should_retry)] should_retry: Option<bool> },
//! }
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
//! let e = ApiErr::from_response(ResponseParts::new(StatusCode::FORBIDDEN, &headers, b""));
//! assert_eq!(e.retry(), Retry::After);
//! let e = ApiErr::from_response(ResponseParts::new(StatusCode::FORBIDDEN, &HeaderMap::new(), b""));
//! assert_eq!(e.retry(), Retry::Never);
//! ```
//!
//! The [`recipes`] module has the grammar, the precedence between variants,
//! and worked examples for GitHub, Stripe, AWS and `x-should-retry`, each
//! from the vendor's own page.
//!
//! # Retrying
//!
//! [`RetryPolicy`] says how often and how long; the engine ([`retry`](fn@retry),
//! [`retry_blocking`], their `_with_report` forms, and the
//! [`retry`](macro@retry) attribute) applies it, asking each error:
//!
//! - [`Retry::Never`] stops at once;
//! - [`Retry::Backoff`] waits the policy's delay (`base * factor^n`, capped
//!   by `max_delay`, randomised by [`Jitter`]), or the server's hint when the
//!   error carries a longer one (a 503 with `Retry-After`);
//! - [`Retry::After`] waits the server's hint exactly (jitter never applies
//!   to a hint, neither adding to it nor taking from it), or backs off when
//!   there is none; a hint over `max_server_wait` gives up at once instead
//!   of retrying early;
//! - a call marked `idempotent = false` is retried only on errors that are
//!   [`ApiError::safe_to_resend`];
//! - `max_retries` counts failures that back off; waits the server asked
//!   for (an `After` error with its hint: a 429 with `Retry-After` or its
//!   rate-limit reset) are bounded separately, by `max_server_waits`, since
//!   a rate limit is not a failure; the backoff step grows with failures
//!   only;
//! - `max_elapsed` bounds the call's time, both kinds of wait included: a
//!   wait that would cross it gives up, no attempt starts after it, and an
//!   async retry still running when it passes is cut and the previous error
//!   returned (a first attempt is never cut);
//! - a shared [`RetryBudget`] bounds the whole.
//!
//! ## Exact schedules and idempotency keys
//!
//! A vendor's written schedule is used as written:
//! [`RetryPolicy::delays`]`([2s, 4s, 16s])` waits 2 s, 4 s, then 16 s for
//! every later retry (the last delay repeats; `max_retries` still bounds
//! the count), with no jitter and no cap unless asked; any iterator of
//! delays is a backoff too ([`RetryPolicy::backoff_with`], a fresh iterator
//! per call). In the attribute: `delays = ["2s", "4s", "16s"]`.
//!
//! A call that sends an idempotency key asks for one per logical call, the
//! same on every attempt: [`retry_keyed`] hands it to each attempt, and
//! `#[apifault::retry(idempotency_key = key)]` binds `key:`
//! [`IdempotencyKey`] in the body. Such a call is safe to resend, so it is
//! retried even under `idempotent = false` (see [`recipes`] for Stripe's
//! `Idempotency-Key`).
//!
//! ```
//! use apifault::{ApiError, ManualClock, RetryPolicy};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! enum E {
//!     #[api(status = 500)]
//!     Internal,
//! }
//!
//! let s = Duration::from_secs;
//! let clock = ManualClock::new();
//! let policy = RetryPolicy::delays([s(2), s(4), s(16)])
//!     .max_retries(4)
//!     .idempotent(false)
//!     .clock(clock.clone());
//! let mut keys = Vec::new();
//! let result = apifault::retry_keyed_blocking(&policy, |key| {
//!     keys.push(key);
//!     Err::<(), _>(E::Internal) // sent with `Idempotency-Key: {key}`
//! });
//! assert!(result.is_err());
//! assert_eq!(clock.sleeps(), [s(2), s(4), s(16), s(16)]);
//! assert!(keys.iter().all(|key| *key == keys[0]));
//! ```
//!
//! Every retry emits an INFO `tracing` event (target `apifault`: attempt,
//! delay, reason, status, request id) and calls the policy's `on_retry`
//! hook; giving up after a limit emits a WARN event, stopping on an error
//! that must not be retried a DEBUG one, and both call `on_give_up`. No
//! header value or body is logged but the request id.
//!
//! Time comes from a [`Clock`]: tokio's (pausable) by default for async
//! code, the thread's for blocking code, or a [`ManualClock`]. For users'
//! own tests, [`testing::instant_retries`] skips every wait while keeping the
//! attempts.

//!
//! # HTTP glue
//!
//! | feature | what |
//! |---|---|
//! | `derive` (default) | `#[derive(ApiError)]` and `#[apifault::retry]` |
//! | `tokio` (default) | async waits on tokio's timer, pausable in tests |
//! | `reqwest` | `reqwest::json`, `reqwest::text`, `reqwest::bytes`, `reqwest::no_content`: any 2xx is success (unless the enum says `error_2xx`), anything else becomes `E::from_response` with the body read up to a size cap (64 KiB) and a time cap (10 s; both set on `reqwest::Decoder`); `reqwest::Error` is a [`TransportError`] (a failed connect is safe to resend, a timeout is not); `reqwest::send` goes through a [`Throttle`], `reqwest::send_for::<E>` too, reading the rate-limit headers `E` names |
//! | `axum` | `#[derive(ApiError, apifault::IntoResponse)]`, opt-in per enum (an enum that does not ask keeps its own impl): the variant's status, its body field (text, bytes, JSON or, for `body(xml)`, XML, else an RFC 9457 problem document), and `retry_after`, `rate_limit`, `request_id` and `header` fields as headers, so that a response decodes back to the same variant |
//! | `xml` | `#[api(body(xml))]`: typed bodies in XML (quick-xml with serde), decoded and served as JSON ones are; `reqwest::xml` reads an XML success |
//! | `tower` | `tower::RetryLayer`: the engine as middleware for any `Service` whose error implements [`ApiError`] |
//! | `reqwest-middleware` | `middleware::Retry::<E>` and `middleware::Throttle` for a `reqwest_middleware::ClientWithMiddleware`: every request retried as `E` classifies its failures (only idempotent methods, or requests carrying an `Idempotency-Key`, are resent after a failure that may have been applied), the last response handed back as it came; see the module for moving over from reqwest-retry |
//! | `redis` | `redis::RedisThrottle` and `redis::RedisBudget`: one API quota and one retry budget shared by a fleet of workers through Redis (6 or later, or Valkey), with an in-process fallback when Redis is away or slow |
//!
//! A [`Throttle`] learns the window from every response's rate-limit
//! headers and holds the next request while it is spent, so that a
//! well-behaved client does not see a 429 at all, with windows of any
//! length (one second included) and resets rounded either way (see
//! [`LocalThrottle`]).
//!
//! A success keeps what the server said about it:
//! `reqwest::json_with_meta` (and `text_with_meta`, `bytes_with_meta`,
//! `no_content_with_meta`, `xml_with_meta`) return a [`Success`], which
//! derefs to the value and answers its status, request id (from the header
//! [`FromResponse::REQUEST_ID_HEADER`] names), announced rate limits and
//! headers through methods (`status()`, `request_id()`, `rate_limit()`,
//! `headers()`).
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # mod client {
//! use apifault::ApiError;
//!
//! #[derive(Debug, thiserror::Error, ApiError)]
//! #[api(retry_after = "Ratelimit-Reset")]
//! pub enum TitleError {
//!     #[error("not found")]
//!     #[api(status = 404)]
//!     NotFound,
//!     #[error("rate limited")]
//!     #[api(status = 429)]
//!     RateLimited { #[api(retry_after)] wait: Option<std::time::Duration> },
//!     #[error(transparent)]
//!     #[api(transport)]
//!     Transport(#[from] reqwest::Error),
//!     #[error("unexpected {status}")]
//!     #[api(other)]
//!     Other { #[api(status)] status: http::StatusCode, #[api(body)] body: String },
//! }
//!
//! #[derive(serde::Deserialize)]
//! pub struct Title { pub name: String }
//!
//! pub struct Client { http: reqwest::Client, policy: apifault::RetryPolicy }
//!
//! impl Client {
//!     /// The title, with the request id support asks for
//!     /// (`title.request_id()`), whatever the outcome.
//!     #[apifault::retry(policy = &self.policy)]
//!     pub async fn title(&self, id: u64) -> Result<apifault::Success<Title>, TitleError> {
//!         let url = format!("http://127.0.0.1:8080/titles/{id}");
//!         apifault::reqwest::json_with_meta(self.http.get(url).send().await?).await
//!     }
//! }
//!
//! async fn show(client: &Client) -> Result<(), TitleError> {
//!     let title = client.title(1).await?;
//!     println!("{} (request {:?}, {})", title.name, title.request_id(), title.status());
//!     Ok(())
//! }
//! # }
//! ```

#![deny(missing_docs)]

mod budget;
mod clock;
mod engine;
mod error;
pub mod headers;
pub mod hints;
mod idempotency;
mod policy;
pub mod recipes;

/// The rule tables apifault's derive and runtime share: what a status means
/// for retrying ([`rules::retry_for_status`], which [`Retry::for_status`]
/// reads) and resending, the words of `retry = "…"` and `jitter = "…"`, and
/// the standard header names.
///
/// ```
/// assert_eq!(apifault::rules::header::RATELIMIT_RESET, "ratelimit-reset");
/// assert!(apifault::rules::safe_to_resend_status(503));
/// ```
pub use apifault_rules as rules;
mod response;
pub mod testing;
mod throttle;

mod integrations;
// `__private` names the axum glue by its former path.
#[cfg(feature = "axum")]
use integrations::axum as http_axum;
#[cfg(feature = "reqwest-middleware")]
pub use integrations::middleware;
#[cfg(feature = "redis")]
pub use integrations::redis;
#[cfg(feature = "reqwest")]
pub use integrations::reqwest;
#[cfg(feature = "tower")]
pub use integrations::tower;

#[doc(hidden)]
pub mod __private;

pub use budget::{BudgetStore, LocalBudget, RetryBudget};
pub use clock::{Clock, ManualClock, Sleep};
pub use engine::{
    RetryReport, retry, retry_blocking, retry_blocking_with_report, retry_keyed,
    retry_keyed_blocking, retry_with_report,
};
pub use error::{ApiError, Retry, TransportError};
pub use headers::RateLimit;
pub use idempotency::IdempotencyKey;
pub use policy::{GiveUpEvent, Jitter, JitterStep, RetryEvent, RetryPolicy, StopReason};
pub use response::{FromResponse, ResponseParts, Success};
pub use throttle::{LocalThrottle, RemoteReservation, Throttle, ThrottlePermit, ThrottleStore};

/// Derives [`ApiError`] (and [`FromResponse`] when the enum has an
/// `#[api(other)]` variant); see the [crate documentation](crate) for the
/// attribute grammar.
///
/// ```
/// use apifault::{ApiError, Retry};
///
/// #[derive(Debug, ApiError)]
/// enum PingError {
///     #[api(status = 503)]
///     Unavailable,
/// }
/// assert_eq!(PingError::Unavailable.retry(), Retry::Backoff);
/// ```
#[cfg(feature = "derive")]
pub use apifault_macros::ApiError;

/// Retries a client function exactly as its error type says.
///
/// On an `async fn` or a plain `fn` (free, or a method taking `&self`,
/// `&mut self` or `self`; generic; in an `impl` of a trait) returning
/// `Result<_, E>` with `E: ApiError`. The body runs once per attempt with the
/// arguments borrowed; `?` and `return` end one attempt. The signature,
/// attributes and doc comments are kept, and the error returned is the last
/// attempt's own.
///
/// | argument | meaning |
/// |---|---|
/// | `policy = EXPR` | a [`RetryPolicy`], `&RetryPolicy` or `Arc<RetryPolicy>` (anything that is [`Borrow<RetryPolicy>`](core::borrow::Borrow)), evaluated once per call (may use `self` and the arguments) |
/// | `max_retries = 4` | [`RetryPolicy::max_retries`] |
/// | `base = "2s"`, `max_delay = "30s"`, `max_elapsed = "2m"`, `max_server_wait = "5m"` | durations as `"250ms"`, `"2s"`, `"1m"`, `"1h"`, checked at compile time |
/// | `factor = 2.0` | [`RetryPolicy::factor`] |
/// | `delays = ["2s", "4s", "16s"]` | [`RetryPolicy::delays`]: a written schedule, the last delay repeating (not with `base` or `factor`) |
/// | `jitter = "none" \| "full" \| "equal" \| "decorrelated"` | [`Jitter`] |
/// | `idempotent = false` | retry only errors that are [`ApiError::safe_to_resend`]: nothing the API may have applied is sent twice |
/// | `idempotency_key = key` | binds `key:` [`IdempotencyKey`] in the body, one per call and the same on every attempt; the call is then safe to resend (retried whatever `idempotent` says) |
///
/// Knobs start from [`RetryPolicy::default`] (or [`RetryPolicy::delays`]
/// with `delays`); `policy` and knobs do not mix (but `idempotent` and
/// `idempotency_key` go with either).
///
/// ```
/// use apifault::{ApiError, RetryPolicy};
/// use std::time::Duration;
///
/// #[derive(Debug, ApiError)]
/// enum TitleError {
///     #[api(status = 404)]
///     NotFound,
///     #[api(status = 503)]
///     Unavailable,
/// }
///
/// struct Client {
///     policy: RetryPolicy,
///     calls: std::cell::Cell<u32>,
/// }
///
/// impl Client {
///     /// Fails twice with 503, then succeeds.
///     #[apifault::retry(policy = self.policy)]
///     fn get_title(&self, id: u64) -> Result<String, TitleError> {
///         self.calls.set(self.calls.get() + 1);
///         if self.calls.get() < 3 { Err(TitleError::Unavailable) } else { Ok(format!("title {id}")) }
///     }
///
///     #[apifault::retry(max_retries = 4, base = "2s", max_delay = "30s", jitter = "full", idempotent = false)]
///     async fn create_title(&self, name: &str) -> Result<String, TitleError> {
///         Err(TitleError::NotFound)
///     }
/// }
///
/// let client = Client {
///     policy: RetryPolicy::default().clock(apifault::ManualClock::new()),
///     calls: Default::default(),
/// };
/// assert_eq!(client.get_title(7).unwrap(), "title 7");
/// assert_eq!(client.calls.get(), 3);
/// ```
///
/// A body that moves an argument fails to compile with "value moved here,
/// in previous iteration of loop": each attempt needs the argument again, so
/// clone it inside the body or take it by reference. For the same reason a
/// `&mut self` method cannot return a reference borrowed from `self` (the
/// borrow checker does not yet accept a borrow returned from one iteration
/// of a loop that others reborrow): return an owned value instead.
#[cfg(feature = "derive")]
pub use apifault_macros::retry;

/// Derives `axum_core::response::IntoResponse` (so axum's `IntoResponse`)
/// for an enum that derives [`ApiError`](macro@ApiError), from the same
/// `#[api(...)]` attributes: the variant's status; its body field (text,
/// bytes or JSON, else an RFC 9457 problem document); its hint, rate-limit,
/// request-id, `should_retry` and `header` fields as headers; and what its
/// conditions test. So one enum serves both sides of the wire, and a served
/// response decodes back to the same variant.
///
/// It is opt-in per enum: turning on the `axum` feature changes no enum that
/// does not ask for it, so a hand-written `IntoResponse` elsewhere in the
/// build stays valid.
///
/// ```
/// use apifault::{ApiError, FromResponse, ResponseParts};
/// use axum_core::response::IntoResponse;
/// use std::time::Duration;
///
/// #[derive(Debug, PartialEq, ApiError, apifault::IntoResponse)]
/// #[api(retry_after = "Ratelimit-Reset")]
/// enum TitleError {
///     #[api(status = 429)]
///     RateLimited { #[api(retry_after)] wait: Option<Duration> },
///     #[api(other)]
///     Other { #[api(status)] status: http::StatusCode },
/// }
///
/// let response = TitleError::RateLimited { wait: Some(Duration::from_secs(200)) }.into_response();
/// assert_eq!(response.status(), http::StatusCode::TOO_MANY_REQUESTS);
/// assert_eq!(response.headers()["ratelimit-reset"], "200");
/// let back = TitleError::from_response(ResponseParts::new(response.status(), response.headers(), b""));
/// assert_eq!(back, TitleError::RateLimited { wait: Some(Duration::from_secs(200)) });
/// ```
#[cfg(all(feature = "derive", feature = "axum"))]
pub use apifault_macros::IntoResponse;

/// The README's example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
