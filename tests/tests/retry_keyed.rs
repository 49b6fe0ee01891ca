//! Idempotency keys: one per logical call, the same on every attempt, and
//! a call that sends one is resent even under `idempotent = false`.

use std::sync::Mutex;

use apifault::{IdempotencyKey, ManualClock, RetryPolicy, StopReason};
use apifault_tests::{FlakyError, Script};

/// A POST the server may have applied when it answers 500.
fn not_idempotent() -> RetryPolicy {
    RetryPolicy::default()
        .idempotent(false)
        .jitter(apifault::Jitter::None)
}

#[tokio::test(start_paused = true)]
async fn every_attempt_of_one_call_sends_the_same_key_and_calls_differ() {
    let sent = Mutex::new(Vec::new());
    let policy = not_idempotent();
    for _ in 0..2 {
        let script = Script::new([FlakyError::Internal, FlakyError::Internal]);
        let result = apifault::retry_keyed(&policy, |key| {
            sent.lock().unwrap().push(key);
            let outcome = script.call();
            async move { outcome }
        })
        .await;
        assert_eq!(
            result.unwrap(),
            3,
            "a 500 is resent because the key goes with it"
        );
    }
    let sent = sent.into_inner().unwrap();
    assert_eq!(sent.len(), 6);
    assert!(sent[..3].iter().all(|key| *key == sent[0]));
    assert!(sent[3..].iter().all(|key| *key == sent[3]));
    assert_ne!(sent[0], sent[3]);
}

#[test]
fn without_a_key_the_same_call_is_not_resent() {
    let policy = not_idempotent().clock(ManualClock::new());
    let script = Script::new([FlakyError::Internal]);
    let (result, report) = apifault::retry_blocking_with_report(&policy, || script.call());
    assert!(result.is_err());
    assert_eq!(report.stop, StopReason::NotSafeToResend);

    let script = Script::new([FlakyError::Internal]);
    let mut keys = Vec::new();
    let result = apifault::retry_keyed_blocking(&policy, |key| {
        keys.push(key.to_string());
        script.call()
    });
    assert_eq!(result.unwrap(), 2);
    assert_eq!(keys[0], keys[1]);
}

#[test]
fn a_key_is_at_least_16_visible_ascii_characters() {
    let key = IdempotencyKey::new();
    let text = key.to_string();
    assert!(text.len() >= 16);
    assert!(text.bytes().all(|c| c.is_ascii_graphic()));
    assert_eq!(text, key.as_str());
    assert_eq!(http::HeaderValue::from(&key), text.as_str());
}

struct Client {
    policy: RetryPolicy,
    sent: Mutex<Vec<IdempotencyKey>>,
}

impl Client {
    #[apifault::retry(policy = &self.policy, idempotent = false, idempotency_key = key)]
    async fn create(&self, script: &Script<FlakyError>) -> Result<u32, FlakyError> {
        let key: &IdempotencyKey = &key;
        self.sent.lock().unwrap().push(*key);
        script.call()
    }

    #[apifault::retry(policy = &self.policy, idempotency_key = request_key)]
    fn create_blocking(&self, script: &Script<FlakyError>) -> Result<u32, FlakyError> {
        self.sent.lock().unwrap().push(request_key);
        script.call()
    }
}

#[tokio::test(start_paused = true)]
async fn the_attribute_binds_one_key_per_call() {
    let client = Client {
        policy: not_idempotent(),
        sent: Mutex::new(Vec::new()),
    };
    let script = Script::new([FlakyError::Internal, FlakyError::Internal]);
    assert_eq!(client.create(&script).await.unwrap(), 3);
    let script = Script::new([FlakyError::Internal]);
    assert_eq!(client.create(&script).await.unwrap(), 2);
    let sent = client.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 5);
    assert!(sent[..3].iter().all(|key| *key == sent[0]));
    assert_eq!(sent[3], sent[4]);
    assert_ne!(sent[0], sent[3]);
}

#[test]
fn the_attribute_binds_a_key_in_blocking_code() {
    let client = Client {
        policy: not_idempotent().clock(ManualClock::new()),
        sent: Mutex::new(Vec::new()),
    };
    let script = Script::new([FlakyError::Internal]);
    assert_eq!(client.create_blocking(&script).unwrap(), 2);
    let sent = client.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], sent[1]);
}
