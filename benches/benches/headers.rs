//! Header parsing per call: `Retry-After` as seconds and as an HTTP-date,
//! and the structured `RateLimit` fields.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use apifault::headers::{parse_retry_after, rate_limit};
use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue};

fn headers(c: &mut Criterion) {
    let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
    let mut structured = HeaderMap::new();
    structured.insert(
        "ratelimit",
        HeaderValue::from_static("\"default\";r=50;t=30"),
    );
    structured.insert(
        "ratelimit-policy",
        HeaderValue::from_static("\"default\";q=100;w=60"),
    );
    let mut separate = HeaderMap::new();
    separate.insert("ratelimit-limit", HeaderValue::from_static("150"));
    separate.insert("ratelimit-remaining", HeaderValue::from_static("100"));
    separate.insert("ratelimit-reset", HeaderValue::from_static("200"));

    let mut group = c.benchmark_group("headers");
    group.bench_function("Retry-After: 120", |b| {
        b.iter(|| parse_retry_after(black_box(b"120"), now))
    });
    group.bench_function("Retry-After: IMF-fixdate", |b| {
        b.iter(|| parse_retry_after(black_box(b"Sun, 06 Nov 1994 08:51:37 GMT"), now))
    });
    group.bench_function("RateLimit + RateLimit-Policy (structured)", |b| {
        b.iter(|| rate_limit(black_box(&structured)))
    });
    group.bench_function("RateLimit-Limit/-Remaining/-Reset", |b| {
        b.iter(|| rate_limit(black_box(&separate)))
    });
    group.finish();
}

criterion_group!(benches, headers);
criterion_main!(benches);
