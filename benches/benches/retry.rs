//! The retry engine's cost.
//!
//! - A `#[apifault::retry]` function whose first attempt succeeds, against
//!   the same function without the attribute (target: at most 5 ns more;
//!   the zero-allocation half is asserted by `tests/tests/retry_alloc.rs`).
//! - A call that fails three times then succeeds, delays zero: apifault
//!   against backon and tokio-retry doing the same work.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use apifault::{ApiError, Jitter, RetryPolicy};
use backon::Retryable as _;
use criterion::{Criterion, criterion_group, criterion_main};

#[derive(Debug, Clone, Copy, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

struct Client {
    policy: RetryPolicy,
    offset: u64,
}

impl Client {
    #[apifault::retry(policy = &self.policy)]
    async fn with_retry(&self, id: u64) -> Result<u64, E> {
        Ok(black_box(id) + self.offset)
    }

    async fn without_retry(&self, id: u64) -> Result<u64, E> {
        Ok(black_box(id) + self.offset)
    }

    #[apifault::retry(policy = &self.policy)]
    fn with_retry_blocking(&self, id: u64) -> Result<u64, E> {
        Ok(black_box(id) + self.offset)
    }

    fn without_retry_blocking(&self, id: u64) -> Result<u64, E> {
        Ok(black_box(id) + self.offset)
    }
}

fn poll_once<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the first attempt succeeds at once"),
    }
}

fn first_success(c: &mut Criterion) {
    let client = Client {
        policy: RetryPolicy::default(),
        offset: 1,
    };
    // A policy that bounds neither the call's time nor the retries' share
    // reads no clock unless an attempt fails.
    let unbounded = Client {
        policy: RetryPolicy::default().no_max_elapsed(),
        offset: 1,
    };
    let mut group = c.benchmark_group("first attempt succeeds");
    group.bench_function("async fn", |b| {
        b.iter(|| poll_once(client.without_retry(black_box(7))))
    });
    group.bench_function("async fn + #[apifault::retry]", |b| {
        b.iter(|| poll_once(client.with_retry(black_box(7))))
    });
    group.bench_function("fn", |b| {
        b.iter(|| client.without_retry_blocking(black_box(7)))
    });
    group.bench_function("fn + #[apifault::retry]", |b| {
        b.iter(|| client.with_retry_blocking(black_box(7)))
    });
    group.bench_function("async fn + #[apifault::retry], no max_elapsed", |b| {
        b.iter(|| poll_once(unbounded.with_retry(black_box(7))))
    });
    group.bench_function("fn + #[apifault::retry], no max_elapsed", |b| {
        b.iter(|| unbounded.with_retry_blocking(black_box(7)))
    });
    group.finish();
}

/// An operation failing `failures` times, then succeeding.
fn flaky(failures: u32) -> impl FnMut() -> std::future::Ready<Result<u32, E>> {
    let mut calls = 0;
    move || {
        calls += 1;
        std::future::ready(if calls <= failures {
            Err(E::Unavailable)
        } else {
            Ok(calls)
        })
    }
}

fn against_peers(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    // Like the peers' policies: no bound on the call's time, so no clock.
    let policy = RetryPolicy::exponential(Duration::ZERO)
        .jitter(Jitter::None)
        .max_retries(3)
        .no_max_elapsed();
    let mut group = c.benchmark_group("fails 3 times, then succeeds (zero delays)");
    group.bench_function("apifault::retry", |b| {
        b.iter(|| {
            runtime
                .block_on(apifault::retry(&policy, flaky(3)))
                .unwrap()
        })
    });
    group.bench_function("backon", |b| {
        b.iter(|| {
            runtime
                .block_on(
                    flaky(3)
                        .retry(
                            backon::ExponentialBuilder::default()
                                .with_min_delay(Duration::ZERO)
                                .with_max_delay(Duration::ZERO)
                                .with_max_times(3),
                        )
                        .sleep(tokio::time::sleep)
                        .when(|e: &E| e.is_retryable()),
                )
                .unwrap()
        })
    });
    group.bench_function("backon (no-op sleeper)", |b| {
        b.iter(|| {
            runtime
                .block_on(
                    flaky(3)
                        .retry(
                            backon::ExponentialBuilder::default()
                                .with_min_delay(Duration::ZERO)
                                .with_max_delay(Duration::ZERO)
                                .with_max_times(3),
                        )
                        .sleep(|_| std::future::ready(()))
                        .when(|e: &E| e.is_retryable()),
                )
                .unwrap()
        })
    });
    group.bench_function("tokio-retry", |b| {
        b.iter(|| {
            runtime
                .block_on(tokio_retry::RetryIf::start(
                    tokio_retry::strategy::FixedInterval::new(Duration::ZERO).take(3),
                    flaky(3),
                    |e: &E| e.is_retryable(),
                ))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, first_success, against_peers);
criterion_main!(benches);
