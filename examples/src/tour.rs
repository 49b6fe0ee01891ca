//! What the tour and the per-API examples print: one row per scripted call,
//! with the statuses the emulator answered, the attempts, the waits the
//! retry policy took, the outcome, and whether that is what the vendor's
//! documentation says should happen.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use apifault::{ApiError, RetryPolicy};

use crate::emulator::Emulator;

/// One scripted call and how it ended.
#[derive(Clone, Debug)]
pub struct Row {
    /// What was called, e.g. `GET /titles/1 (404)`.
    pub call: String,
    /// Every status the emulator answered during the call, in order.
    pub statuses: Vec<u16>,
    /// Requests the client made: those the emulator received, or, for a
    /// call that never reached it (a refused connection), one more than its
    /// waits; none for a call rejected before sending.
    pub attempts: usize,
    /// The waits between attempts.
    pub waits: Vec<Duration>,
    /// How the call ended.
    pub outcome: String,
    /// The request id of the last error, where the API has one.
    pub request_id: Option<String>,
    /// Whether this is what the documentation says should happen.
    pub as_documented: bool,
}

/// Collects the waits of every retry of the calls made with its policy.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl Recorder {
    /// `policy` with a hook that records each wait here.
    #[must_use]
    pub fn attach(&self, policy: RetryPolicy) -> RetryPolicy {
        let waits = Arc::clone(&self.waits);
        policy.on_retry(move |event| {
            waits
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(event.delay);
        })
    }

    /// The waits recorded since the last call, clearing them.
    pub fn take(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.waits.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Runs one scripted call and turns it into a row: `check` says whether
/// the result is what the documentation asks for.
pub async fn row<T, E, F>(
    call: &str,
    emulator: &Emulator<E>,
    recorder: &Recorder,
    future: F,
    check: impl FnOnce(&Result<T, E>, &[u16], &[Duration]) -> bool,
) -> Row
where
    E: ApiError + std::fmt::Display,
    F: std::future::Future<Output = Result<T, E>>,
{
    emulator.clear_hits();
    let _ = recorder.take();
    let result = future.await;
    let statuses: Vec<u16> = emulator.statuses();
    let waits = recorder.take();
    let as_documented = check(&result, &statuses, &waits);
    // Requests that reached the emulator during the call (a sequence
    // counts all its calls); a call that never reached it (a refused
    // connection) counts its own attempts, one more than its waits.
    let attempts = match (statuses.len(), waits.len()) {
        (0, 0) => 0,
        (0, waits) => waits + 1,
        (reached, _) => reached,
    };
    let (outcome, request_id) = match &result {
        Ok(_) => ("ok".to_owned(), None),
        Err(error) => (error.to_string(), error.request_id().map(str::to_owned)),
    };
    Row {
        call: call.to_owned(),
        statuses,
        attempts,
        waits,
        outcome,
        request_id,
        as_documented,
    }
}

fn seconds(waits: &[Duration]) -> String {
    if waits.is_empty() {
        return "-".into();
    }
    waits
        .iter()
        .map(|w| {
            if w.subsec_millis() == 0 {
                format!("{}s", w.as_secs())
            } else {
                format!("{:.1}s", w.as_secs_f64())
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rows as a text table under a heading.
#[must_use]
pub fn table(api: &str, rows: &[Row]) -> String {
    let header = [
        "call",
        "statuses",
        "attempts",
        "waits",
        "outcome",
        "request id",
        "ok",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|row| {
            let statuses = if row.statuses.is_empty() {
                "(none sent)".to_owned()
            } else {
                row.statuses
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            [
                row.call.clone(),
                statuses,
                row.attempts.to_string(),
                seconds(&row.waits),
                row.outcome.clone(),
                row.request_id.clone().unwrap_or_else(|| "-".into()),
                if row.as_documented { "yes" } else { "NO" }.to_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = format!("\n{api}\n");
    let line = |out: &mut String, cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "  {}", parts.join(" | ").trim_end());
    };
    line(&mut out, &header.map(str::to_owned));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let _ = writeln!(out, "  {}", rule.join("-+-"));
    for row in &cells {
        line(&mut out, row);
    }
    out
}
