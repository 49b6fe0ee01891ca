//! Attack: extreme durations and draws against `Jitter::apply`. It is total:
//! no panic for `Duration::MAX`, a unit of exactly 1.0, NaN or infinities,
//! in any variant, and every wait stays within its documented bounds.

use std::time::Duration;

use apifault::{Jitter, JitterStep};
use proptest::prelude::*;

const VARIANTS: [Jitter; 4] = [
    Jitter::None,
    Jitter::Full,
    Jitter::Equal,
    Jitter::Decorrelated,
];

/// Any duration, the extremes made likely.
fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::MAX),
        Just(Duration::ZERO),
        Just(Duration::new(u64::MAX, 0)),
        Just(Duration::from_secs(u64::MAX / 2)),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        (0u64..600_000).prop_map(Duration::from_millis),
    ]
}

fn any_unit() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(1.0),
        Just(0.0),
        Just(1.0 - f64::EPSILON),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.5),
        Just(7.0),
        0.0f64..1.0,
        any::<f64>(),
    ]
}

/// Where a wait must land, as the `Jitter` docs state it.
fn assert_within(jitter: Jitter, wait: Duration, d: Duration, base: Duration, cap: Duration) {
    match jitter {
        Jitter::None => assert_eq!(wait, d),
        Jitter::Full => assert!(wait <= d, "{wait:?} > {d:?}"),
        Jitter::Equal => assert!(wait >= d / 2 && wait <= d, "{wait:?} for {d:?}"),
        _ => assert!(wait <= cap.max(base), "{wait:?} > max({cap:?}, {base:?})"),
    }
}

#[test]
fn duration_max_with_a_unit_of_one_does_not_panic() {
    let max = Duration::MAX;
    for jitter in VARIANTS {
        for unit in [1.0, 0.999_999_999_999, 0.5, 0.0, f64::NAN] {
            let wait = jitter.apply(
                JitterStep {
                    delay: max,
                    base: max,
                    previous: max,
                    max_delay: max,
                },
                unit,
            );
            assert_within(jitter, wait, max, max, max);
        }
    }
    assert_eq!(
        Jitter::Full.apply(
            JitterStep {
                delay: max,
                base: max,
                previous: max,
                max_delay: max
            },
            1.0
        ),
        max
    );
    assert_eq!(
        Jitter::Decorrelated.apply(
            JitterStep {
                delay: max,
                base: max,
                previous: max,
                max_delay: max
            },
            1.0
        ),
        max
    );
}

proptest! {
    #[test]
    fn apply_is_total_and_bounded(
        d in any_duration(),
        base in any_duration(),
        prev in any_duration(),
        cap in any_duration(),
        unit in any_unit(),
    ) {
        for jitter in VARIANTS {
            let wait = jitter.apply(JitterStep { delay: d, base, previous: prev, max_delay: cap }, unit);
            assert_within(jitter, wait, d, base, cap);
        }
    }
}
