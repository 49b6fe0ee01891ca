//! Jitter bounds for each mode, as properties over random draws and delays.

use std::time::Duration;

use apifault::{Jitter, JitterStep, ManualClock, RetryPolicy};
use apifault_tests::{FlakyError, Script};
use proptest::prelude::*;

fn millis() -> impl Strategy<Value = Duration> {
    (0u64..600_000).prop_map(Duration::from_millis)
}

proptest! {
    #[test]
    fn full_is_between_zero_and_the_delay(d in millis(), unit in 0.0f64..1.0) {
        let wait = Jitter::Full.apply(JitterStep { delay: d, base: Duration::from_secs(1), previous: d, max_delay: Duration::from_secs(600) }, unit);
        prop_assert!(wait <= d);
    }

    #[test]
    fn equal_is_between_half_and_the_delay(d in millis(), unit in 0.0f64..1.0) {
        let wait = Jitter::Equal.apply(JitterStep { delay: d, base: Duration::from_secs(1), previous: d, max_delay: Duration::from_secs(600) }, unit);
        prop_assert!(wait >= d / 2 && wait <= d, "{wait:?} for {d:?}");
    }

    #[test]
    fn decorrelated_is_between_base_and_three_times_the_last(
        base in (1u64..5_000).prop_map(Duration::from_millis),
        prev in millis(),
        cap in (1u64..600_000).prop_map(Duration::from_millis),
        unit in 0.0f64..1.0,
    ) {
        let wait = Jitter::Decorrelated.apply(JitterStep { delay: prev, base, previous: prev, max_delay: cap }, unit);
        let high = prev.max(base) * 3;
        prop_assert!(wait >= base.min(cap.max(base)));
        prop_assert!(wait <= high.min(cap.max(base)), "{wait:?} > min({high:?}, {cap:?})");
    }

    #[test]
    fn none_is_the_delay(d in millis(), unit in 0.0f64..1.0) {
        prop_assert_eq!(Jitter::None.apply(JitterStep { delay: d, base: Duration::from_secs(1), previous: d, max_delay: Duration::from_secs(600) }, unit), d);
    }

    /// The engine's waits stay within each mode's bounds too.
    #[test]
    fn engine_waits_stay_in_bounds(mode in prop_oneof![Just(Jitter::Full), Just(Jitter::Equal), Just(Jitter::Decorrelated)]) {
        let clock = ManualClock::new();
        let base = Duration::from_millis(500);
        let max = Duration::from_secs(8);
        let policy = RetryPolicy::exponential(base)
            .max_delay(max)
            .max_retries(6)
            .no_max_elapsed()
            .jitter(mode)
            .clock(clock.clone());
        let script = Script::always(FlakyError::Internal);
        let _ = apifault::retry_blocking(&policy, || script.call());
        let sleeps = clock.sleeps();
        prop_assert_eq!(sleeps.len(), 6);
        let mut prev = Duration::ZERO;
        for (i, wait) in sleeps.iter().copied().enumerate() {
            let d = policy.backoff(i as u32 + 1);
            match mode {
                Jitter::Full => prop_assert!(wait <= d),
                Jitter::Equal => prop_assert!(wait >= d / 2 && wait <= d),
                _ => prop_assert!(wait >= base && wait <= (prev.max(base) * 3).min(max)),
            }
            prev = wait;
        }
    }
}
