//! Typed hints, an API's own rate-limit headers, a body condition and the
//! check for errors inside a 2xx: the derived code against a careful
//! hand-written equivalent, in the same run. Target: derived / manual at
//! most 1.10.

use apifault_benches::dialects::{derived, manual, responses};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn decode(c: &mut Criterion) {
    let responses = responses();
    assert_eq!(
        derived(&responses),
        manual(&responses),
        "both decoders agree"
    );
    let mut group = c.benchmark_group("dialects: check+decode+classify (6 responses)");
    group.bench_function("hand-written", |b| b.iter(|| manual(black_box(&responses))));
    group.bench_function("#[derive(ApiError)] with typed hints and error_2xx", |b| {
        b.iter(|| derived(black_box(&responses)))
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
