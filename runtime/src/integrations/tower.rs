//! [`RetryLayer`]: the retry engine as a `tower` middleware, for any
//! `Service` whose error type implements [`ApiError`], so that hyper,
//! tonic-style and reqwest-middleware stacks retry as the attribute does.

use core::future::{Future, poll_fn};
use core::ops::ControlFlow;
use core::pin::Pin;
use core::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::engine::Attempts;
use crate::error::ApiError;
use crate::policy::RetryPolicy;

/// Wraps a service in a [`RetryService`] retrying by `policy`.
///
/// ```
/// use apifault::{ApiError, RetryPolicy, tower::RetryLayer};
/// use std::future::Ready;
/// use std::task::{Context, Poll};
/// use tower_layer::Layer;
/// use tower_service::Service;
///
/// #[derive(Debug, ApiError)]
/// enum E {
///     #[api(status = 503)]
///     Unavailable,
/// }
///
/// /// Fails the first call, then echoes.
/// #[derive(Clone, Default)]
/// struct Echo(std::sync::Arc<std::sync::atomic::AtomicU32>);
///
/// impl Service<String> for Echo {
///     type Response = String;
///     type Error = E;
///     type Future = Ready<Result<String, E>>;
///     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), E>> {
///         Poll::Ready(Ok(()))
///     }
///     fn call(&mut self, request: String) -> Self::Future {
///         let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
///         std::future::ready(if n == 0 { Err(E::Unavailable) } else { Ok(request) })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let mut service = RetryLayer::new(RetryPolicy::default()).layer(Echo::default());
/// assert_eq!(service.call("hello".to_owned()).await.unwrap(), "hello");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct RetryLayer {
    policy: RetryPolicy,
}

impl RetryLayer {
    /// A layer retrying by `policy`.
    ///
    /// ```
    /// let layer = apifault::tower::RetryLayer::new(apifault::RetryPolicy::default());
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn new(policy: RetryPolicy) -> Self {
        RetryLayer { policy }
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            policy: self.policy.clone(),
        }
    }
}

/// A service that retries its inner service's errors as they say. Requests
/// must be `Clone`: each attempt sends a copy.
///
/// ```
/// use apifault::{RetryPolicy, tower::RetryService};
/// # #[derive(Clone)] struct Inner;
/// let service = RetryService::new(Inner, RetryPolicy::default());
/// # let _ = service;
/// ```
#[derive(Clone, Debug)]
pub struct RetryService<S> {
    inner: S,
    policy: RetryPolicy,
}

impl<S> RetryService<S> {
    /// Wraps `inner`.
    ///
    /// ```
    /// # #[derive(Clone)] struct Inner;
    /// let service = apifault::tower::RetryService::new(Inner, apifault::RetryPolicy::never());
    /// # let _ = service;
    /// ```
    pub fn new(inner: S, policy: RetryPolicy) -> Self {
        RetryService { inner, policy }
    }
}

impl<S, Request> Service<Request> for RetryService<S>
where
    S: Service<Request> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send,
    S::Error: ApiError + Send,
    Request: Clone + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The service that was polled ready takes the first attempt; a clone
        // stays behind for the next caller (tower's usual hand-over).
        let clone = self.inner.clone();
        let mut inner = core::mem::replace(&mut self.inner, clone);
        let policy = self.policy.clone();
        Box::pin(async move {
            let mut attempts = Attempts::asynchronous(&policy);
            let mut ready = true;
            let mut previous = None;
            loop {
                let (request, first) = (request.clone(), ready);
                let attempt = async {
                    if first {
                        inner.call(request).await
                    } else {
                        match poll_fn(|cx| inner.poll_ready(cx)).await {
                            Ok(()) => inner.call(request).await,
                            Err(error) => Err(error),
                        }
                    }
                };
                // A retry still running at `max_elapsed` is cut.
                let attempt = core::pin::pin!(attempt);
                let result = attempts.bounded(attempt, &mut previous).await;
                match attempts.keep(result) {
                    ControlFlow::Break(result) => return result,
                    ControlFlow::Continue((delay, error)) => {
                        previous = Some(error);
                        attempts.wait(delay).await;
                        ready = false;
                    }
                }
            }
        })
    }
}
