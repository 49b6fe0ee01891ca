//! Omilia: starts the emulator in this process and runs a short scripted
//! scenario against it, printing one row per call (statuses seen, attempts,
//! waits, outcome). The rules it shows: 4xx are never retried (an
//! undocumented 408 included), whatever their body says (the page documents
//! no body code; the emulator's codes are ours and decide nothing); a 409
//! on a reused idempotency key is never retried; 429 backs off
//! exponentially (1 s, 2 s, 4 s, 8 s with equal jitter: no server hint),
//! and so do the 5xx, which is our reading (the page gives them no rule);
//! an export hit by a 500 is not resent (ours: it may have started), while
//! the dialog creation, sent under an `Idempotency-Key`, is. Time is
//! tokio's paused clock, so the waits are taken in virtual time.
//!
//! Exits non-zero if any call does not end as the documentation says.
//!
//!     cargo run -p apifault-examples --example omilia

use std::process::ExitCode;

use apifault_examples::tour::table;

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let failures = match apifault_examples::omilia::scenarios().await {
        Ok(rows) => {
            print!("{}", table("Omilia", &rows));
            rows.iter().filter(|r| !r.as_documented).count()
        }
        Err(error) => {
            println!("\nOmilia: the emulator did not start: {error}");
            1
        }
    };
    println!(
        "\n{} in {:.1} s of real time",
        if failures == 0 {
            "every call ended as documented".to_owned()
        } else {
            format!("{failures} call(s) did NOT end as documented")
        },
        started.elapsed().as_secs_f64()
    );
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
