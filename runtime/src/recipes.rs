//! Recipes: vendors' retry rules that depend on more than the status,
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
//! | variant | `when = path` | `fn(&ResponseParts<'_>) -> bool` says so |
//! | variant | `retry_after = "Header"` or a list | this variant's hint headers, replacing the enum's |
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
//! call with `idempotent = false` and only [`ApiError::safe_to_resend`]
//! errors (a 429, a 503) are resent. `should_retry` does not change that.
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
