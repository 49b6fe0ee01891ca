//! One `tracing` event per retry and per give-up, at the levels a user
//! expects, carrying the attempt, delay, reason, status and request id and
//! nothing else from the response.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apifault::{Jitter, RetryPolicy};
use apifault_tests::{FlakyError, Script};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

#[derive(Debug, Clone, PartialEq)]
struct Captured {
    level: Level,
    target: String,
    fields: BTreeMap<String, String>,
}

/// Records every event; spans are not used by the engine.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn keys(event: &Captured) -> Vec<&str> {
    event.fields.keys().map(String::as_str).collect()
}

#[tokio::test(start_paused = true)]
async fn retries_and_give_ups_are_traced() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());

    let policy = RetryPolicy::exponential(Duration::from_secs(1))
        .jitter(Jitter::None)
        .max_retries(2);
    let script = Script::always(FlakyError::Unavailable {
        request_id: Some("req-7".into()),
    });
    let _ = apifault::retry(&policy, || async { script.call() }).await;

    let events = capture.0.lock().unwrap().clone();
    assert_eq!(events.len(), 3, "{events:#?}");
    for (event, delay) in events[..2].iter().zip(["1000", "2000"]) {
        assert_eq!(
            (event.level, event.target.as_str()),
            (Level::INFO, "apifault")
        );
        assert_eq!(
            keys(event),
            [
                "attempt",
                "delay_ms",
                "message",
                "reason",
                "request_id",
                "status"
            ]
        );
        assert_eq!(event.fields["delay_ms"], delay);
        assert_eq!(event.fields["reason"], "backoff");
        assert_eq!(event.fields["status"], "503");
        assert_eq!(event.fields["request_id"], "req-7");
    }
    assert_eq!(events[0].fields["attempt"], "1");
    let give_up = &events[2];
    assert_eq!(give_up.level, Level::WARN);
    assert_eq!(
        keys(give_up),
        [
            "attempts",
            "message",
            "reason",
            "request_id",
            "status",
            "waited_ms"
        ]
    );
    assert_eq!(give_up.fields["attempts"], "3");
    assert_eq!(give_up.fields["waited_ms"], "3000");
    assert_eq!(give_up.fields["reason"], "max_retries reached");
}

#[tokio::test(start_paused = true)]
async fn errors_that_are_not_retried_are_debug_events() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let script = Script::always(FlakyError::NotFound);
    let _ = apifault::retry(&RetryPolicy::default(), || async { script.call() }).await;
    let events = capture.0.lock().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].level, Level::DEBUG);
    assert_eq!(events[0].fields["reason"], "the error is not retryable");
    assert_eq!(events[0].fields["status"], "404");
    assert!(
        !events[0].fields.contains_key("request_id"),
        "absent ids are not recorded"
    );
}

#[tokio::test(start_paused = true)]
async fn success_is_silent() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let script = Script::<FlakyError>::new([]);
    assert_eq!(
        apifault::retry(&RetryPolicy::default(), || async { script.call() }).await,
        Ok(1)
    );
    assert!(capture.0.lock().unwrap().is_empty());
}
