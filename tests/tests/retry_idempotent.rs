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
