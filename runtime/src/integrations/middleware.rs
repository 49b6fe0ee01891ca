//! Middleware for a `reqwest_middleware::ClientWithMiddleware`: [`Retry`]
//! retries every request as an error enum classifies its failures, and
//! [`Throttle`] holds requests for a [`crate::Throttle`]. Decoding a
//! response into `Result<T, E>` stays with [`crate::reqwest`].
//!
//! # Moving over from reqwest-retry
//!
//! reqwest-retry retries a fixed list of statuses (408, 429, 5xx) on every
//! method, with an exponential backoff and no regard for `Retry-After`.
//! [`Retry`] asks the API's own error enum instead, waits what the server
//! asked for, and resends a request that may have been applied only when
//! that is safe. The change is a few lines:
//!
//! ```no_run
//! # #[derive(Debug, apifault::ApiError)]
//! # enum MyApiError {
//! #     #[api(status = 429)]
//! #     RateLimited { #[api(retry_after)] wait: Option<std::time::Duration> },
//! #     #[api(other)]
//! #     Other { #[api(status)] status: http::StatusCode },
//! # }
//! use apifault::RetryPolicy;
//! use std::time::Duration;
//!
//! // Before:
//! // let policy = ExponentialBackoff::builder().build_with_max_retries(3);
//! // let client = ClientBuilder::new(reqwest::Client::new())
//! //     .with(RetryTransientMiddleware::new_with_policy(policy))
//! //     .build();
//!
//! // After:
//! let policy = RetryPolicy::exponential(Duration::from_secs(1)).max_retries(3);
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(apifault::middleware::Retry::<MyApiError>::new(policy))
//!     .build();
//! # let _ = client;
//! ```
//!
//! | reqwest-retry | apifault |
//! |---|---|
//! | `ExponentialBackoff::builder().retry_bounds(min, max)` | [`RetryPolicy::exponential(min)`](crate::RetryPolicy::exponential)`.max_delay(max)` |
//! | `.build_with_max_retries(n)` | [`.max_retries(n)`](crate::RetryPolicy::max_retries) |
//! | `.build_with_total_retry_duration(d)` | [`.max_elapsed(d)`](crate::RetryPolicy::max_elapsed) |
//! | `.jitter(Jitter::Full)` | [`.jitter(apifault::Jitter::Full)`](crate::RetryPolicy::jitter) |
//! | `RetryableStrategy` (a custom classifier) | the `#[derive(ApiError)]` enum: statuses, `when(...)` conditions, `should_retry` |
//! | `with_retry_log_level` | the `tracing` events of target `apifault`, and [`on_retry`](crate::RetryPolicy::on_retry) |
//!
//! What changes in behaviour: a 429 or 503 waits its `Retry-After` (or the
//! enum's hint headers) rather than a backoff step; a `POST` without an
//! `Idempotency-Key` is resent only after a failure that surely changed
//! nothing ([`ApiError::safe_to_resend`]); the last failed response is
//! handed back as it came (status, headers, body), for
//! [`crate::reqwest::json`] and friends to decode.

use core::future::Future;
use core::marker::PhantomData;
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use ::bytes::Bytes;
use ::reqwest::{Method, Request, Response, StatusCode};
use http::{Extensions, HeaderMap};
use reqwest_middleware::{Error, Middleware, Next};

use crate::engine::Attempts;
use crate::error::{ApiError, Retry as RetryRule, TransportError};
use crate::policy::RetryPolicy;
use crate::reqwest::Decoder;
use crate::response::{FromResponse, ResponseParts};

/// The header that makes any request safe to send twice: the server
/// applies one key once.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The future `reqwest_middleware::Middleware::handle` returns (the trait is
/// written with `async_trait`, whose shape this spells out).
type Handled<'a> = Pin<Box<dyn Future<Output = Result<Response, Error>> + Send + 'a>>;

/// Retries every request of a `ClientWithMiddleware` as `E` classifies its
/// failures, by `policy`: the engine of [`retry`](fn@crate::retry), with its waits,
/// limits, budget, `tracing` events and hooks.
///
/// - A response is a failure when [`FromResponse::is_error`] says so (any
///   status but 2xx, and a 2xx whose body reports an error for an enum
///   with `error_2xx`); its body is read up to the [`Decoder`]'s caps and
///   decoded into `E`, whose [`ApiError::retry`] and hint decide.
/// - A transport error (`reqwest_middleware::Error::Reqwest`) is classified
///   as a `reqwest::Error` in a `transport` variant is (see
///   [`TransportError`]): a refused connection is retried and safe to
///   resend, a timeout retried only where resending is allowed. An error of
///   another middleware is never retried.
/// - Idempotent methods (`GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT`,
///   `DELETE`) and requests carrying an `Idempotency-Key` header are resent
///   after any retryable failure; any other request only after one that is
///   [`ApiError::safe_to_resend`] (a 429, a 503, a connection refused, any
///   status of an `atomic` API). A policy marked
///   [`idempotent(false)`](RetryPolicy::idempotent) holds every request to
///   the second rule.
/// - A request whose body cannot be copied (a stream) is sent once.
/// - When it stops, the last response is handed back as it came: status,
///   version, headers and the whole body (only its URL is lost:
///   `Response::url` says `http://no.url.provided.local` for a response
///   whose body was read). The last transport error is returned as is.
///
/// Put it before [`Throttle`] in the chain, so that every attempt waits
/// for the throttle.
///
/// ```
/// use apifault::{ApiError, RetryPolicy};
/// use std::time::Duration;
///
/// #[derive(Debug, ApiError)]
/// #[api(retry_after = "Ratelimit-Reset")]
/// enum TitleError {
///     #[api(status = 404)]
///     NotFound,
///     #[api(status = 429)]
///     RateLimited { #[api(retry_after)] wait: Option<Duration> },
///     #[api(other)]
///     Other { #[api(status)] status: http::StatusCode },
/// }
///
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(apifault::middleware::Retry::<TitleError>::new(RetryPolicy::default()))
///     .with(apifault::middleware::Throttle::new(apifault::Throttle::new()))
///     .build();
/// # let _ = client;
/// ```
pub struct Retry<E> {
    policy: RetryPolicy,
    decoder: Decoder,
    errors: PhantomData<fn() -> E>,
}

impl<E> Retry<E> {
    /// Retries by `policy`, reading failed bodies with
    /// [`Decoder::default`].
    ///
    /// ```
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum E { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// let retry = apifault::middleware::Retry::<E>::new(apifault::RetryPolicy::default());
    /// # let _ = retry;
    /// ```
    #[must_use]
    pub fn new(policy: RetryPolicy) -> Self {
        Retry {
            policy,
            decoder: Decoder::default(),
            errors: PhantomData,
        }
    }

    /// Reads failed bodies with `decoder`'s size and time caps. The caps
    /// bound what decoding sees; the response handed back keeps its whole
    /// body.
    ///
    /// ```
    /// # #[derive(Debug, apifault::ApiError)]
    /// # enum E { #[api(other)] Other { #[api(status)] status: http::StatusCode } }
    /// use apifault::reqwest::Decoder;
    /// let retry = apifault::middleware::Retry::<E>::new(apifault::RetryPolicy::default())
    ///     .decoder(Decoder::default().error_body_limit(4096));
    /// # let _ = retry;
    /// ```
    #[must_use]
    pub fn decoder(mut self, decoder: Decoder) -> Self {
        self.decoder = decoder;
        self
    }
}

impl<E> Clone for Retry<E> {
    fn clone(&self) -> Self {
        Retry {
            policy: self.policy.clone(),
            decoder: self.decoder,
            errors: PhantomData,
        }
    }
}

impl<E> core::fmt::Debug for Retry<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Retry")
            .field("errors", &core::any::type_name::<E>())
            .field("policy", &self.policy)
            .field("decoder", &self.decoder)
            .finish()
    }
}

/// Whether RFC 9110 calls `method` idempotent.
fn idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::PUT,
        Method::DELETE,
    ]
    .contains(method)
}

/// One failed attempt: the decoded error with the response it came from
/// (handed back if it is the last), or a transport error.
enum Failed<E> {
    Response { error: E, response: Response },
    Transport(Error),
}

impl<E: ApiError> ApiError for Failed<E> {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Failed::Response { error, .. } => error.status(),
            Failed::Transport(Error::Reqwest(error)) => error.status(),
            Failed::Transport(Error::Middleware(_)) => None,
        }
    }

    fn retry(&self) -> RetryRule {
        match self {
            Failed::Response { error, .. } => error.retry(),
            Failed::Transport(Error::Reqwest(error)) => TransportError::retry(error),
            Failed::Transport(Error::Middleware(_)) => RetryRule::Never,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failed::Response { error, .. } => error.retry_after(),
            Failed::Transport(_) => None,
        }
    }

    fn request_id(&self) -> Option<&str> {
        match self {
            Failed::Response { error, .. } => error.request_id(),
            Failed::Transport(_) => None,
        }
    }

    fn safe_to_resend(&self) -> bool {
        match self {
            Failed::Response { error, .. } => error.safe_to_resend(),
            Failed::Transport(Error::Reqwest(error)) => TransportError::safe_to_resend(error),
            Failed::Transport(Error::Middleware(_)) => false,
        }
    }
}

impl<E> Failed<E> {
    fn handed_back(self) -> Result<Response, Error> {
        match self {
            Failed::Response { response, .. } => Ok(response),
            Failed::Transport(error) => Err(error),
        }
    }
}

impl<E> Retry<E>
where
    E: FromResponse + ApiError + Send + 'static,
{
    /// Sends `request` once and classifies the outcome.
    async fn attempt(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response, Failed<E>> {
        let response = next
            .run(request, extensions)
            .await
            .map_err(Failed::Transport)?;
        if response.status().is_success() && !E::ERRORS_IN_2XX {
            return Ok(response);
        }
        let (response, body) = self.buffer(response).await;
        let cut = &body[..body.len().min(self.decoder.limit())];
        let parts = ResponseParts::new(response.status(), response.headers(), cut);
        if !E::is_error(&parts) {
            return Ok(response);
        }
        let error = E::from_response(parts);
        Err(Failed::Response { error, response })
    }

    /// Reads `response`'s body within the decoder's caps, and gives back
    /// the response with the same status, version, headers, extensions and
    /// body: what was read, then whatever was not.
    async fn buffer(&self, mut response: Response) -> (Response, Bytes) {
        let read = self.decoder.read_capped(&mut response).await;
        let read = Bytes::from(read);
        let (parts, rest) = http::Response::<::reqwest::Body>::from(response).into_parts();
        let body = ::reqwest::Body::wrap(Prefixed {
            read: Some(read.clone()),
            rest,
        });
        (
            Response::from(http::Response::from_parts(parts, body)),
            read,
        )
    }

    async fn handle_retried(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response, Error> {
        // A body that cannot be copied (a stream) can be sent only once.
        let Some(first) = request.try_clone() else {
            return next.run(request, extensions).await;
        };
        let resend_safe = self.policy.idempotent
            && (idempotent(request.method()) || request.headers().contains_key(IDEMPOTENCY_KEY));
        let mut attempts = Attempts::asynchronous(&self.policy).idempotent(Some(resend_safe));
        let mut previous: Option<Result<Response, Failed<E>>> = None;
        let mut copy = Some(first);
        loop {
            let result = match attempts.expired(&mut previous) {
                Some(previous) => previous,
                None => match copy.take().or_else(|| request.try_clone()) {
                    // A retry still running at `max_elapsed` is cut.
                    Some(copy) => {
                        let attempt = core::pin::pin!(self.attempt(copy, extensions, next.clone()));
                        attempts.bounded(attempt, &mut previous).await
                    }
                    None => match previous.take() {
                        Some(previous) => return previous.or_else(Failed::handed_back),
                        None => return next.run(request, extensions).await,
                    },
                },
            };
            match attempts.keep(result) {
                ControlFlow::Break(result) => return result.or_else(Failed::handed_back),
                ControlFlow::Continue((delay, failed)) => {
                    previous = Some(failed);
                    attempts.wait(delay).await;
                }
            }
        }
    }
}

impl<E> Middleware for Retry<E>
where
    E: FromResponse + ApiError + Send + 'static,
{
    fn handle<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        request: Request,
        extensions: &'life1 mut Extensions,
        next: Next<'life2>,
    ) -> Handled<'async_trait>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.handle_retried(request, extensions, next))
    }
}

/// A body that yields the bytes already read, then the rest of the
/// original body.
struct Prefixed {
    read: Option<Bytes>,
    rest: ::reqwest::Body,
}

impl http_body::Body for Prefixed {
    type Data = Bytes;
    type Error = ::reqwest::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if let Some(read) = self.read.take().filter(|read| !read.is_empty()) {
            return Poll::Ready(Some(Ok(http_body::Frame::data(read))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.read.as_ref().is_none_or(Bytes::is_empty) && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let read = self.read.as_ref().map_or(0, Bytes::len) as u64;
        let rest = self.rest.size_hint();
        let mut hint = http_body::SizeHint::new();
        hint.set_lower(rest.lower().saturating_add(read));
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper.saturating_add(read));
        }
        hint
    }
}

/// Holds every request of a `ClientWithMiddleware` until a
/// [`crate::Throttle`] has room for it, and teaches the throttle the
/// rate-limit headers of every response: the standard ones, or those an
/// error enum names ([`Throttle::observe_for`]).
///
/// ```
/// let throttle = apifault::Throttle::new();
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(apifault::middleware::Throttle::new(throttle.clone()))
///     .build();
/// # let _ = client;
/// ```
#[derive(Clone)]
pub struct Throttle {
    throttle: crate::Throttle,
    observe: fn(&crate::ThrottlePermit, &HeaderMap),
}

impl Throttle {
    /// Holds requests for `throttle`, which learns from the standard
    /// rate-limit headers (see [`crate::headers::rate_limit`]).
    ///
    /// ```
    /// let middleware = apifault::middleware::Throttle::new(apifault::Throttle::new());
    /// # let _ = middleware;
    /// ```
    #[must_use]
    pub fn new(throttle: crate::Throttle) -> Self {
        Throttle {
            throttle,
            observe: |permit, headers| permit.observe(headers),
        }
    }

    /// Learns from the rate-limit headers `E` names with
    /// `#[api(rate_limit(...))]` instead (see [`FromResponse::rate_limit`]).
    ///
    /// ```
    /// #[derive(Debug, apifault::ApiError)]
    /// #[api(rate_limit(remaining = "x-ratelimit-remaining-requests",
    ///                  reset = duration("x-ratelimit-reset-requests")))]
    /// enum LlmError {
    ///     #[api(other)]
    ///     Other { #[api(status)] status: http::StatusCode },
    /// }
    ///
    /// let middleware = apifault::middleware::Throttle::new(apifault::Throttle::new())
    ///     .observe_for::<LlmError>();
    /// # let _ = middleware;
    /// ```
    #[must_use]
    pub fn observe_for<E: FromResponse>(mut self) -> Self {
        self.observe = |permit, headers| permit.observe_for::<E>(headers);
        self
    }
}

impl core::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Throttle")
            .field("throttle", &self.throttle)
            .finish_non_exhaustive()
    }
}

impl Throttle {
    async fn handle_throttled(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<Response, Error> {
        let permit = self.throttle.acquire().await;
        let response = next.run(request, extensions).await?;
        (self.observe)(&permit, response.headers());
        drop(permit);
        Ok(response)
    }
}

impl Middleware for Throttle {
    fn handle<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        request: Request,
        extensions: &'life1 mut Extensions,
        next: Next<'life2>,
    ) -> Handled<'async_trait>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.handle_throttled(request, extensions, next))
    }
}
