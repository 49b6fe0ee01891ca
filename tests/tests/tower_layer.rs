//! `RetryLayer` retries any tower `Service` whose error implements
//! `ApiError`, as the attribute does.

use std::future::Ready;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use apifault::tower::RetryLayer;
use apifault::{Jitter, RetryPolicy};
use apifault_tests::{FlakyError, Script};
use tokio::time::Instant;
use tower_layer::Layer;
use tower_service::Service;

/// Answers from a shared script; the request is echoed back with the call
/// number.
#[derive(Clone)]
struct Scripted(Arc<Script<FlakyError>>);

impl Service<&'static str> for Scripted {
    type Response = String;
    type Error = FlakyError;
    type Future = Ready<Result<String, FlakyError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), FlakyError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: &'static str) -> Self::Future {
        std::future::ready(self.0.call().map(|n| format!("{request} #{n}")))
    }
}

fn layer() -> RetryLayer {
    RetryLayer::new(
        RetryPolicy::exponential(Duration::from_secs(1))
            .jitter(Jitter::None)
            .max_retries(3),
    )
}

#[tokio::test(start_paused = true)]
async fn retries_retryable_errors_with_the_policy_delays() {
    let script = Arc::new(Script::new([
        FlakyError::Unavailable { request_id: None },
        FlakyError::RateLimited {
            wait: Some(Duration::from_secs(5)),
        },
    ]));
    let mut service = layer().layer(Scripted(Arc::clone(&script)));
    let start = Instant::now();
    assert_eq!(service.call("get").await, Ok("get #3".to_owned()));
    assert_eq!(start.elapsed(), Duration::from_secs(1 + 5));
}

#[tokio::test(start_paused = true)]
async fn stops_on_errors_that_must_not_be_retried() {
    let script = Arc::new(Script::always(FlakyError::NotFound));
    let mut service = layer().layer(Scripted(Arc::clone(&script)));
    assert_eq!(service.call("get").await, Err(FlakyError::NotFound));
    assert_eq!(script.calls(), 1);

    let script = Arc::new(Script::always(FlakyError::Internal));
    let mut service = layer().layer(Scripted(Arc::clone(&script)));
    assert_eq!(service.call("get").await, Err(FlakyError::Internal));
    assert_eq!(script.calls(), 4, "max_retries = 3");
}

/// Takes 300 ms per call, then fails with its call number in the request id.
#[derive(Clone)]
struct Slow(Arc<std::sync::atomic::AtomicU32>);

impl Service<&'static str> for Slow {
    type Response = String;
    type Error = FlakyError;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, FlakyError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), FlakyError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: &'static str) -> Self::Future {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Err(FlakyError::Unavailable {
                request_id: Some(n.to_string()),
            })
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_retry_running_at_max_elapsed_is_cut() {
    let layer = RetryLayer::new(
        RetryPolicy::exponential(Duration::from_millis(100))
            .factor(1.0)
            .jitter(Jitter::None)
            .max_retries(100)
            .max_elapsed(Duration::from_secs(1)),
    );
    let mut service = layer.layer(Slow(Arc::default()));
    let start = Instant::now();
    // Calls at 0, 400 and 800 ms; the third is cut at 1 s.
    assert_eq!(
        service.call("get").await,
        Err(FlakyError::Unavailable {
            request_id: Some("2".to_owned())
        })
    );
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}
