//! The MediaMagic Integrations API against its emulator.
//!
//! The enum in `src/mediamagic.rs` models every documented status with its
//! own body shape (domain `detail`/`docs_url`, 422 `fields`, 402 plan error,
//! 429 `error`). Only 429, 500 and 502 are retried: a 429 waits
//! `Retry-After`, then backs off (each retry waits the larger of the hint and
//! the next jittered backoff step, so a hint above the step is waited
//! exactly); 500 and 502 back off exponentially with jitter (so those waits
//! are checked against bounds, not exact values). An undocumented 503
//! is not retried. "429, 500, and 502 are safe to retry with backoff", so a
//! `POST /submissions` that failed with a 500 is resent; one the server had
//! stored before failing is refused as a duplicate (409 "Asset already
//! submitted"), never stored twice. Every cause the page lists is produced
//! (expired and revoked keys, a plan without the API, a sandbox-only
//! endpoint or field with a live key, an invalid blob path, …). Time is
//! virtual (tokio's paused clock), so the waits take no real time.
//!
//!     cargo run -p apifault-examples --example mediamagic

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> ExitCode {
    match apifault_examples::mediamagic::scenarios().await {
        Ok(rows) => {
            print!(
                "{}",
                apifault_examples::tour::table("MediaMagic Integrations API", &rows)
            );
            let failures = rows.iter().filter(|row| !row.as_documented).count();
            if failures == 0 {
                println!("\nevery call ended as documented");
                ExitCode::SUCCESS
            } else {
                println!("\n{failures} call(s) did NOT end as documented");
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            println!("\nMediaMagic Integrations API: the scenario did not start: {error}");
            ExitCode::FAILURE
        }
    }
}
