//! Attack: short windows, resets rounded either way, many tasks, lying
//! latencies, against "a throttled client never sees a 429". On a virtual
//! clock (`apifault_tests::throttle_sim`) for windows of 1 s to 60 s, as a
//! table and as a property over random loads; over real loopback HTTP in
//! `adversarial_throttle_http.rs`.

use std::time::Duration;

use apifault::{LocalThrottle, ThrottleStore};
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

/// An instant as late as `Instant` goes: a hostile clock may say so.
fn end_of_time() -> std::time::Instant {
    let mut at = std::time::Instant::now();
    let mut step = Duration::from_secs(u64::MAX / 2);
    while step > Duration::from_millis(1) {
        match at.checked_add(step) {
            Some(later) => at = later,
            None => step /= 2,
        }
    }
    at
}

#[derive(Clone, Debug)]
enum Op {
    /// Ask at the current time.
    Reserve,
    /// The answer to the `n`-th request let through (if still in flight).
    Answer(usize, Option<u64>, Option<u64>, Option<u64>),
    /// Answered without announcing anything.
    Release(usize),
    /// The clock moves by this many milliseconds (backwards too).
    Step(i64),
    /// The clock jumps to the end of time, or back to the start.
    Jump(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let count = prop_oneof![
        Just(None),
        Just(Some(0)),
        Just(Some(u64::MAX)),
        (0u64..100).prop_map(Some)
    ];
    let reset = prop_oneof![
        Just(None),
        Just(Some(0)),
        Just(Some(u64::MAX)),
        Just(Some(u64::MAX / 1_000)),
        (0u64..200_000).prop_map(Some),
    ];
    prop_oneof![
        4 => Just(Op::Reserve),
        3 => (0usize..64, count.clone(), count, reset).prop_map(|(n, l, r, s)| Op::Answer(n, l, r, s)),
        1 => (0usize..64).prop_map(Op::Release),
        2 => (-5_000i64..120_000).prop_map(Op::Step),
        1 => any::<bool>().prop_map(Op::Jump),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Hostile announcements (counts of `u64::MAX`, remaining above the
    /// limit, resets of 584 million years in milliseconds), answers to
    /// requests never sent, and a clock that runs backwards and jumps to
    /// the end of time: the store never panics, and when it holds a
    /// request it names a time after now (no busy loop).
    #[test]
    fn hostile_announcements_and_clocks_never_panic_nor_spin(ops in proptest::collection::vec(op(), 1..120)) {
        let window = LocalThrottle::default();
        let start = std::time::Instant::now();
        let end = end_of_time();
        let mut now = start;
        let mut sent: Vec<std::time::Instant> = Vec::new();
        for op in ops {
            match op {
                Op::Reserve => match window.reserve(now) {
                    Ok(()) => sent.push(now),
                    // (At the end of time there is no later instant to name.)
                    Err(at) => prop_assert!(
                        at > now || now.checked_add(Duration::from_millis(50)).is_none(),
                        "held until {at:?}, now {now:?}"
                    ),
                },
                Op::Answer(n, limit, remaining, reset) => {
                    let at = sent.get(n).copied().unwrap_or(now);
                    window.observe_response(at, now, apifault::RateLimit {
                        limit,
                        remaining,
                        reset: reset.map(Duration::from_millis),
                    });
                    if n < sent.len() {
                        window.release_sent(sent.remove(n), now);
                    }
                }
                Op::Release(n) => {
                    if n < sent.len() {
                        window.release_sent(sent.remove(n), now);
                    }
                }
                Op::Step(ms) => {
                    now = if ms >= 0 {
                        now.checked_add(Duration::from_millis(ms.unsigned_abs())).unwrap_or(now)
                    } else {
                        now.checked_sub(Duration::from_millis(ms.unsigned_abs())).unwrap_or(now)
                    };
                }
                Op::Jump(to_end) => now = if to_end { end } else { start },
            }
        }
    }
}

#[tokio::test]
async fn a_throttle_on_a_clock_at_the_end_of_time_does_not_panic() {
    #[derive(Debug)]
    struct Late(std::time::Instant);
    impl apifault::Clock for Late {
        fn now(&self) -> std::time::Instant {
            self.0
        }
        fn sleep_blocking(&self, _: Duration) {}
        fn sleep(&self, _: Duration) -> apifault::Sleep {
            Box::pin(tokio::task::yield_now())
        }
    }
    let throttle = apifault::Throttle::new().clock(Late(end_of_time()));
    let first = throttle.acquire().await;
    // A second request while the first is unanswered is held: the time it
    // is held until must not overflow.
    let second = tokio::time::timeout(Duration::from_millis(50), throttle.acquire()).await;
    assert!(second.is_err(), "held while the first request is out");
    first.observe_rate_limit(apifault::RateLimit::new(
        5,
        3,
        Duration::from_secs(u64::MAX / 4),
    ));
    drop(first);
    let _ = throttle.acquire().await;
}
