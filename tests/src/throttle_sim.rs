//! A simulated API that enforces a fixed window, and clients that go
//! through a `ThrottleStore`: a discrete-event simulation on a virtual
//! clock, so that windows of a minute and hours of traffic take
//! milliseconds, and every 429 the store lets through is counted.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use apifault::{LocalThrottle, RateLimit, ThrottleStore};

/// How the server's windows are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Windows {
    /// A window opens with the first request after the last one ended.
    FromFirstRequest,
    /// Windows follow each other back to back from a fixed origin.
    Aligned,
}

/// The simulated API's rules.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// Requests allowed per window.
    pub limit: u64,
    /// The window's length.
    pub window: Duration,
    /// Whether the announced reset is rounded up (else down) to the second.
    pub round_up: bool,
    /// How windows are laid out.
    pub windows: Windows,
}

/// A server enforcing `Rules`.
#[derive(Debug)]
pub struct Server {
    rules: Rules,
    origin: Instant,
    /// The current window's start and how many requests it counted.
    current: Option<(Instant, u64)>,
    /// Requests answered 200.
    pub served: u64,
    /// Requests answered 429.
    pub rejected: u64,
    /// Windows opened.
    pub windows_opened: u64,
}

impl Server {
    /// A server whose aligned windows start at `origin`.
    pub fn new(rules: Rules, origin: Instant) -> Self {
        Server {
            rules,
            origin,
            current: None,
            served: 0,
            rejected: 0,
            windows_opened: 0,
        }
    }

    /// Counts a request processed at `t`; what the response announces.
    pub fn handle(&mut self, t: Instant) -> RateLimit {
        let w = self.rules.window;
        let start = match (self.rules.windows, self.current) {
            (Windows::FromFirstRequest, Some((start, _))) if t < start + w => start,
            (Windows::FromFirstRequest, _) => t,
            (Windows::Aligned, _) => {
                let n = t.duration_since(self.origin).as_nanos() / w.as_nanos();
                self.origin + w * u32::try_from(n).expect("a few windows")
            }
        };
        let count = match self.current {
            Some((known, count)) if known == start => count + 1,
            _ => {
                self.windows_opened += 1;
                1
            }
        };
        self.current = Some((start, count));
        if count <= self.rules.limit {
            self.served += 1;
        } else {
            self.rejected += 1;
        }
        let left = (start + w).saturating_duration_since(t);
        let secs = if self.rules.round_up {
            left.as_secs() + u64::from(left.subsec_nanos() > 0)
        } else {
            left.as_secs()
        };
        RateLimit::new(
            self.rules.limit,
            self.rules.limit.saturating_sub(count),
            Duration::from_secs(secs),
        )
    }
}

/// What a client does.
#[derive(Clone, Debug)]
pub struct Load {
    /// Concurrent tasks, each sending one request after another.
    pub tasks: usize,
    /// Requests to send in all.
    pub requests: u64,
    /// Seed of the latencies and pauses.
    pub seed: u64,
    /// The most a request takes to reach the server, and its answer to come back.
    pub max_latency: Duration,
    /// The longest pause a task takes between requests, at random (zero:
    /// none).
    pub max_pause: Duration,
}

/// What happened.
#[derive(Debug)]
pub struct Outcome {
    /// The server's counts.
    pub server: Server,
    /// From the first request to the last answer.
    pub took: Duration,
}

#[derive(Debug)]
enum Event {
    /// A task asks the store.
    Try(usize),
    /// Request sent at `.1` by task `.0` reaches the server.
    Arrive(usize, Instant),
    /// The answer to the request sent at `.1` reaches task `.0`.
    Answer(usize, Instant, RateLimit),
}

/// Events by time, then by the order they were made in.
#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    events: HashMap<u64, Event>,
    seq: u64,
}

impl Queue {
    fn push(&mut self, at: Instant, event: Event) {
        self.seq += 1;
        self.events.insert(self.seq, event);
        self.heap.push(Reverse((at, self.seq)));
    }

    fn pop(&mut self) -> Option<(Instant, Event)> {
        let Reverse((at, id)) = self.heap.pop()?;
        Some((at, self.events.remove(&id)?))
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn upto(&mut self, max: Duration) -> Duration {
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.next() % (nanos + 1))
    }
}

/// Runs `load` against a server with `rules` through `store`, on a
/// virtual clock. Held tasks wake at the time the store names, or as soon
/// as an answer arrives (as `Throttle::acquire` does).
pub fn simulate(store: &LocalThrottle, rules: Rules, load: &Load) -> Outcome {
    let origin = Instant::now();
    let mut server = Server::new(rules, origin);
    let mut rng = Rng(load.seed);
    let mut queue = Queue::default();
    // Tasks waiting for the store, and until when.
    let mut held: Vec<Option<Instant>> = vec![None; load.tasks];
    let start = origin + Duration::from_millis(1 + rng.next() % 997);
    for task in 0..load.tasks {
        queue.push(start, Event::Try(task));
    }
    let mut sent = 0u64;
    let mut last = start;
    let trace = std::env::var_os("APIFAULT_SIM_TRACE").is_some();
    let t = |now: Instant| now.duration_since(start).as_secs_f64();
    while let Some((now, event)) = queue.pop() {
        last = now;
        match event {
            Event::Try(task) => {
                if held[task].is_some_and(|at| at > now) {
                    continue; // a stale wake-up: woken by a change since
                }
                held[task] = None;
                if sent >= load.requests {
                    continue;
                }
                let reserved = store.reserve(now);
                if trace {
                    println!(
                        "{:9.4} task {task:2} reserve {:?}",
                        t(now),
                        reserved.map_err(t)
                    );
                }
                match reserved {
                    Ok(()) => {
                        sent += 1;
                        let arrive = now + rng.upto(load.max_latency);
                        queue.push(arrive, Event::Arrive(task, now));
                    }
                    Err(at) => {
                        let at = at.max(now + Duration::from_millis(1));
                        held[task] = Some(at);
                        queue.push(at, Event::Try(task));
                    }
                }
            }
            Event::Arrive(task, sent_at) => {
                let announced = server.handle(now);
                if trace {
                    println!(
                        "{:9.4} task {task:2} arrives (sent {:.4}) -> {:?}",
                        t(now),
                        t(sent_at),
                        announced
                    );
                }
                let back = now + rng.upto(load.max_latency);
                queue.push(back, Event::Answer(task, sent_at, announced));
            }
            Event::Answer(task, sent_at, announced) => {
                if trace {
                    println!(
                        "{:9.4} task {task:2} answered (sent {:.4})",
                        t(now),
                        t(sent_at)
                    );
                }
                store.observe_response(sent_at, now, announced);
                store.release_sent(sent_at, now);
                // Held tasks wake now: something changed.
                for (other, at) in held.iter_mut().enumerate() {
                    if at.is_some() {
                        *at = None;
                        queue.push(now, Event::Try(other));
                    }
                }
                let pause = rng.upto(load.max_pause);
                queue.push(now + pause, Event::Try(task));
            }
        }
    }
    Outcome {
        server,
        took: last.duration_since(start),
    }
}
