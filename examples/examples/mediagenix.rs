//! Mediagenix On-Demand (BeBanjo's contract too), against its emulator.
//!
//! The enum in `src/mediagenix.rs` models every documented status: 4xx are
//! never retried and keep the reason their body gives, a 429 waits exactly
//! `Ratelimit-Reset` seconds without using up the four retries (those are
//! for 5xx), 5xx back off 2 s, 4 s, 16 s (the page's schedule, 16 s repeating), and since every synchronous
//! request is atomic, even a failed POST may be resent. The client signs in
//! with HTTP Digest (a 401 to missing or wrong credentials) and speaks
//! XML, as the API does (a 406 to an `Accept` without it). A file name with a restricted character
//! is rejected before anything is sent. Time is virtual (tokio's paused
//! clock), so the 200 s wait of a 429 takes no real time.
//!
//!     cargo run -p apifault-examples --example mediagenix

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> ExitCode {
    match apifault_examples::mediagenix::scenarios().await {
        Ok(rows) => {
            print!(
                "{}",
                apifault_examples::tour::table("Mediagenix On-Demand", &rows)
            );
            if rows.iter().all(|row| row.as_documented) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            println!("the emulator did not start: {error}");
            ExitCode::FAILURE
        }
    }
}
