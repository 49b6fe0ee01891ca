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
//! | `retry_after = "Header"` or `["A", "B"]` | where the server's wait hint is, tried in order (default `Retry-After`) |
//! | `request_id = "Header"` | the request id header (default `X-Request-Id`) |
//! | `atomic` | the API promises a failed request changed nothing: every status is [`ApiError::safe_to_resend`] |
//!
//! On a variant:
//!
//! | key | meaning |
//! |---|---|
//! | `status = 404`, `status = 500..=599`, `status = [502, 504]` | the statuses it stands for; an exact status wins over a range |
//! | `retry = "never" \| "backoff" \| "after"` | overrides [`Retry::for_status`] |
//! | `transport` | the variant for failures below HTTP (its error field may implement [`TransportError`]) |
//! | `other` | every response no other variant claims; makes decoding total and generates [`FromResponse`] |
//!
//! A variant without `#[api]` is a local error (raised before sending): no
//! status, never retried, never decoded.
//!
//! On a field:
//!
//! | key | type | filled with |
//! |---|---|---|
//! | `status` | `http::StatusCode` or `u16` | the response's status |
//! | `body` | `String` (lossy UTF-8), `Vec<u8>`, any `serde::de::DeserializeOwned` (JSON), or `Option` of those | the body; a typed body that does not decode sends the response to `other` (`Option<T>` becomes `None` instead) |
//! | `retry_after` | `Option<Duration>` | the wait hint, see [`headers::retry_after`] |
//! | `request_id` | `Option<String>` or `String` | the request id header |
//! | `header = "Name"` | any `FromStr` type, or `Option` of one | the named header; absent or unparsable sends the response to `other` unless `Option` |
//! | `rate_limit` | `Option<RateLimit>` | see [`headers::rate_limit`] |
//!
//! Fields without `#[api]` are filled with `Default::default()`.

#![deny(missing_docs)]

mod error;
pub mod headers;
mod response;

#[doc(hidden)]
pub mod __private;

pub use error::{ApiError, Retry, TransportError};
pub use headers::RateLimit;
pub use response::{FromResponse, ResponseParts};

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

/// The README's example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
