//! The tour: starts the five emulators in this process and runs a short
//! scripted scenario against each, printing a table per API (call, statuses
//! seen, attempts, waits, outcome, request id). Time is tokio's paused clock:
//! the waits are the ones the documentation asks for (200 s for a 429 that
//! said so), taken in virtual time, so the tour takes a few seconds.
//!
//! Exits non-zero if any call does not end as its documentation says.
//!
//!     cargo run -p apifault-examples --example tour

use std::process::ExitCode;

use apifault_examples::tour::{Row, table};

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let apis: Vec<(&str, std::io::Result<Vec<Row>>)> = vec![
        (
            "Mediagenix On-Demand",
            apifault_examples::mediagenix::scenarios().await,
        ),
        (
            "BeBanjo (the On-Demand contract)",
            apifault_examples::bebanjo::scenarios().await,
        ),
        (
            "MediaMagic Integrations API",
            apifault_examples::mediamagic::scenarios().await,
        ),
        ("Lightcast", apifault_examples::lightcast::scenarios().await),
        ("Omilia", apifault_examples::omilia::scenarios().await),
    ];
    let mut failures = 0;
    for (api, rows) in apis {
        match rows {
            Ok(rows) => {
                print!("{}", table(api, &rows));
                failures += rows.iter().filter(|r| !r.as_documented).count();
            }
            Err(error) => {
                println!("\n{api}: the emulator did not start: {error}");
                failures += 1;
            }
        }
    }
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
