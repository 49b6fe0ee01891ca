//! Decoding and classification of a realistic mix of responses: the
//! derived code against a hand-written `match` for the same enum, in the
//! same run. Target: derived / manual at most 1.05.

use apifault_benches::{derived, manual, responses};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn decode(c: &mut Criterion) {
    let responses = responses();
    assert_eq!(
        derived(&responses),
        manual(&responses),
        "both decoders agree"
    );
    let mut group = c.benchmark_group("decode+classify (7 responses)");
    group.bench_function("hand-written match", |b| {
        b.iter(|| manual(black_box(&responses)))
    });
    group.bench_function("#[derive(ApiError)]", |b| {
        b.iter(|| derived(black_box(&responses)))
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
