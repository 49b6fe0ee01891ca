//! Recipes: vendors' retry rules that depend on more than the status, and
//! every vendor's dialect of waits, rate-limit headers and in-band errors,
//! written on the enum.
//!
//! Each recipe states a rule as the vendor's own documentation gives it
//! (the page is named), then the enum that encodes it, then checks that a
//! response decodes and classifies as the page says. Nothing here is
//! code to call: this module holds documentation only.
//!
//! The grammar used here (see also the tables in the [crate docs](crate)):
//!
//! | on | key | meaning |
//! |---|---|---|
//! | variant | `when(header = "Name")` | the header is present |
//! | variant | `when(header = "Name: value")` | a value of the header, trimmed, equals `value` ignoring ASCII case |
//! | variant | `when(code = "X")`, `when(code = ["X", "Y"])` | the body's error code (at the enum's `code` pointers) is one of these |
//! | variant | `when(body = "/pointer: value")` | the JSON value there (a string by its text, anything else by its JSON text) equals `value` |
//! | variant | `when(body = "/pointer")` | the value there is present and not null, false, empty or zero |
//! | variant | `when = path` | `fn(&ResponseParts<'_>) -> bool` says so |
//! | enum or variant | `retry_after = [ms("retry-after-ms"), "Retry-After"]` | hint sources tried in order (a variant's replace the enum's): `"Header"` (`Retry-After` strictly RFC 9110, `RateLimit` the IETF field, any other header a reset: seconds, or a Unix time from 10^9 on), `secs("…")` (decimals allowed), `ms("…")`, `unix("…")`, `timestamp("…")` (RFC 3339), `duration("…")` (`6m0s`, `53s`); a name starting with `/` is a JSON pointer into the body, where `*` matches any array element |
//! | enum or variant | `retry_after = path` | a `fn(&ResponseParts<'_>) -> Option<Duration>` finds the hint |
//! | enum | `rate_limit(limit = "…", remaining = "…", reset = …, used = "…")` | the API's own rate-limit headers (`used` reads a `used/limit` pair like `32/40`), read instead of the standard ones by `rate_limit` fields and by a [`Throttle`](crate::Throttle) observing for this enum |
//! | enum | `error_2xx(body = "/ok: false")` or `error_2xx(body = "/errors")` | such a 2xx is an error ([`FromResponse::is_error`](crate::FromResponse::is_error)); only then may variants claim 2xx statuses |
//! | variant | `default_wait = "60s"` | the wait when the response gives no hint |
//! | enum | `code = "/json/pointer"` or a list | where a JSON body keeps its error code (RFC 6901; tried in order) |
//! | enum | `should_retry = "Header"` | the header carrying the server's own decision (default `X-Should-Retry`) |
//! | field | `#[api(should_retry)]` `Option<bool>` | that decision: `Some(false)` never retries, `Some(true)` retries (backing off where the variant alone would not) |
//!
//! Several conditions in one `when(...)` must all hold. A variant whose
//! conditions hold beats every variant without conditions; within each of
//! those two groups an exact status beats a range, which beats a variant
//! with `when` and no status (which takes any non-2xx status); ties go to the
//! first declared; `other` comes last. A variant chosen this way whose typed
//! body does not decode goes to `other`, as for any variant.
//!
//! # GitHub: a 403 is a rate limit or a refusal, by the headers' values
//!
//! From "Rate limits for the REST API" (docs.github.com,
//! `rest/using-the-rest-api/rate-limits-for-the-rest-api`) and its best
//! practices: a primary rate limit answers 403 or 429 with
//! `x-ratelimit-remaining: 0`, and the client waits until
//! `x-ratelimit-reset`, "in UTC epoch seconds"; a secondary rate limit answers
//! 403 or 429, with `retry-after` (seconds) when there is one, and "otherwise,
//! wait for at least one minute"; GitHub sends `x-ratelimit-*` on every
//! response, so only the value 0 says "rate limited". Any other 403 is a
//! refusal and is never retried.
//!
//! A secondary limit without `retry-after` comes with a 403 and a message
//! naming it; the message is free text, so a predicate reads it.
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! fn names_secondary_limit(parts: &ResponseParts<'_>) -> bool {
//!     parts.body.windows(20).any(|w| w.eq_ignore_ascii_case(b"secondary rate limit"))
//! }
//!
//! #[derive(Debug, ApiError)]
//! #[api(request_id = "x-github-request-id")]          // hints from Retry-After by default
//! pub enum GitHubError {
//!     #[api(status = [403, 429], when(header = "x-ratelimit-remaining: 0"), retry = "after",
//!           retry_after = "X-RateLimit-Reset")]            // a Unix time: read as the wait until then
//!     PrimaryRateLimit { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(status = [403, 429], when(header = "retry-after"), retry = "after")]
//!     SecondaryRateLimit { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(status = [403, 429], when = names_secondary_limit, retry = "after", default_wait = "60s")]
//!     SecondaryWithoutHint,
//!     #[api(status = 429, default_wait = "60s")]
//!     RateLimited { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(status = 403)]
//!     Forbidden,
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
//! let mut headers = HeaderMap::new();
//! headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
//! headers.insert("x-ratelimit-reset", (now + 600).to_string().parse().unwrap());
//! let e = GitHubError::from_response(ResponseParts::new(StatusCode::FORBIDDEN, &headers, b"{}"));
//! assert!(matches!(e, GitHubError::PrimaryRateLimit { .. }));
//! assert!(e.retry_after().unwrap() > Duration::from_secs(590));
//!
//! let body = br#"{"message": "You have exceeded a secondary rate limit."}"#;
//! let e = GitHubError::from_response(ResponseParts::new(StatusCode::FORBIDDEN, &HeaderMap::new(), body));
//! assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
//!
//! headers.insert("x-ratelimit-remaining", "4999".parse().unwrap());
//! let e = GitHubError::from_response(ResponseParts::new(StatusCode::FORBIDDEN, &headers, b"{}"));
//! assert!(matches!(e, GitHubError::Forbidden));
//! assert_eq!(e.retry(), Retry::Never);
//! ```
//!
//! # Stripe: error codes in the body and `Stripe-Should-Retry`
//!
//! From "Advanced error handling" (docs.stripe.com, `error-low-level`) and
//! "Error codes" (`error-codes`): the error object sits under `error`, with
//! a `code`; `lock_timeout` means another request holds the object and the
//! call can be retried (Stripe's own libraries retry it, on its 429);
//! `rate_limit` means too many requests; and the `Stripe-Should-Retry`
//! header, when present, says whether the request may be retried, whatever
//! the status. A 409 is an idempotency conflict and is not retried unless the
//! server says so.
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//!
//! #[derive(Debug, ApiError)]
//! #[api(code = "/error/code", should_retry = "Stripe-Should-Retry", request_id = "Request-Id")]
//! pub enum StripeError {
//!     #[api(when(code = "lock_timeout"), retry = "backoff")]
//!     LockTimeout { #[api(should_retry)] should_retry: Option<bool> },
//!     #[api(when(code = "rate_limit"), retry = "backoff")]
//!     RateLimited,
//!     #[api(status = 400..=499)]
//!     Invalid {
//!         #[api(status)] status: StatusCode,
//!         #[api(should_retry)] should_retry: Option<bool>,
//!         #[api(request_id)] request_id: Option<String>,
//!     },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode, #[api(should_retry)] should_retry: Option<bool> },
//! }
//!
//! let body = br#"{"error": {"code": "lock_timeout", "type": "invalid_request_error"}}"#;
//! let e = StripeError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), body));
//! assert!(matches!(e, StripeError::LockTimeout { should_retry: None }));
//! assert_eq!(e.retry(), Retry::Backoff);
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("stripe-should-retry", "true".parse().unwrap());
//! let e = StripeError::from_response(ResponseParts::new(StatusCode::CONFLICT, &headers, b"{}"));
//! assert_eq!(e.retry(), Retry::Backoff); // the server's word beats the 409
//! headers.insert("stripe-should-retry", "false".parse().unwrap());
//! let e = StripeError::from_response(ResponseParts::new(StatusCode::SERVICE_UNAVAILABLE, &headers, b""));
//! assert_eq!(e.retry(), Retry::Never);
//! ```
//!
//! Stripe's POSTs are safe to resend with an idempotency key; without one,
//! call with `idempotent = false` and only [`ApiError::safe_to_resend`](crate::ApiError::safe_to_resend)
//! errors (a 429, a 503) are resent. `should_retry` does not change that.
//!
//! ## Stripe: one `Idempotency-Key` per logical POST
//!
//! From "Idempotent requests" (docs.stripe.com, `api/idempotent_requests`):
//! every POST accepts an `Idempotency-Key` header, a value the client makes
//! that the server uses to recognise later retries of the same request; a
//! request sent again with the same key gets the first one's result
//! instead of being applied twice. So a POST that answered 500 (which may
//! have been applied) is resent with the key it was first sent with, and a
//! new call gets a new key. `idempotency_key = key` binds one
//! [`IdempotencyKey`](crate::IdempotencyKey) per call, the same on every
//! attempt, and makes the call safe to resend even with
//! `idempotent = false`. (The key is unique, not a V4 UUID; see
//! `IdempotencyKey` for how it is made.)
//!
//! ```
//! use apifault::{ApiError, RetryPolicy};
//! use http::{Request, StatusCode};
//! use std::sync::Mutex;
//!
//! #[derive(Debug, ApiError)]
//! #[api(code = "/error/code", should_retry = "Stripe-Should-Retry", request_id = "Request-Id")]
//! pub enum StripeError {
//!     #[api(status = 500..=599)]
//!     Server { #[api(status)] status: StatusCode },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode, #[api(should_retry)] should_retry: Option<bool> },
//! }
//!
//! pub struct Stripe {
//!     policy: RetryPolicy,
//!     /// Stands for the HTTP client: what was sent, and the answers to give.
//!     sent: Mutex<Vec<Request<String>>>,
//!     answers: Mutex<Vec<StatusCode>>,
//! }
//!
//! impl Stripe {
//!     /// `POST /v1/payment_intents`: not idempotent by itself, resent
//!     /// only with the same key.
//!     #[apifault::retry(policy = &self.policy, idempotent = false, idempotency_key = key)]
//!     pub async fn create_payment_intent(&self, amount: u64) -> Result<String, StripeError> {
//!         let request = Request::post("https://api.stripe.com/v1/payment_intents")
//!             .header("Idempotency-Key", &key)
//!             .body(format!("amount={amount}&currency=eur"))
//!             .expect("a valid request");
//!         self.sent.lock().unwrap().push(request);
//!         match self.answers.lock().unwrap().pop() {
//!             Some(status) => Err(StripeError::Server { status }),
//!             None => Ok("pi_123".to_owned()),
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let stripe = Stripe {
//!     policy: RetryPolicy::default(),
//!     sent: Mutex::new(Vec::new()),
//!     answers: Mutex::new(vec![StatusCode::INTERNAL_SERVER_ERROR]),
//! };
//! assert_eq!(stripe.create_payment_intent(2000).await.unwrap(), "pi_123");
//! stripe.create_payment_intent(500).await.unwrap();
//! let sent = stripe.sent.lock().unwrap();
//! let keys: Vec<_> = sent.iter().map(|r| r.headers()["idempotency-key"].clone()).collect();
//! assert_eq!(keys.len(), 3);
//! assert_eq!(keys[0], keys[1]); // the resent POST carries its first key
//! assert_ne!(keys[1], keys[2]); // the next call has its own
//! # }
//! ```
//!
//! # AWS-style error codes: throttling on any status
//!
//! From "Retry behavior" in the AWS SDKs and Tools reference guide
//! (docs.aws.amazon.com, `sdkref/latest/guide/feature-retry-behavior.html`):
//! the SDKs retry throttling errors by their error code (`Throttling`,
//! `ThrottlingException`, `TooManyRequestsException`,
//! `ProvisionedThroughputExceededException`, `RequestLimitExceeded`, …),
//! which services send with a 400 as often as with a 429 or 503. Services on
//! the JSON protocols put the code in `__type` (or `code`); a status-less
//! `when(code = …)` catches it on any status.
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//!
//! #[derive(Debug, ApiError)]
//! #[api(code = ["/__type", "/code"], request_id = "x-amzn-RequestId")]
//! pub enum AwsError {
//!     #[api(when(code = ["Throttling", "ThrottlingException", "TooManyRequestsException",
//!                        "ProvisionedThroughputExceededException", "RequestLimitExceeded"]),
//!           retry = "backoff")]
//!     Throttled { #[api(request_id)] request_id: Option<String> },
//!     #[api(status = 400..=499)]
//!     Client { #[api(status)] status: StatusCode, #[api(body)] body: String },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let body = br#"{"__type": "ThrottlingException", "message": "Rate exceeded"}"#;
//! let e = AwsError::from_response(ResponseParts::new(StatusCode::BAD_REQUEST, &HeaderMap::new(), body));
//! assert!(matches!(e, AwsError::Throttled { .. }));
//! assert_eq!(e.retry(), Retry::Backoff);
//! ```
//!
//! Some services qualify the code with a namespace
//! (`"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"`),
//! or send it only in the `x-amzn-ErrorType` header (`Name:detail`). A code
//! condition compares exactly, so read those with a predicate:
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//!
//! const THROTTLING: &[&str] = &["ThrottlingException", "ProvisionedThroughputExceededException"];
//!
//! fn is_throttling(parts: &ResponseParts<'_>) -> bool {
//!     let header = parts.headers.get("x-amzn-errortype").and_then(|v| v.to_str().ok());
//!     let header = header.map(|v| v.split(':').next().unwrap_or(v).to_owned());
//!     let body = parts.error_code(&["/__type"]);
//!     let body = body.map(|c| c.rsplit('#').next().unwrap_or(&c).to_owned());
//!     header.into_iter().chain(body).any(|code| THROTTLING.contains(&code.as_str()))
//! }
//!
//! #[derive(Debug, ApiError)]
//! pub enum DynamoError {
//!     #[api(when = is_throttling, retry = "backoff")]
//!     Throttled,
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let body = br#"{"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"}"#;
//! let e = DynamoError::from_response(ResponseParts::new(StatusCode::BAD_REQUEST, &HeaderMap::new(), body));
//! assert_eq!(e.retry(), Retry::Backoff);
//! ```
//!
//! # The server's own decision: `x-should-retry`
//!
//! OpenAI's and Anthropic's official SDKs obey an `x-should-retry: true |
//! false` response header before looking at the status (their client
//! sources, `_should_retry`; Anthropic's "Errors" page documents the
//! retried statuses). `should_retry` defaults to that header, so the field
//! alone is enough:
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! pub enum LlmError {
//!     #[api(status = 429)]
//!     RateLimited {
//!         #[api(retry_after)] wait: Option<Duration>,
//!         #[api(should_retry)] should_retry: Option<bool>,
//!     },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode, #[api(should_retry)] should_retry: Option<bool> },
//! }
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("x-should-retry", "false".parse().unwrap());
//! let e = LlmError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &headers, b""));
//! assert_eq!(e.retry(), Retry::Never); // a 429 that will not clear by waiting
//! headers.insert("x-should-retry", "true".parse().unwrap());
//! let e = LlmError::from_response(ResponseParts::new(StatusCode::CONFLICT, &headers, b""));
//! assert_eq!(e.retry(), Retry::Backoff);
//! ```
//!
//! # Serving a conditional variant
//!
//! With the `axum` feature, `IntoResponse` writes what a variant's conditions
//! test, so that the response decodes back to the same variant: a
//! `header = "Name: value"` condition is written with its declared value; a
//! `code = …` condition puts its first code at the enum's first code pointer
//! of the problem document, when the variant has no body field of its own; a
//! `should_retry` field is written as `true`/`false`. Two conditions cannot
//! be written back: a presence-only `header = "Name"` is written only by the
//! field that fills that header (a `retry_after` field for `Retry-After`, a
//! `header = "Name"` field), and a `when = path` predicate is not written at
//! all. Such a variant, served, decodes to the variant its status alone
//! picks.
//!
//! # Twelve well-known APIs
//!
//! Each recipe below names the page its rules come from, states them, and
//! writes them on an enum; a rule the enum cannot state says so and why.
//! The tally is at the end.
//!
//! ## Slack Web API
//!
//! "Rate limits" (docs.slack.dev, `apis/web-api/rate-limits`) and the
//! method pages: a method that fails answers HTTP 200 with `{"ok": false,
//! "error": "<code>"}` ("always check the value of the `ok` params"); any
//! rate-limited call answers 429, with `{"ok": false, "error":
//! "ratelimited"}` and `Retry-After` in whole seconds; `internal_error` is
//! "likely due to a transient issue", but part of the operation may have
//! succeeded, so only a call that is safe to repeat goes again;
//! python-slack-sdk's server-error handler retries any 5xx.
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! #[api(error_2xx(body = "/ok: false"), code = "/error")]
//! pub enum SlackError {
//!     #[api(status = 429)]
//!     RateLimited { #[api(retry_after)] wait: Option<Duration> },
//!     // Not safe to resend (a 200 may have applied part of it): with
//!     // `idempotent = false`, the call stops here.
//!     #[api(status = 200, when(code = "internal_error"), retry = "backoff")]
//!     Transient,
//!     #[api(status = 200)]
//!     Failed { #[api(body)] body: serde_json::Value },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("retry-after", "30".parse().unwrap());
//! let body = br#"{"ok": false, "error": "ratelimited"}"#;
//! let e = SlackError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &headers, body));
//! assert_eq!((e.retry(), e.retry_after()), (Retry::After, Some(Duration::from_secs(30))));
//! let body = br#"{"ok": false, "error": "internal_error"}"#;
//! let parts = ResponseParts::new(StatusCode::OK, &headers, body);
//! assert!(SlackError::is_error(&parts));
//! let e = SlackError::from_response(parts);
//! assert_eq!(e.retry(), Retry::Backoff);
//! assert!(!e.safe_to_resend());
//! let e = SlackError::from_response(ResponseParts::new(StatusCode::OK, &headers, br#"{"ok": false, "error": "channel_not_found"}"#));
//! assert_eq!(e.retry(), Retry::Never);
//! ```
//!
//! ## Azure Resource Manager and Storage
//!
//! "Understand how Azure Resource Manager throttles requests"
//! (learn.microsoft.com, `azure-resource-manager/management/request-limits-and-throttling`),
//! Storage's "Status and error codes", and `@azure/core-rest-pipeline`'s
//! retry strategies: Resource Manager answers 429 with `Retry-After` in
//! seconds, its errors are `{"error": {"code": …}}` (a locked network
//! resource gives `RetryableErrorDueToAnotherOperation`), and it announces
//! `x-ms-ratelimit-remaining-subscription-reads` (and `-writes`, …);
//! Storage names its error in the `x-ms-error-code` header (`ServerBusy`
//! with a 503; its body is XML); the SDK reads the wait from
//! `retry-after-ms`, then `x-ms-retry-after-ms` (milliseconds), then
//! `Retry-After`, and backs off on 408 and 5xx but 501 and 505.
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! #[api(
//!     retry_after = [ms("retry-after-ms"), ms("x-ms-retry-after-ms"), "Retry-After"],
//!     rate_limit(remaining = "x-ms-ratelimit-remaining-subscription-reads"),
//!     code = "/error/code",
//!     request_id = "x-ms-request-id",
//! )]
//! pub enum AzureError {
//!     #[api(status = 503, when(header = "x-ms-error-code: ServerBusy"), retry = "after")]
//!     ServerBusy { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(when(code = "RetryableErrorDueToAnotherOperation"), retry = "backoff")]
//!     AnotherOperation,
//!     #[api(status = 429)]
//!     Throttled { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode, #[api(retry_after)] wait: Option<Duration> },
//! }
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("x-ms-retry-after-ms", "1500".parse().unwrap());
//! headers.insert("retry-after", "2".parse().unwrap());
//! let e = AzureError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &headers, b""));
//! assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));
//! let body = br#"{"error": {"code": "RetryableErrorDueToAnotherOperation"}}"#;
//! let e = AzureError::from_response(ResponseParts::new(StatusCode::CONFLICT, &HeaderMap::new(), body));
//! assert_eq!(e.retry(), Retry::Backoff);
//! ```
//!
//! One rate-limit family per enum: the reads budget here; the writes
//! budget (`-subscription-writes`) would need a second `rate_limit`.
//!
//! ## Discord
//!
//! "Rate Limits" (discord-api-docs, `docs/topics/rate-limits.md`): a 429's
//! JSON body holds `retry_after` in seconds with decimals and `global`
//! ("rely on the `Retry-After` header or `retry_after` field");
//! `X-RateLimit-Reset-After` holds the wait too, `X-RateLimit-Reset` the
//! epoch second (with decimals), `X-RateLimit-Limit` and `-Remaining` the
//! bucket. An IP address that makes 10,000 invalid requests (401, 403,
//! 429, but not 429s of the `shared` scope) in ten minutes is banned for a
//! while.
//!
//! ```
//! use apifault::{ApiError, FromResponse, RateLimit, ResponseParts};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! #[api(
//!     retry_after = [secs("/retry_after"), secs("X-RateLimit-Reset-After"), "Retry-After"],
//!     rate_limit(limit = "X-RateLimit-Limit", remaining = "X-RateLimit-Remaining",
//!                reset = secs("X-RateLimit-Reset-After")),
//! )]
//! pub enum DiscordError {
//!     #[api(status = 429, when(body = "/global: true"), retry = "after")]
//!     GlobalRateLimit { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(status = 429)]
//!     RateLimited { #[api(retry_after)] wait: Option<Duration>, #[api(rate_limit)] bucket: Option<RateLimit> },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let body = br#"{"message": "You are being rate limited.", "retry_after": 64.57, "global": false}"#;
//! let e = DiscordError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), body));
//! assert!(matches!(e, DiscordError::RateLimited { .. }));
//! assert_eq!(e.retry_after(), Some(Duration::from_millis(64_570)));
//! ```
//!
//! The invalid-request ban counts failures across calls and statuses; no
//! enum states it. A shared [`RetryBudget`](crate::RetryBudget) caps the
//! retries among them, not the first attempts.
//!
//! ## Shopify Admin API
//!
//! "REST Admin API rate limits" and "API response status and error codes"
//! (shopify.dev): REST answers 429 with `Retry-After: 2.0` (seconds, a
//! decimal) and announces its leaky bucket as
//! `X-Shopify-Shop-Api-Call-Limit: 32/40` (used/limit); GraphQL reports
//! throttling as an error with `errors[].extensions.code = "THROTTLED"`,
//! and the query's cost and the bucket's restore rate in `extensions.cost`
//! (the pages do not show its status: 200 or 429, the variant takes both).
//! 402 (shop frozen), 423 (shop locked) and 430 ("might be malicious") are
//! not retried: our reading, the pages give no retry rule for them.
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! #[api(retry_after = secs("Retry-After"), rate_limit(used = "X-Shopify-Shop-Api-Call-Limit"))]
//! pub enum ShopifyRestError {
//!     #[api(status = 429)]
//!     Throttled { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! /// The wait until the bucket holds the query's cost again.
//! fn until_restored(parts: &ResponseParts<'_>) -> Option<Duration> {
//!     let json: serde_json::Value = serde_json::from_slice(parts.body).ok()?;
//!     let cost = json.pointer("/extensions/cost")?;
//!     let wanted = cost.pointer("/requestedQueryCost")?.as_f64()?;
//!     let available = cost.pointer("/throttleStatus/currentlyAvailable")?.as_f64()?;
//!     let rate = cost.pointer("/throttleStatus/restoreRate")?.as_f64()?;
//!     (rate > 0.0).then(|| Duration::from_secs_f64(((wanted - available) / rate).clamp(0.0, 3600.0)))
//! }
//!
//! #[derive(Debug, ApiError)]
//! #[api(error_2xx(body = "/errors"))]
//! pub enum ShopifyGraphQlError {
//!     #[api(status = [200, 429], when(body = "/errors/*/extensions/code: THROTTLED"), retry = "after",
//!           retry_after = until_restored)]
//!     Throttled { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(status = 200)]
//!     Failed { #[api(body)] body: serde_json::Value },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("retry-after", "2.0".parse().unwrap());
//! let e = ShopifyRestError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &headers, b""));
//! assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
//! let body = br#"{"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
//!     "extensions": {"cost": {"requestedQueryCost": 101, "throttleStatus": {"currentlyAvailable": 1, "restoreRate": 50}}}}"#;
//! let e = ShopifyGraphQlError::from_response(ResponseParts::new(StatusCode::OK, &HeaderMap::new(), body));
//! assert_eq!((e.retry(), e.retry_after()), (Retry::After, Some(Duration::from_secs(2))));
//! let e = ShopifyRestError::from_response(ResponseParts::new(StatusCode::LOCKED, &HeaderMap::new(), b""));
//! assert_eq!(e.retry(), Retry::Never);
//! ```
//!
//! ## Twilio
//!
//! "Twilio API responses" and "Error 20429" (twilio.com/docs): errors
//! carry `{"code": 20429, "message": …, "more_info": …, "status": 429}`;
//! "requests that receive 429 responses aren't processed and are safe to
//! retry after backing off"; after a 500, "GET and DELETE requests are
//! always safe for you to retry" (a POST may have sent the message); the
//! 2010 API answers XML by default; `Twilio-Concurrent-Requests` shows the
//! requests in flight.
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//!
//! #[derive(Debug, ApiError)]
//! #[api(code = "/code", request_id = "Twilio-Request-Id")]
//! pub enum TwilioError {
//!     #[api(when(code = "20429"), retry = "backoff")]
//!     TooManyRequests { #[api(status)] status: StatusCode },
//!     #[api(status = 400..=499)]
//!     Invalid { #[api(status)] status: StatusCode, #[api(body)] body: String },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let body = br#"{"code": 20429, "message": "Too Many Requests", "status": 429}"#;
//! let e = TwilioError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), body));
//! assert_eq!(e.retry(), Retry::Backoff);
//! assert!(e.safe_to_resend(), "a 429 was never processed");
//! ```
//!
//! The 500 rule is the call's: `idempotent = false` on a POST resends only
//! what is [`ApiError::safe_to_resend`](crate::ApiError::safe_to_resend), the 429. Not stated on the enum:
//! the in-flight count (a semaphore around the client is the tool), and the
//! 2010 API's XML bodies, which a typed body cannot decode yet (ask for
//! `.json` until XML bodies come).
//!
//! ## Google Cloud
//!
//! "Errors" in Google's API design guide (cloud.google.com/apis/design/errors),
//! AIP-194 and Cloud Storage's "Retry strategy": the error is `{"error":
//! {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [...]}}`; a
//! `google.rpc.RetryInfo` entry of `details` says how long to wait
//! (`retryDelay`, a protobuf duration like `"53s"`) at no fixed index; a
//! `RESOURCE_EXHAUSTED` is retried "with minimum 30s delay", and a quota
//! that resets daily will not clear for hours; `UNAVAILABLE` backs off from
//! 1 s; `INVALID_ARGUMENT` and the like never; Cloud Storage resends a
//! conditionally idempotent request only with its precondition
//! (`ifGenerationMatch`).
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! fn per_day_quota(parts: &ResponseParts<'_>) -> bool {
//!     let text = String::from_utf8_lossy(parts.body);
//!     text.contains("QuotaFailure") && text.contains("PerDay")
//! }
//!
//! #[derive(Debug, ApiError)]
//! #[api(code = "/error/status", retry_after = duration("/error/details/*/retryDelay"))]
//! pub enum GoogleError {
//!     #[api(status = 429, when = per_day_quota, retry = "never")]
//!     DailyQuota,
//!     #[api(when(code = "RESOURCE_EXHAUSTED"), retry = "after", default_wait = "30s")]
//!     Exhausted { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(when(code = "UNAVAILABLE"), retry = "backoff")]
//!     Unavailable,
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let body = br#"{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
//!     {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED"},
//!     {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "53s"}]}}"#;
//! let e = GoogleError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), body));
//! assert_eq!(e.retry_after(), Some(Duration::from_secs(53)));
//! ```
//!
//! A `retryDelay` under 30 s is waited as given (the guide's minimum is for
//! clients without one). The precondition rule goes on the call:
//! `#[apifault::retry(policy = …, idempotent =
//! request.if_generation_match.is_some())]`. The per-day test searches the
//! quota's id, which only a predicate can do.
//!
//! ## OpenAI
//!
//! openai-python's `_base_client.py` (`_should_retry`, `_calculate_retry_timeout`)
//! and the "Rate limits" guide (platform.openai.com): `x-should-retry`
//! decides first; 408, 409, 429 and 5xx are retried; the wait is
//! `retry-after-ms`, then `Retry-After`; `insufficient_quota` (a 429, its
//! `error.code` naming the reason, such as `credit_balance_exhausted`) will
//! not clear by waiting, though the SDK, reading no body, retries it;
//! `x-ratelimit-limit-requests`,
//! `-remaining-requests` and `-reset-requests` (a Go duration such as
//! `6m0s`), and the same for `-tokens`. DESIGN's `LlmError` is this recipe:
//!
//! ```
//! use apifault::{ApiError, FromResponse, RateLimit, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! #[api(
//!     retry_after = [ms("retry-after-ms"), "Retry-After"],
//!     rate_limit(limit = "x-ratelimit-limit-requests",
//!                remaining = "x-ratelimit-remaining-requests",
//!                reset = duration("x-ratelimit-reset-requests")),
//!     should_retry = "x-should-retry",
//! )]
//! pub enum OpenAiError {
//!     #[api(status = 429, when(body = "/error/type: insufficient_quota"), retry = "never")]
//!     QuotaExhausted,
//!     #[api(status = 429)]
//!     RateLimited { #[api(retry_after)] wait: Option<Duration>, #[api(rate_limit)] limits: Option<RateLimit> },
//!     #[api(status = [408, 409], retry = "backoff")]
//!     Conflict { #[api(status)] status: StatusCode, #[api(should_retry)] should_retry: Option<bool> },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode, #[api(should_retry)] should_retry: Option<bool> },
//! }
//!
//! let body = br#"{"error": {"type": "insufficient_quota", "code": "insufficient_quota"}}"#;
//! let e = OpenAiError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), body));
//! assert_eq!(e.retry(), Retry::Never);
//! let mut headers = HeaderMap::new();
//! headers.insert("retry-after-ms", "1500".parse().unwrap());
//! headers.insert("x-ratelimit-reset-requests", "6m0s".parse().unwrap());
//! let e = OpenAiError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &headers, b"{}"));
//! assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));
//! ```
//!
//! The `-tokens` family is a second budget; one `rate_limit(...)` states one.
//!
//! ## Anthropic
//!
//! "Errors" and "Rate limits" (docs.claude.com) and anthropic-sdk-python's
//! client: errors are `{"type": "error", "error": {"type": …}}`;
//! `overloaded_error` comes with 529; 408, 409, 429 and 5xx are retried
//! (and 424 by recent SDKs), `x-should-retry` decides first,
//! `retry-after-ms` then `retry-after` give the wait;
//! `anthropic-ratelimit-requests-limit`, `-remaining` and `-reset` (an
//! RFC 3339 time), and the same for tokens, input and output tokens.
//!
//! ```
//! use apifault::{ApiError, FromResponse, RateLimit, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! #[api(
//!     code = "/error/type",
//!     retry_after = [ms("retry-after-ms"), "Retry-After"],
//!     rate_limit(limit = "anthropic-ratelimit-requests-limit",
//!                remaining = "anthropic-ratelimit-requests-remaining",
//!                reset = timestamp("anthropic-ratelimit-requests-reset")),
//! )]
//! pub enum AnthropicError {
//!     #[api(when(code = "overloaded_error"), retry = "backoff")]
//!     Overloaded { #[api(should_retry)] should_retry: Option<bool> },
//!     #[api(status = 429)]
//!     RateLimited { #[api(retry_after)] wait: Option<Duration>, #[api(rate_limit)] limits: Option<RateLimit> },
//!     #[api(status = [408, 409, 424], retry = "backoff")]
//!     Retryable { #[api(status)] status: StatusCode, #[api(should_retry)] should_retry: Option<bool> },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode, #[api(should_retry)] should_retry: Option<bool> },
//! }
//!
//! let body = br#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#;
//! let e = AnthropicError::from_response(ResponseParts::new(StatusCode::from_u16(529).unwrap(), &HeaderMap::new(), body));
//! assert_eq!(e.retry(), Retry::Backoff);
//! ```
//!
//! Not stated: the token families (one `rate_limit(...)` states one), and an
//! error that arrives inside a stream after the 200 (no response status or
//! body to decode).
//!
//! ## Cloudflare API
//!
//! "Rate limits" (developers.cloudflare.com, `fundamentals/api/reference/limits`):
//! errors are `{"success": false, "errors": [{"code": …, "message": …}]}`
//! (the API's schema); over the limit, "all API calls for the next five
//! minutes will be blocked" (429, with `retry-after` in seconds, rounded
//! up); the `Ratelimit` and `Ratelimit-Policy` headers are the IETF
//! structured fields.
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! #[api(code = "/errors/*/code", retry_after = ["Retry-After", "Ratelimit"], request_id = "cf-ray")]
//! pub enum CloudflareError {
//!     #[api(status = 429, default_wait = "5m")]
//!     RateLimited { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(status = 400..=499)]
//!     Invalid { #[api(status)] status: StatusCode, #[api(body)] body: String },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let e = CloudflareError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), b""));
//! assert_eq!(e.retry_after(), Some(Duration::from_secs(300)));
//! ```
//!
//! The `Ratelimit` fields need nothing on the enum: [`crate::headers::rate_limit`]
//! and a [`Throttle`](crate::Throttle) read them by default.
//!
//! ## Jira Cloud
//!
//! "Rate limiting" (developer.atlassian.com, `cloud/jira/platform/rate-limiting`):
//! 429, and 503 "when a resource limit has been reached", both with
//! `Retry-After` (seconds); `X-RateLimit-Reset` is an ISO 8601 time to the
//! minute (`yyyy-MM-ddTHH:mmZ`); `RateLimit-Reason` names the limit hit;
//! `X-RateLimit-NearLimit: true` warns that less than 20% of a budget
//! remains; the burst, per-issue and quota limits are separate.
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! #[api(retry_after = ["Retry-After", timestamp("X-RateLimit-Reset")])]
//! pub enum JiraError {
//!     #[api(status = [429, 503], retry = "after")]
//!     RateLimited {
//!         #[api(retry_after)] wait: Option<Duration>,
//!         #[api(header = "RateLimit-Reason")] reason: Option<String>,
//!     },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("x-ratelimit-reset", "2000-01-01T00:00Z".parse().unwrap());
//! let e = JiraError::from_response(ResponseParts::new(StatusCode::SERVICE_UNAVAILABLE, &headers, b""));
//! assert_eq!((e.retry(), e.retry_after()), (Retry::After, Some(Duration::ZERO)));
//! ```
//!
//! Not stated: `X-RateLimit-NearLimit` asks a client to slow down before
//! any error (an error enum has nothing to say about a success), and the
//! three limits' separate scopes (one policy per call backs off for all).
//!
//! ## HubSpot
//!
//! "Error handling" and "API usage guidelines and limits"
//! (developers.hubspot.com) and @hubspot/api-client: a 429 body names the
//! limit hit in `policyName`; `DAILY` "resets at midnight", the SDK backs
//! off 10 s on `TEN_SECONDLY_ROLLING`; a 423 lock lasts 2 seconds; a 477
//! (migration in progress) comes with `Retry-After`; on 502–504 "pause your
//! requests for a few seconds"; `X-HubSpot-RateLimit-Max` and `-Remaining`
//! announce the window, `X-HubSpot-RateLimit-Interval-Milliseconds` its
//! length.
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//! use std::time::Duration;
//!
//! #[derive(Debug, ApiError)]
//! #[api(rate_limit(limit = "X-HubSpot-RateLimit-Max", remaining = "X-HubSpot-RateLimit-Remaining"))]
//! pub enum HubSpotError {
//!     #[api(status = 429, when(body = "/policyName: DAILY"), retry = "never")]
//!     DailyLimit,
//!     #[api(status = 429, default_wait = "10s")]
//!     RateLimited { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(status = 423, retry = "after", default_wait = "2s")]
//!     Locked,
//!     #[api(status = 477, retry = "after")]
//!     Migrating { #[api(retry_after)] wait: Option<Duration> },
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode },
//! }
//!
//! let body = br#"{"status": "error", "errorType": "RATE_LIMIT", "policyName": "DAILY"}"#;
//! let e = HubSpotError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), body));
//! assert_eq!(e.retry(), Retry::Never);
//! let body = br#"{"status": "error", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}"#;
//! let e = HubSpotError::from_response(ResponseParts::new(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), body));
//! assert_eq!((e.retry(), e.retry_after()), (Retry::After, Some(Duration::from_secs(10))));
//! ```
//!
//! The interval header is the window's length, not the time to its reset,
//! so it is no `reset`: a [`Throttle`](crate::Throttle) that sees
//! `remaining = 0` with no reset probes instead of waiting a known time.
//!
//! ## Salesforce
//!
//! REST API "Status Codes and Error Responses" and "Limit Info Header"
//! (developer.salesforce.com): errors are a JSON array, `[{"errorCode":
//! "REQUEST_LIMIT_EXCEEDED", "message": …}]`; that code comes with a 403 and
//! is the org's daily limit, which does not clear by retrying; a 401
//! (`INVALID_SESSION_ID`) asks for a new session;
//! `Sforce-Limit-Info: api-usage=18/5000` announces the daily usage (and may
//! add `api-bursts=1/750`).
//!
//! ```
//! use apifault::{ApiError, FromResponse, ResponseParts, Retry};
//! use http::{HeaderMap, StatusCode};
//!
//! #[derive(Debug, ApiError)]
//! #[api(code = "/*/errorCode", rate_limit(used = "Sforce-Limit-Info"))]
//! pub enum SalesforceError {
//!     #[api(when(code = "REQUEST_LIMIT_EXCEEDED"), retry = "never")]
//!     DailyLimit,
//!     #[api(status = 401, when(code = "INVALID_SESSION_ID"))]
//!     SessionExpired,
//!     #[api(other)]
//!     Other { #[api(status)] status: StatusCode, #[api(body)] body: String },
//! }
//!
//! let body = br#"[{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}]"#;
//! let e = SalesforceError::from_response(ResponseParts::new(StatusCode::FORBIDDEN, &HeaderMap::new(), body));
//! assert!(matches!(e, SalesforceError::DailyLimit));
//! let mut headers = HeaderMap::new();
//! headers.insert("sforce-limit-info", "api-usage=18/5000".parse().unwrap());
//! assert_eq!(SalesforceError::rate_limit(&headers).and_then(|r| r.remaining), Some(4982));
//! # let _ = Retry::Never;
//! ```
//!
//! A new session is the client's to fetch before calling again; the enum
//! tells that error apart. Not stated: the burst budget, a second pair in
//! the same header.
//!
//! ## The tally
//!
//! The rules above, one per statement of the vendor's page (the survey in
//! `shared/apis/vendors.md`, corrected against the pages named here: Slack
//! answers 429 for every rate limit, Salesforce's limit error is a 403,
//! Shopify's code sits in `errors[]`, Jira's reset has no seconds, and
//! Twilio's pages give no concurrency figure): 71 rules, of which 58 are
//! written on the enum, 2 through a predicate or hint function, and 11 not
//! at all.
//!
//! | API | rules | on the enum | by a function | not stated, and why |
//! |---|---|---|---|---|
//! | Slack | 5 | 5 | 0 | |
//! | Azure | 6 | 5 | 0 | a second rate-limit family (one `rate_limit` per enum) |
//! | Discord | 7 | 6 | 0 | the invalid-request ban counts failures across calls |
//! | Shopify | 6 | 5 | 1 (the restore-rate wait) | |
//! | Twilio | 5 | 3 | 0 | XML bodies; the in-flight count |
//! | Google Cloud | 6 | 5 | 1 (the per-day quota) | |
//! | OpenAI | 6 | 5 | 0 | the `-tokens` family |
//! | Anthropic | 8 | 6 | 0 | the token families; errors inside a stream |
//! | Cloudflare | 4 | 4 | 0 | |
//! | Jira Cloud | 6 | 4 | 0 | `X-RateLimit-NearLimit` warns on a success; separate scopes |
//! | HubSpot | 7 | 6 | 0 | the interval header is a window length, not a reset |
//! | Salesforce | 5 | 4 | 0 | the burst pair in `Sforce-Limit-Info` |
//!
//! Before this grammar the survey counted 40 of 75 rules written on the
//! enum and 3 through a predicate (its own split of the rules). Now 60 of
//! 71 are: every rule left over is about traffic or transport (a second
//! budget, a count across calls, a stream, a body format to come), not
//! about telling one error from another.
