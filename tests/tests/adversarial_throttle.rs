//! Attack: short windows, resets rounded either way, many tasks, lying
//! latencies, against "a throttled client never sees a 429". On a virtual
//! clock (`apifault_tests::throttle_sim`) for windows of 1 s to 60 s, as a
//! table and as a property over random loads; over real loopback HTTP in
//! `adversarial_throttle_http.rs`.

use std::time::Duration;

use apifault::LocalThrottle;
use apifault_tests::throttle_sim::{Load, Rules, Windows, simulate};
use proptest::prelude::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The table: 0 answers 429 for windows of 1, 2, 10 and 60 s,
/// resets rounded up or down, 1 and 16 tasks, and at least 80% of the
/// throughput the server allows.
#[test]
fn no_429_and_most_of_the_throughput_for_every_window_rounding_and_task_count() {
    let mut report = Vec::new();
    for window in [1, 2, 10, 60] {
        for round_up in [true, false] {
            for tasks in [1, 16] {
                for seed in 0..3 {
                    let limit = 50;
                    let rules = Rules {
                        limit,
                        window: secs(window),
                        round_up,
                        windows: Windows::FromFirstRequest,
                    };
                    // Twenty windows' worth, over loopback-like latencies.
                    let load = Load {
                        tasks,
                        requests: 20 * limit,
                        seed,
                        max_latency: Duration::from_millis(2),
                        max_pause: Duration::ZERO,
                    };
                    let outcome = simulate(&LocalThrottle::default(), rules, &load);
                    let server = &outcome.server;
                    let case = format!("{window} s, up {round_up}, {tasks} tasks, seed {seed}");
                    assert_eq!(server.rejected, 0, "{case}: {server:?}");
                    assert_eq!(server.served, 20 * limit, "{case}");
                    // 1,000 requests at 50 a window need 20 windows: 19
                    // waited out. Throughput against that ideal:
                    let ideal = secs(window) * 19;
                    let share = ideal.as_secs_f64() / outcome.took.as_secs_f64();
                    assert!(
                        share >= 0.8,
                        "{case}: {:.0}% in {:?}",
                        share * 100.0,
                        outcome.took
                    );
                    report.push((case, share));
                }
            }
        }
    }
    let worst = report
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("cases");
    println!("worst throughput: {:.1}% ({})", worst.1 * 100.0, worst.0);
}

#[test]
fn aligned_windows_never_see_a_429_either() {
    for window in [1, 2, 10, 60] {
        for round_up in [true, false] {
            for tasks in [1, 16] {
                let rules = Rules {
                    limit: 20,
                    window: secs(window),
                    round_up,
                    windows: Windows::Aligned,
                };
                let load = Load {
                    tasks,
                    requests: 200,
                    seed: window,
                    max_latency: Duration::from_millis(3),
                    max_pause: Duration::ZERO,
                };
                let outcome = simulate(&LocalThrottle::default(), rules, &load);
                assert_eq!(
                    outcome.server.rejected, 0,
                    "{window} s, up {round_up}, {tasks} tasks"
                );
            }
        }
    }
}

#[test]
fn slow_answers_that_cross_the_window_boundary_are_counted() {
    // Latencies up to a third of the window: many requests of one window
    // are answered in the next.
    for window in [1, 2, 10] {
        for round_up in [true, false] {
            let rules = Rules {
                limit: 30,
                window: secs(window),
                round_up,
                windows: Windows::FromFirstRequest,
            };
            let load = Load {
                tasks: 16,
                requests: 300,
                seed: 7,
                max_latency: secs(window) / 3,
                max_pause: Duration::ZERO,
            };
            let outcome = simulate(&LocalThrottle::default(), rules, &load);
            assert_eq!(outcome.server.rejected, 0, "{window} s, up {round_up}");
        }
    }
}

fn rules() -> impl Strategy<Value = Rules> {
    (
        1u64..=60,
        1u64..=60,
        any::<bool>(),
        prop_oneof![Just(Windows::FromFirstRequest), Just(Windows::Aligned)],
    )
        .prop_map(|(limit, window, round_up, windows)| Rules {
            limit,
            window: secs(window),
            round_up,
            windows,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random windows, limits, roundings and layouts; random numbers of
    /// tasks, latencies (up to 40% of the window: answers arrive out of
    /// order and after the window they speak of) and pauses (the clock
    /// jumps ahead between requests, past whole windows): the throttle
    /// never lets more requests into a window than the server announced.
    #[test]
    fn never_more_requests_into_a_window_than_announced(
        rules in rules(),
        tasks in 1usize..=16,
        seed in any::<u64>(),
        latency_share in 0u32..=40,
        pause_windows in 0u32..=3,
    ) {
        let load = Load {
            tasks,
            requests: 4 * rules.limit + 3,
            seed,
            max_latency: rules.window * latency_share / 100,
            max_pause: rules.window * pause_windows,
        };
        let outcome = simulate(&LocalThrottle::default(), rules, &load);
        prop_assert_eq!(outcome.server.rejected, 0, "{:?} {:?}", rules, load);
        prop_assert_eq!(outcome.server.served, load.requests);
    }
}
