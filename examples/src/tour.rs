//! What the tour and the per-API examples print: one row per scripted call,
//! with the rule of the vendor's page it shows (a short quote, or a
//! reading marked "ours" where the page is silent), the statuses the
//! emulator answered, the attempts, the waits the retry policy took, the
//! outcome, and whether that is what the page's rule says should happen.
//! Each row's check is written against the quoted rule, not against what
//! the client happens to do, so a client that bends a rule fails its row.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use apifault::{ApiError, RetryPolicy, StopReason};

use crate::emulator::Emulator;

/// One scripted call and how it ended.
#[derive(Clone, Debug)]
pub struct Row {
    /// What was called, e.g. `GET /titles/1 (404)`.
    pub call: String,
    /// The rule of the vendor's page the row shows, quoted short (or a
    /// reading of ours, marked so, where the page is silent).
    pub rule: String,
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
    /// The request id of the call's last response, where the API sends
    /// one: the error's own when it keeps one, else the id the emulator
    /// answered with (on a success, what `apifault::Success` keeps).
    pub request_id: Option<String>,
    /// Whether this is what the documentation says should happen.
    pub as_documented: bool,
}

/// Collects the waits of every retry of the calls made with its policy,
/// and why the engine gave up, when it did.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    waits: Arc<Mutex<Vec<Duration>>>,
    stops: Arc<Mutex<Vec<StopReason>>>,
}

impl Recorder {
    /// `policy` with hooks that record each wait, and each give-up's
    /// reason, here.
    #[must_use]
    pub fn attach(&self, policy: RetryPolicy) -> RetryPolicy {
        let waits = Arc::clone(&self.waits);
        let stops = Arc::clone(&self.stops);
        policy
            .on_retry(move |event| {
                waits
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(event.delay);
            })
            .on_give_up(move |event| {
                stops
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(event.reason);
            })
    }

    /// The waits recorded since the last call, clearing them.
    pub fn take(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.waits.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Why the engine gave up on the last call that gave up since the
    /// last [`row`] began, if one did.
    pub fn last_stop(&self) -> Option<StopReason> {
        self.stops
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last()
            .copied()
    }

    fn clear_stops(&self) {
        self.stops
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Runs one scripted call and turns it into a row: `check` says whether
/// the result, the statuses and the waits are what `rule` (the page's
/// words) asks for.
pub async fn row<T, E, F>(
    call: &str,
    rule: &str,
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
    recorder.clear_stops();
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
    let answered = emulator.last_request_id();
    let (outcome, request_id) = match &result {
        Ok(_) => ("ok".to_owned(), answered),
        Err(error) => {
            // Why the engine stopped, where a limit (not the error's own
            // rule) ended the call: "gave up: max_retries reached".
            let outcome = match recorder.last_stop() {
                Some(stop) if stop.exhausted() => format!("{error} (gave up: {stop})"),
                _ => error.to_string(),
            };
            let request_id = error.request_id().map(str::to_owned).or(answered);
            (outcome, request_id)
        }
    };
    Row {
        call: call.to_owned(),
        rule: rule.to_owned(),
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
        "the page's rule",
        "statuses",
        "attempts",
        "waits",
        "outcome",
        "request id",
        "ok",
    ];
    let cells: Vec<[String; 8]> = rows
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
                row.rule.clone(),
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

#[cfg(test)]
mod tests {
    /// Every call that reached an API with request ids shows one, successes
    /// included; MediaMagic has none ("No request id"), and shows none.
    #[tokio::test(start_paused = true)]
    async fn every_answered_call_shows_the_request_id_where_the_api_sends_one() {
        let with_ids = [
            ("Mediagenix", crate::mediagenix::scenarios().await),
            ("BeBanjo", crate::bebanjo::scenarios().await),
            ("Lightcast", crate::lightcast::scenarios().await),
            ("Omilia", crate::omilia::scenarios().await),
        ];
        for (api, rows) in with_ids {
            let rows = rows.expect("the emulator starts");
            assert!(rows.iter().any(|row| row.outcome == "ok"), "{api}");
            for row in rows.iter().filter(|row| !row.statuses.is_empty()) {
                assert!(row.request_id.is_some(), "{api}: {}", row.call);
            }
        }
        let rows = crate::mediamagic::scenarios()
            .await
            .expect("the emulator starts");
        assert!(rows.iter().all(|row| row.request_id.is_none()));
    }
}
