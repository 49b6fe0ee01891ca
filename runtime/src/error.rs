//! The classification every API error answers: [`ApiError`] and [`Retry`].
//!
//! Decoding a response into an error lives in [`crate::response`]; parsing the
//! headers that carry hints lives in [`crate::headers`].

use core::fmt;
use core::time::Duration;

use http::StatusCode;

/// What a client should do about a failed call.
///
/// Each variant of a `#[derive(ApiError)]` enum answers one of these, either
/// because its `#[api(retry = "…")]` says so or from the default table of
/// [`Retry::for_status`].
///
/// ```
/// use apifault::Retry;
/// use http::StatusCode;
///
/// assert_eq!(Retry::for_status(StatusCode::TOO_MANY_REQUESTS), Retry::After);
/// assert_eq!(Retry::for_status(StatusCode::UNPROCESSABLE_ENTITY), Retry::Never);
/// assert_eq!(Retry::for_status(StatusCode::BAD_GATEWAY), Retry::Backoff);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Retry {
    /// Sending the same request again cannot succeed: fix the request instead.
    Never,
    /// Try again after the retry policy's backoff delay.
    Backoff,
    /// Try again after the delay the server asked for (`Retry-After`,
    /// `Ratelimit-Reset`, …), or after the backoff delay when it gave none.
    After,
}

impl Retry {
    /// The default semantics of a status code, used for every variant that
    /// does not say `#[api(retry = "…")]`.
    ///
    /// | status | `Retry` |
    /// |---|---|
    /// | 408 Request Timeout | `Backoff` |
    /// | 429 Too Many Requests | `After` |
    /// | 500–599 except 501 and 505 | `Backoff` |
    /// | everything else (other 4xx, 501, 505, 1xx, 2xx, 3xx, 600+) | `Never` |
    ///
    /// ```
    /// use apifault::Retry;
    /// use http::StatusCode;
    ///
    /// assert_eq!(Retry::for_status(StatusCode::REQUEST_TIMEOUT), Retry::Backoff);
    /// assert_eq!(Retry::for_status(StatusCode::SERVICE_UNAVAILABLE), Retry::Backoff);
    /// assert_eq!(Retry::for_status(StatusCode::NOT_IMPLEMENTED), Retry::Never);
    /// assert_eq!(Retry::for_status(StatusCode::NOT_FOUND), Retry::Never);
    /// ```
    #[must_use]
    pub const fn for_status(status: StatusCode) -> Retry {
        // The table the derive uses at compile time, so that the two agree.
        Retry::from_rule(apifault_rules::retry_for_status(status.as_u16()))
    }

    const fn from_rule(rule: apifault_rules::RetryRule) -> Retry {
        match rule {
            apifault_rules::RetryRule::Never => Retry::Never,
            apifault_rules::RetryRule::Backoff => Retry::Backoff,
            apifault_rules::RetryRule::After => Retry::After,
        }
    }

    const fn rule(self) -> apifault_rules::RetryRule {
        match self {
            Retry::Never => apifault_rules::RetryRule::Never,
            Retry::Backoff => apifault_rules::RetryRule::Backoff,
            Retry::After => apifault_rules::RetryRule::After,
        }
    }

    /// The lowercase name used in `#[api(retry = "…")]` and in logs.
    ///
    /// ```
    /// assert_eq!(apifault::Retry::After.as_str(), "after");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.rule().name()
    }
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error of an HTTP API that knows what it means.
///
/// Usually derived: `#[derive(ApiError)]` ties each variant of an enum to the
/// status codes it stands for and to its retry semantics (see the crate
/// documentation for the attribute grammar). The retry engine asks nothing
/// else of an error type.
///
/// ```
/// use apifault::{ApiError, Retry};
/// use http::StatusCode;
///
/// #[derive(Debug, ApiError)]
/// enum ShopError {
///     #[api(status = 404)]
///     NotFound,
///     #[api(status = 429)]
///     RateLimited {
///         #[api(retry_after)]
///         wait: Option<std::time::Duration>,
///     },
/// }
///
/// let e = ShopError::RateLimited { wait: Some(std::time::Duration::from_secs(7)) };
/// assert_eq!(e.status(), Some(StatusCode::TOO_MANY_REQUESTS));
/// assert_eq!(e.retry(), Retry::After);
/// assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
/// assert!(e.safe_to_resend());
/// assert!(!ShopError::NotFound.is_retryable());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not classify API errors",
    label = "`{Self}` does not implement `apifault::ApiError`",
    note = "add `#[derive(apifault::ApiError)]` to the error enum, or implement `apifault::ApiError` for it by hand"
)]
pub trait ApiError {
    /// The HTTP status of the response this error came from; `None` for
    /// transport errors, for local errors raised before anything was sent,
    /// and for a derived variant that claims several statuses without an
    /// `#[api(status)]` field to remember which one it got.
    fn status(&self) -> Option<StatusCode>;

    /// Whether and how to retry the call that failed with this error.
    fn retry(&self) -> Retry;

    /// How long the server asked the client to wait before trying again.
    fn retry_after(&self) -> Option<Duration> {
        None
    }

    /// The request id the server gave this response, for support tickets.
    fn request_id(&self) -> Option<&str> {
        None
    }

    /// Whether the server surely applied nothing, so that even a
    /// non-idempotent request may be sent again: 429, 503, transport errors
    /// before the request was sent, local errors, and any status of an API
    /// that promises atomic requests (`#[api(atomic)]`).
    fn safe_to_resend(&self) -> bool;

    /// Whether [`retry`](ApiError::retry) is anything but [`Retry::Never`].
    fn is_retryable(&self) -> bool {
        self.retry() != Retry::Never
    }
}

impl<E: ApiError + ?Sized> ApiError for &E {
    fn status(&self) -> Option<StatusCode> {
        (**self).status()
    }
    fn retry(&self) -> Retry {
        (**self).retry()
    }
    fn retry_after(&self) -> Option<Duration> {
        (**self).retry_after()
    }
    fn request_id(&self) -> Option<&str> {
        (**self).request_id()
    }
    fn safe_to_resend(&self) -> bool {
        (**self).safe_to_resend()
    }
    fn is_retryable(&self) -> bool {
        (**self).is_retryable()
    }
}

impl<E: ApiError + ?Sized> ApiError for Box<E> {
    fn status(&self) -> Option<StatusCode> {
        (**self).status()
    }
    fn retry(&self) -> Retry {
        (**self).retry()
    }
    fn retry_after(&self) -> Option<Duration> {
        (**self).retry_after()
    }
    fn request_id(&self) -> Option<&str> {
        (**self).request_id()
    }
    fn safe_to_resend(&self) -> bool {
        (**self).safe_to_resend()
    }
    fn is_retryable(&self) -> bool {
        (**self).is_retryable()
    }
}

/// Whether a response with `status` surely changed nothing on the server:
/// 429 and 503 reject a request before it is processed.
pub(crate) const fn status_safe_to_resend(status: StatusCode) -> bool {
    apifault_rules::safe_to_resend_status(status.as_u16())
}

/// What a transport error (a failure below HTTP: DNS, connect, TLS, timeout,
/// reset) says about retrying.
///
/// The `#[api(transport)]` variant of a derived enum asks its error field
/// through this trait when the field's type implements it; any other type is
/// classified as [`Retry::Backoff`] and not safe to resend, since nothing says
/// whether the request reached the server. Implemented for
/// [`std::io::Error`] and, with the `reqwest` feature, for `reqwest::Error`.
///
/// ```
/// use apifault::{Retry, TransportError};
///
/// struct DnsFailure;
/// impl TransportError for DnsFailure {
///     fn safe_to_resend(&self) -> bool {
///         true // nothing left the machine
///     }
/// }
/// assert_eq!(DnsFailure.retry(), Retry::Backoff);
/// assert!(DnsFailure.safe_to_resend());
/// ```
pub trait TransportError {
    /// Whether to retry; `Backoff` unless the failure cannot go away by
    /// itself (an invalid URL, say).
    fn retry(&self) -> Retry {
        Retry::Backoff
    }

    /// Whether the request surely never reached the server (a refused
    /// connection, a failed DNS look-up), so that resending cannot apply it
    /// twice. `false` unless known.
    fn safe_to_resend(&self) -> bool {
        false
    }
}

impl TransportError for std::io::Error {
    fn retry(&self) -> Retry {
        use std::io::ErrorKind::*;
        match self.kind() {
            InvalidInput | InvalidData | Unsupported | PermissionDenied => Retry::Never,
            _ => Retry::Backoff,
        }
    }

    fn safe_to_resend(&self) -> bool {
        use std::io::ErrorKind::*;
        matches!(self.kind(), ConnectionRefused | AddrNotAvailable)
    }
}
