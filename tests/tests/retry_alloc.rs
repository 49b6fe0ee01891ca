//! The path where the first attempt succeeds allocates nothing: neither the
//! engine functions nor `#[apifault::retry]`, with a policy given or built
//! from knobs. A counting global allocator proves it.

// A global allocator is an `unsafe impl`; it only forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use apifault::RetryPolicy;
use apifault_tests::FlakyError;

struct Counting;

thread_local! {
    /// Per thread, so that tests running in parallel do not count each
    /// other's allocations.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the allocator may run while thread locals are torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards every call to the system allocator unchanged, only
// counting allocations on the way.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f`, run twice first so that lazy one-time set-up
/// (thread locals, clock calibration) does not count.
fn allocations<R>(mut f: impl FnMut() -> R) -> usize {
    f();
    f();
    let before = ALLOCATIONS.with(Cell::get);
    std::hint::black_box(f());
    ALLOCATIONS.with(Cell::get) - before
}

/// Polls a future once; it must be ready (the first attempt succeeds).
fn poll_once<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the first attempt was meant to succeed at once"),
    }
}

struct Client {
    policy: RetryPolicy,
}

impl Client {
    #[apifault::retry(policy = &self.policy)]
    async fn get(&self, id: u32) -> Result<u32, FlakyError> {
        Ok(id + 1)
    }

    #[apifault::retry(policy = &self.policy)]
    fn get_blocking(&self, id: u32) -> Result<u32, FlakyError> {
        Ok(id + 1)
    }
}

#[apifault::retry(
    max_retries = 4,
    base = "2s",
    max_delay = "30s",
    jitter = "full",
    idempotent = false
)]
async fn with_knobs(id: u32) -> Result<u32, FlakyError> {
    Ok(id * 2)
}

#[test]
fn first_success_allocates_nothing() {
    let client = Client {
        policy: RetryPolicy::default(),
    };
    assert_eq!(
        allocations(|| poll_once(client.get(1))),
        0,
        "async attribute with a policy"
    );
    assert_eq!(
        allocations(|| client.get_blocking(1)),
        0,
        "blocking attribute with a policy"
    );
    assert_eq!(
        allocations(|| poll_once(with_knobs(3))),
        0,
        "async attribute with knobs"
    );
    let policy = RetryPolicy::default();
    assert_eq!(
        allocations(|| poll_once(apifault::retry(&policy, || async {
            Ok::<_, FlakyError>(1)
        }))),
        0,
        "apifault::retry"
    );
    assert_eq!(
        allocations(|| apifault::retry_blocking(&policy, || Ok::<_, FlakyError>(1))),
        0,
        "apifault::retry_blocking"
    );
    // The results are real, not optimised away.
    assert_eq!(poll_once(client.get(41)), Ok(42));
    assert_eq!(poll_once(with_knobs(21)), Ok(42));
}

#[test]
fn the_counter_counts() {
    assert!(allocations(|| Box::new(std::hint::black_box(7u64))) >= 1);
}
