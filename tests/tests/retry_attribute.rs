//! `#[apifault::retry]` on every kind of function: async and blocking, free
//! and methods (`&self`, `&mut self`), generic, `impl Trait` arguments and
//! return types, trait impls with `async fn`, `?` and `return` in the body.

use std::fmt::Display;
use std::time::Duration;

use apifault::{ManualClock, RetryPolicy};
use apifault_tests::{FlakyError, Script};
use tokio::time::Instant;

fn unavailable() -> FlakyError {
    FlakyError::Unavailable { request_id: None }
}

/// Knobs: 2 retries from 2 s without jitter.
#[apifault::retry(
    max_retries = 2,
    base = "2s",
    max_delay = "1m",
    jitter = "none",
    factor = 3
)]
async fn free_async(script: &Script<FlakyError>) -> Result<u32, FlakyError> {
    script.call()
}

#[tokio::test(start_paused = true)]
async fn knobs_set_the_policy() {
    let script = Script::always(unavailable());
    let start = Instant::now();
    assert_eq!(free_async(&script).await, Err(unavailable()));
    assert_eq!(script.calls(), 3);
    assert_eq!(start.elapsed(), Duration::from_secs(2 + 6));
}

#[apifault::retry(max_retries = 1, base = "250ms", jitter = "none")]
fn free_blocking(script: &Script<FlakyError>) -> Result<u32, FlakyError> {
    script.call()
}

#[test]
fn blocking_functions_retry_too() {
    let _instant = apifault::testing::instant_retries();
    let script = Script::new([FlakyError::Internal]);
    assert_eq!(free_blocking(&script), Ok(2));
}

struct Client {
    policy: RetryPolicy,
    script: Script<FlakyError>,
    log: Vec<String>,
}

impl Client {
    /// A doc comment is kept.
    #[apifault::retry(policy = self.policy.clone())]
    async fn by_value_policy(&self) -> Result<u32, FlakyError> {
        self.script.call()
    }

    #[apifault::retry(policy = &self.policy)]
    async fn mutating(&mut self, note: &str) -> Result<u32, FlakyError> {
        self.log.push(note.to_owned());
        self.script.call()
    }

    /// `?` ends one attempt with the error converted by `From`.
    #[apifault::retry(policy = self.policy)]
    async fn with_question_mark(&self) -> Result<u32, FlakyError> {
        let n = self.script.call()?;
        if n > 100 {
            return Err(FlakyError::NotFound);
        }
        Ok(n * 10)
    }

    #[apifault::retry(policy = &self.policy)]
    fn blocking_method(&mut self) -> Result<u32, FlakyError> {
        self.log.push("blocking".into());
        self.script.call()
    }
}

fn client(failures: impl IntoIterator<Item = FlakyError>) -> Client {
    Client {
        policy: RetryPolicy::exponential(Duration::from_millis(10)).clock(ManualClock::new()),
        script: Script::new(failures),
        log: Vec::new(),
    }
}

#[tokio::test(start_paused = true)]
async fn methods_borrow_self_afresh_each_attempt() {
    let c = client([unavailable(), unavailable()]);
    assert_eq!(c.by_value_policy().await, Ok(3));

    let mut c = client([FlakyError::Internal]);
    assert_eq!(c.mutating("try").await, Ok(2));
    assert_eq!(c.log, ["try", "try"]);

    let c = client([FlakyError::Internal]);
    assert_eq!(c.with_question_mark().await, Ok(20));

    let mut c = client([FlakyError::Internal, FlakyError::Internal]);
    assert_eq!(c.blocking_method(), Ok(3));
    assert_eq!(c.log.len(), 3);
}

/// Generic, with `impl Trait` in argument and return position.
#[apifault::retry(max_retries = 3, base = "1ms")]
async fn generic<T: Clone + Display + Send + Sync>(
    value: &T,
    script: &Script<FlakyError>,
    label: impl AsRef<str>,
) -> Result<impl Display, FlakyError> {
    let n = script.call()?;
    Ok(format!("{}{value}{n}", label.as_ref()))
}

#[tokio::test(start_paused = true)]
async fn generic_functions_and_impl_trait() {
    let script = Script::new([unavailable()]);
    let shown = generic(&7u8, &script, "#").await.map(|d| d.to_string());
    assert_eq!(shown, Ok("#72".to_owned()));
}

trait TitleApi {
    async fn title(&self, id: u64) -> Result<String, FlakyError>;
}

struct Titles {
    script: Script<FlakyError>,
}

impl TitleApi for Titles {
    #[apifault::retry(max_retries = 2, base = "1s", jitter = "none")]
    async fn title(&self, id: u64) -> Result<String, FlakyError> {
        self.script.call().map(|n| format!("title {id} after {n}"))
    }
}

#[tokio::test(start_paused = true)]
async fn trait_impls_with_async_fn() {
    let titles = Titles {
        script: Script::new([FlakyError::RateLimited {
            wait: Some(Duration::from_secs(4)),
        }]),
    };
    let start = Instant::now();
    assert_eq!(titles.title(9).await.as_deref(), Ok("title 9 after 2"));
    assert_eq!(start.elapsed(), Duration::from_secs(4));
}

/// The future of a retried method is `Send` when its body is, so it can be
/// spawned on a multi-threaded runtime.
#[test]
fn futures_stay_send() {
    fn assert_send<F: std::future::Future + Send>(_: F) {}
    let c = client([]);
    assert_send(c.by_value_policy());
    assert_send(c.with_question_mark());
    let titles = Titles {
        script: Script::new([]),
    };
    assert_send(titles.title(1));
}

#[apifault::retry(max_retries = 1)]
fn inner_attributes() -> Result<u32, FlakyError> {
    #![allow(clippy::let_and_return)]
    let ok = Ok(1);
    ok
}

#[test]
fn inner_attributes_are_lifted() {
    assert_eq!(inner_attributes(), Ok(1));
}

#[test]
fn policies_are_cheap_shared_values() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<RetryPolicy>();
    assert_send_sync_clone::<apifault::RetryBudget>();
    assert_send_sync_clone::<ManualClock>();
    // Clones share hooks: a hook set before cloning sees both policies' retries.
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = std::sync::Arc::clone(&seen);
    let policy = RetryPolicy::exponential(Duration::from_millis(1))
        .clock(ManualClock::new())
        .on_retry(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
    let copy = policy.clone();
    let script = Script::new([FlakyError::Internal]);
    assert_eq!(apifault::retry_blocking(&policy, || script.call()), Ok(2));
    let script = Script::new([FlakyError::Internal]);
    assert_eq!(apifault::retry_blocking(&copy, || script.call()), Ok(2));
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 2);
}

mod lint_clean {
    //! A one-line body and a one-expression body compile without warnings
    //! under `deny(warnings)`.
    #![deny(warnings, unused_braces)]

    use apifault_tests::FlakyError;

    #[apifault::retry(max_retries = 1)]
    pub(crate) fn one_line() -> Result<u8, FlakyError> {
        Ok(1)
    }

    #[apifault::retry(max_retries = 1)]
    pub(crate) async fn one_line_async() -> Result<u8, FlakyError> {
        Ok(2)
    }
}

#[apifault::retry(max_retries = 1)]
fn returns_a_closure(offset: u8) -> Result<impl Fn(u8) -> u8, FlakyError> {
    Ok(move |x| x + offset)
}

struct Counter {
    policy: RetryPolicy,
    count: u32,
}

impl Counter {
    fn bump(&mut self) -> u32 {
        self.count += 1;
        self.count
    }
}

/// The policy is borrowed from an argument the body mutates.
#[apifault::retry(policy = counter.policy)]
async fn from_a_mut_argument(counter: &mut Counter) -> Result<u32, FlakyError> {
    match counter.bump() {
        1 => Err(FlakyError::Internal),
        n => Ok(n),
    }
}

/// The same through a named lifetime (`&'a mut`), which a reading of the
/// printed tokens once missed.
#[apifault::retry(policy = counter.policy)]
async fn from_a_mut_argument_with_a_lifetime<'a>(
    counter: &'a mut Counter,
) -> Result<u32, FlakyError> {
    match counter.bump() {
        1 => Err(FlakyError::Internal),
        n => Ok(n),
    }
}

#[tokio::test(start_paused = true)]
async fn odd_signatures_expand() {
    assert_eq!(lint_clean::one_line(), Ok(1));
    assert_eq!(lint_clean::one_line_async().await, Ok(2));
    assert_eq!(returns_a_closure(2).map(|f| f(40)), Ok(42));
    let mut counter = Counter {
        policy: RetryPolicy::exponential(Duration::from_millis(1)),
        count: 0,
    };
    assert_eq!(from_a_mut_argument(&mut counter).await, Ok(2));
    counter.count = 0;
    assert_eq!(
        from_a_mut_argument_with_a_lifetime(&mut counter).await,
        Ok(2)
    );
}
