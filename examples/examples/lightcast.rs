//! Lightcast: starts the emulator in this process and runs a short scripted
//! scenario against it, printing one row per call (statuses seen, attempts,
//! waits, outcome). The documented rules: 200 is success; 400, 401, 404,
//! 413, 415 and 422 mean the request must be fixed (never retried); 429 is
//! retried once the limit allows (`Retry-After`, else `RateLimit-Reset`);
//! 500, 502, 503 and 504 are retried later with exponential backoff.
//!
//! Time is tokio's paused clock, so the waits (12 s for a 429 that asked for
//! it) are taken in virtual time. The backoff has equal jitter: each wait is
//! checked against its bounds, not an exact value.
//!
//! Exits non-zero if any call does not end as the documentation says.
//!
//!     cargo run -p apifault-examples --example lightcast

use std::process::ExitCode;

use apifault_examples::tour::table;

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let rows = match apifault_examples::lightcast::scenarios().await {
        Ok(rows) => rows,
        Err(error) => {
            println!("\nLightcast: the emulator did not start: {error}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", table("Lightcast", &rows));
    let failures = rows.iter().filter(|r| !r.as_documented).count();
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
