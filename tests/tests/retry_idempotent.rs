//! Non-idempotent calls: nothing the API may have applied is sent twice.

use std::time::Duration;

use apifault::{RetryPolicy, StopReason};
use apifault_tests::{AtomicError, FlakyError, Script};

fn create_policy() -> RetryPolicy {
    RetryPolicy::exponential(Duration::from_millis(100)).idempotent(false)
}

#[tokio::test(start_paused = true)]
async fn a_500_is_never_resent_for_a_non_idempotent_call() {
    let script = Script::always(FlakyError::Internal);
    let (result, report) =
        apifault::retry_with_report(&create_policy(), || async { script.call() }).await;
    assert_eq!(result, Err(FlakyError::Internal));
    assert_eq!(script.calls(), 1);
    assert_eq!(report.stop, StopReason::NotSafeToResend);
}

#[tokio::test(start_paused = true)]
async fn a_500_of_an_atomic_api_is_resent() {
    let script = Script::new([AtomicError::Internal, AtomicError::Internal]);
    let result = apifault::retry(&create_policy(), || async { script.call() }).await;
    assert_eq!(result, Ok(3));
}

#[tokio::test(start_paused = true)]
async fn a_429_and_a_503_are_resent() {
    let script = Script::new([
        FlakyError::RateLimited {
            wait: Some(Duration::from_secs(1)),
        },
        FlakyError::Unavailable { request_id: None },
    ]);
    let result = apifault::retry(&create_policy(), || async { script.call() }).await;
    assert_eq!(result, Ok(3));
}

/// `idempotent = false` on the attribute overrides the policy it is given.
struct Client {
    policy: RetryPolicy,
    script: Script<FlakyError>,
}

impl Client {
    #[apifault::retry(policy = &self.policy, idempotent = false)]
    async fn create(&self) -> Result<u32, FlakyError> {
        self.script.call()
    }

    #[apifault::retry(policy = &self.policy)]
    async fn get(&self) -> Result<u32, FlakyError> {
        self.script.call()
    }
}

#[tokio::test(start_paused = true)]
async fn the_attribute_makes_non_idempotent_calls_opt_in() {
    let policy = RetryPolicy::exponential(Duration::from_millis(100));
    let client = Client {
        policy: policy.clone(),
        script: Script::new([FlakyError::Internal]),
    };
    assert_eq!(client.create().await, Err(FlakyError::Internal));
    assert_eq!(client.script.calls(), 1);

    let client = Client {
        policy,
        script: Script::new([FlakyError::Internal]),
    };
    assert_eq!(
        client.get().await,
        Ok(2),
        "an idempotent GET is retried on a 500"
    );
}

/// `idempotent = EXPR`: any `bool` expression, evaluated once per call
/// (here: a PUT is idempotent, a POST is not).
struct Sender {
    policy: RetryPolicy,
    script: Script<FlakyError>,
    evaluations: std::cell::Cell<u32>,
}

impl Sender {
    fn is_idempotent(&self, method: &http::Method) -> bool {
        self.evaluations.set(self.evaluations.get() + 1);
        method.is_idempotent()
    }

    #[apifault::retry(policy = &self.policy, idempotent = self.is_idempotent(&method))]
    async fn send(&self, method: http::Method) -> Result<u32, FlakyError> {
        let _ = &method;
        self.script.call()
    }
}

#[tokio::test(start_paused = true)]
async fn idempotent_takes_any_bool_expression_evaluated_once_per_call() {
    let sender = Sender {
        policy: RetryPolicy::exponential(Duration::from_millis(100)),
        script: Script::new([FlakyError::Internal, FlakyError::Internal]),
        evaluations: std::cell::Cell::new(0),
    };
    assert_eq!(sender.send(http::Method::PUT).await, Ok(3));
    assert_eq!(
        sender.evaluations.get(),
        1,
        "once per call, not per attempt"
    );

    let sender = Sender {
        script: Script::new([FlakyError::Internal]),
        evaluations: std::cell::Cell::new(0),
        ..sender
    };
    assert_eq!(
        sender.send(http::Method::POST).await,
        Err(FlakyError::Internal)
    );
    assert_eq!(sender.script.calls(), 1, "a POST is not resent after a 500");
}
