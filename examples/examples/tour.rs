//! The tour: starts the five emulators in this process and runs a short
//! scripted scenario against each, printing a table per API (call, statuses
//! seen, attempts, waits, outcome, request id). Time is tokio's paused clock:
//! the waits are the ones the documentation asks for (200 s for a 429 that
//! said so), taken in virtual time, so the tour takes a few seconds.
//!
//! Exits non-zero if any call does not end as its documentation says.
//!
//!     cargo run -p apifault-examples --example tour
//!
//! With `--redis URL`, a fleet scenario follows, in real time: four workers
//! sharing one Mediagenix quota through that Redis, with no 429.
//!
//!     cargo run -p apifault-examples --example tour -- --redis redis://127.0.0.1:6379/

use std::process::ExitCode;

use apifault_examples::tour::{Row, table};

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let mut args = std::env::args().skip(1);
    let mut redis = None;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--redis", Some(url)) => redis = Some(url),
            _ => {
                println!("usage: tour [--redis redis://HOST:PORT/]");
                return ExitCode::FAILURE;
            }
        }
    }
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
    if let Some(url) = redis {
        failures += fleet(url);
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

/// The fleet scenario, on a runtime of its own whose clock is real: Redis
/// keeps the time. Returns the failures.
fn fleet(url: String) -> usize {
    let ran = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime
            .block_on(apifault_examples::fleet::run(&url))
            .map_err(|e| e.to_string())
    })
    .join()
    .unwrap_or_else(|_| Err("the fleet panicked".to_owned()));
    match ran {
        Ok(report) => {
            print!("{}", report.table());
            usize::from(report.rate_limited > 0 || report.quota_used() < 0.8)
        }
        Err(error) => {
            println!("\nFleet: {error}");
            1
        }
    }
}
