//! Decoding and classification of an enum with header and code conditions
//! and the server's `should_retry`: the derived code against a careful
//! hand-written equivalent, in the same run. Target: derived / manual at
//! most 1.10.

use apifault_benches::conditions::{derived, manual, responses};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn decode(c: &mut Criterion) {
    let responses = responses();
    assert_eq!(
        derived(&responses),
        manual(&responses),
        "both decoders agree"
    );
    let mut group = c.benchmark_group("conditions: decode+classify (8 responses)");
    group.bench_function("hand-written", |b| b.iter(|| manual(black_box(&responses))));
    group.bench_function("#[derive(ApiError)] with when(...)", |b| {
        b.iter(|| derived(black_box(&responses)))
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
