//! Attack: many retried calls waiting outside tokio, then cancelled. Waits
//! made outside a tokio runtime share one timer thread for the process, and
//! a dropped wait leaves it at once: no thread and no entry stays behind,
//! and the waits that are kept still complete.
//!
//! One test in this file: it counts the threads of the process, which other
//! tests running at the same time would disturb.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use apifault::{Jitter, RetryPolicy};
use apifault_tests::FlakyError;

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .count()
}

struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to its end on this thread, with no runtime at all.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park_timeout(Duration::from_secs(1));
    }
}

type Call<'a> = Pin<Box<dyn Future<Output = Result<u32, FlakyError>> + 'a>>;

/// A call whose first attempt fails with a 503, so it waits `base`.
fn waiting_call(policy: &RetryPolicy) -> Call<'_> {
    Box::pin(apifault::retry(policy, || async {
        Err(FlakyError::Unavailable { request_id: None })
    }))
}

#[test]
fn dropped_waits_leave_no_thread_and_no_entry_and_kept_waits_complete() {
    let long = RetryPolicy::exponential(Duration::from_secs(30))
        .jitter(Jitter::None)
        .max_retries(1);
    let noop = &mut Context::from_waker(Waker::noop());
    let before = threads();

    for round in 0..3 {
        let mut calls: Vec<Call<'_>> = (0..200).map(|_| waiting_call(&long)).collect();
        for call in &mut calls {
            assert!(
                call.as_mut().poll(noop).is_pending(),
                "each call waits 30 s"
            );
        }
        assert_eq!(
            apifault::testing::pending_timer_waits(),
            200,
            "round {round}"
        );
        assert!(
            threads() <= before + 1,
            "200 waits on {} threads (one timer thread at most), round {round}",
            threads() - before
        );
        drop(calls);
        assert_eq!(
            apifault::testing::pending_timer_waits(),
            0,
            "dropped waits leave the timer, round {round}"
        );
        assert!(threads() <= before + 1, "round {round}");
    }

    // Waits that are kept still end, in order, beside ones that are dropped.
    let short = RetryPolicy::exponential(Duration::from_millis(20))
        .jitter(Jitter::None)
        .max_retries(2);
    let mut dropped: Vec<Call<'_>> = (0..50).map(|_| waiting_call(&long)).collect();
    for call in &mut dropped {
        assert!(call.as_mut().poll(noop).is_pending());
    }
    let started = Instant::now();
    let mut calls = 0;
    let result = block_on(apifault::retry(&short, || {
        calls += 1;
        let outcome = if calls < 3 {
            Err(FlakyError::Unavailable { request_id: None })
        } else {
            Ok(calls)
        };
        async move { outcome }
    }));
    let took = started.elapsed();
    drop(dropped);
    assert_eq!(result, Ok(3));
    assert!(
        took >= Duration::from_millis(60),
        "20 ms + 40 ms, took {took:?}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(apifault::testing::pending_timer_waits(), 0);
    assert!(threads() <= before + 1);

    // A wait of `Duration::MAX` (past what `Instant` can hold): no panic,
    // and gone once dropped.
    let forever = RetryPolicy::exponential(Duration::MAX)
        .max_delay(Duration::MAX)
        .max_server_wait(Duration::MAX)
        .jitter(Jitter::None)
        .no_max_elapsed()
        .max_retries(1);
    let mut call = waiting_call(&forever);
    assert!(call.as_mut().poll(noop).is_pending());
    assert_eq!(apifault::testing::pending_timer_waits(), 1);
    drop(call);
    assert_eq!(apifault::testing::pending_timer_waits(), 0);
}
