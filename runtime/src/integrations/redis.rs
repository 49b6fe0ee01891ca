//! One API quota and one retry budget shared by a fleet of workers, through
//! Redis (6 or later, or Valkey): [`RedisThrottle`] for
//! [`Throttle::with_store`](crate::Throttle::with_store) and [`RedisBudget`]
//! for [`RetryBudget::with_store`](crate::RetryBudget::with_store).
//!
//! ```no_run
//! use apifault::{RetryBudget, Throttle};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let redis = redis::Client::open("redis://127.0.0.1:6379/")?;
//! let throttle = Throttle::with_store(apifault::redis::RedisThrottle::new(redis.clone(), "mediagenix:key-42"));
//! let budget = RetryBudget::with_store(apifault::redis::RedisBudget::new(redis, "mediagenix:budget", 0.1, 1));
//! # let _ = (throttle, budget);
//! # Ok(())
//! # }
//! ```
//!
//! How:
//!
//! - The throttle keeps the window logic of [`LocalThrottle`], unchanged: the
//!   store in Redis is the fleet's log of what happened to the window
//!   (requests let through, answers and what they announced), stamped with
//!   the Redis server's `TIME`, and every worker replays it into its own
//!   [`LocalThrottle`]. A worker decides on its replayed view and takes the
//!   request with one atomic script that appends the reservation only if
//!   nothing happened since its view (else it gets what happened, and
//!   decides again): one round trip per request while the fleet does not
//!   race for the same instant. Answers are sent in the background (at
//!   once with the next request of the worker, or within 20 ms) and a held
//!   request asks again at least every 50 ms, so what one worker observes
//!   reaches the others within 100 ms.
//! - The budget is a token bucket kept in Redis (a script refills it from
//!   `TIME`); each worker sends its calls in the background and holds a
//!   lease of one retry taken from it, so that the engine's synchronous
//!   [`BudgetStore::withdraw`] never waits for the network.
//! - Each call has a time limit (50 ms by default, [`RedisThrottle::timeout`]):
//!   past it, or when Redis cannot be reached, the store warns (`tracing`,
//!   target `apifault::redis`) and goes on with an in-process store
//!   ([`LocalThrottle`], [`LocalBudget`]) for one second before asking Redis
//!   again; a restarted Redis (its log gone) is noticed and the view rebuilt.
//! - All of one store's keys share one cluster hash slot (`{name}`) and
//!   expire ten minutes after their last use.
//!
//! Both stores need a tokio runtime (current-thread is enough) when used;
//! they may be built outside one.

use core::fmt;
use core::time::Duration;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, Script};

use crate::budget::{BudgetStore, LocalBudget};
use crate::headers::RateLimit;
use crate::throttle::{LocalThrottle, RemoteReservation, ThrottleStore, Window};

/// How long a call to Redis may take before the store falls back to its
/// in-process one, by default.
///
/// ```
/// assert_eq!(apifault::redis::DEFAULT_TIMEOUT.as_millis(), 50);
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);

/// How long a store stays on its fallback after Redis failed it.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Keys expire this long after their last use.
const KEY_TTL_MS: u64 = 600_000;
/// The most events the throttle's log keeps.
const LOG_KEPT: u64 = 4096;
/// A held request asks Redis again at least this often.
const HELD_POLL: Duration = Duration::from_millis(50);
/// Answers and calls waiting to be sent go at least this often.
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// A request in flight this long is taken as answered (its worker may
/// have died without releasing it): it no longer keeps the fleet from
/// probing the next window.
const ABANDONED_AFTER: Duration = Duration::from_secs(60);
/// Reservations lost to other workers' before the request waits a little.
const RACES: usize = 8;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A connection to Redis with a time limit, and whether it is usable.
struct Link {
    client: Client,
    connection: Mutex<Option<ConnectionManager>>,
    timeout: Duration,
    /// Until when the store uses its fallback.
    down_until: Mutex<Option<Instant>>,
    up: AtomicBool,
    what: &'static str,
    name: String,
}

impl Link {
    fn new(client: Client, what: &'static str, name: &str) -> Self {
        Link {
            client,
            connection: Mutex::new(None),
            timeout: DEFAULT_TIMEOUT,
            down_until: Mutex::new(None),
            up: AtomicBool::new(true),
            what,
            name: name.to_owned(),
        }
    }

    fn usable(&self) -> bool {
        lock(&self.down_until).is_none_or(|until| Instant::now() >= until)
    }

    fn connection(&self) -> Result<ConnectionManager, String> {
        let mut connection = lock(&self.connection);
        if let Some(connection) = &*connection {
            return Ok(connection.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout.max(Duration::from_millis(200))))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            .map_err(|e| e.to_string())?;
        *connection = Some(manager.clone());
        Ok(manager)
    }

    /// Runs `script` with a time limit; `None` (and the fallback for a
    /// while) when Redis fails or is slow.
    async fn run<T: ::redis::FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[String],
    ) -> Option<T> {
        let mut connection = match self.connection() {
            Ok(connection) => connection,
            Err(error) => {
                self.down(&error);
                return None;
            }
        };
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(*key);
        }
        for arg in args {
            invocation.arg(arg.as_str());
        }
        let call = invocation.invoke_async::<T>(&mut connection);
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(answer)) => {
                if !self.up.swap(true, Ordering::AcqRel) {
                    tracing::warn!(target: "apifault::redis", store = self.what, name = %self.name, "Redis answers again: the store is shared again");
                }
                Some(answer)
            }
            Ok(Err(error)) => {
                self.down(&error.to_string());
                None
            }
            Err(_) => {
                let slow = format!("no answer within {} ms", self.timeout.as_millis());
                self.down(&slow);
                None
            }
        }
    }

    fn down(&self, why: &str) {
        *lock(&self.down_until) = Some(Instant::now() + RETRY_AFTER);
        if self.up.swap(false, Ordering::AcqRel) {
            tracing::warn!(target: "apifault::redis", store = self.what, name = %self.name, error = why, "Redis unreachable or slow: this worker goes on with an in-process store, and asks Redis again in a second");
        }
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .field("up", &self.up.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Starts `run(inner)` every [`FLUSH_EVERY`] on the current tokio runtime
/// (once), until the store's last handle (`owner`) is dropped, and once more
/// then: what the store still has to send is sent.
fn start_flusher<T: Send + Sync + 'static, F>(
    inner: &Arc<T>,
    owner: &Arc<()>,
    started: &AtomicBool,
    run: fn(Arc<T>) -> F,
) where
    F: core::future::Future<Output = ()> + Send + 'static,
{
    if started.load(Ordering::Acquire) {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    if started.swap(true, Ordering::AcqRel) {
        return;
    }
    let inner = Arc::clone(inner);
    let owner: Weak<()> = Arc::downgrade(owner);
    runtime.spawn(async move {
        loop {
            tokio::time::sleep(FLUSH_EVERY).await;
            let alive = owner.strong_count() > 0;
            run(Arc::clone(&inner)).await;
            if !alive {
                return;
            }
        }
    });
}

// ---------------------------------------------------------------- throttle

/// The throttle's script. KEYS: the log's head, the log, its epoch. ARGV:
/// the epoch the worker knows, its cursor (the last event it has), the
/// token of the request it takes (empty: none), the keys' time to live, the events kept, then the
/// worker's answers to append. Appends the answers, then the reservation
/// only if the worker's view is current; returns `{taken, now, epoch,
/// first, rebuilt, events}`: the events from `first` on are what the
/// worker has not seen (all of them when `rebuilt`: Redis restarted, or
/// the worker fell behind what the log keeps).
const THROTTLE_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = t[1] .. string.format('%06d', tonumber(t[2]))
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = now
  redis.call('SET', KEYS[3], epoch)
  redis.call('DEL', KEYS[1], KEYS[2])
end
local cursor = tonumber(ARGV[2])
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
local rebuilt = 0
if epoch ~= ARGV[1] or cursor > head then
  rebuilt = 1
end
local current = rebuilt == 0 and head == cursor
if rebuilt == 0 then
  for i = 6, #ARGV do
    local event = ARGV[i]
    if string.sub(event, 1, 2) == 'C|' then
      -- A reservation the worker gave up waiting for: released, if it
      -- was made.
      local mark = 'R|' .. string.sub(event, 3) .. '|'
      event = nil
      for _, logged in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
        if string.sub(logged, 1, #mark) == mark then
          event = 'L|' .. string.sub(logged, #mark + 1)
        end
      end
    end
    if event then
      head = redis.call('INCR', KEYS[1])
      redis.call('RPUSH', KEYS[2], event .. '|' .. now)
    end
  end
end
local taken = 0
if ARGV[3] ~= '' and current then
  head = redis.call('INCR', KEYS[1])
  redis.call('RPUSH', KEYS[2], 'R|' .. ARGV[3] .. '|' .. now)
  taken = 1
end
local kept = tonumber(ARGV[5])
redis.call('LTRIM', KEYS[2], -kept, -1)
local len = redis.call('LLEN', KEYS[2])
local first = head - len + 1
local from = cursor + 1
if rebuilt == 1 or from < first then
  from = first
  rebuilt = 1
end
local events = redis.call('LRANGE', KEYS[2], from - first, -1)
for i = 1, 3 do
  redis.call('PEXPIRE', KEYS[i], ARGV[4])
end
return {taken, now, epoch, from, rebuilt, events}
";

type ThrottleReply = (u8, String, String, u64, u8, Vec<String>);

/// A [`ThrottleStore`] whose window lives in Redis, shared by every worker
/// that names the same key; see the [module](self) for how.
///
/// ```no_run
/// use apifault::Throttle;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let redis = redis::Client::open("redis://127.0.0.1:6379/")?;
/// let throttle = Throttle::with_store(apifault::redis::RedisThrottle::new(redis, "mediagenix:key-42"));
/// let permit = throttle.acquire().await; // one round trip to Redis
/// // … send the request, `permit.observe(response.headers())` …
/// drop(permit);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisThrottle {
    inner: Arc<ThrottleInner>,
    /// Dropped with the last handle: the background sender then stops.
    owner: Arc<()>,
}

struct ThrottleInner {
    link: Link,
    /// `apifault:{name}:…`
    keys: [String; 3],
    script: Script,
    max_wait: Duration,
    view: Mutex<View>,
    /// Used while Redis is away, and taught what every answer announces.
    fallback: LocalThrottle,
    /// The reservations the fallback made, still in flight.
    fallback_sent: Mutex<Vec<Instant>>,
    flusher: AtomicBool,
}

/// A worker's replay of the fleet's log.
struct View {
    window: LocalThrottle,
    epoch: String,
    cursor: u64,
    /// Redis time (µs since the epoch) and this process's `Instant` that
    /// stand for the same moment: Redis times become instants by it.
    base: Option<(u64, Instant)>,
    /// This worker's answers, not yet in the log.
    pending: VecDeque<Answer>,
    /// Names this worker's reservations in the log.
    worker: u64,
    next_token: u64,
}

#[derive(Clone, Copy, Debug)]
enum Answer {
    Observed {
        sent: Option<Instant>,
        at: Instant,
        announced: RateLimit,
    },
    Released {
        sent: Option<Instant>,
        at: Instant,
    },
    /// A reservation whose answer never came (Redis slow): released if
    /// Redis made it.
    Cancelled {
        token: u64,
    },
}

impl View {
    fn instant(&self, micros: u64) -> Option<Instant> {
        let (base_us, base) = self.base?;
        if micros >= base_us {
            base.checked_add(Duration::from_micros(micros - base_us))
        } else {
            base.checked_sub(Duration::from_micros(base_us - micros))
        }
    }

    fn micros(&self, at: Instant) -> Option<u64> {
        let (base_us, base) = self.base?;
        let micros = |d: Duration| u64::try_from(d.as_micros()).ok();
        if at >= base {
            base_us.checked_add(micros(at - base)?)
        } else {
            base_us.checked_sub(micros(base - at)?)
        }
    }

    fn encode(&self, answer: &Answer) -> String {
        let sent = |sent: Option<Instant>| {
            sent.and_then(|sent| self.micros(sent))
                .map_or_else(|| "-".to_owned(), |us| us.to_string())
        };
        let number = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
        match answer {
            Answer::Observed {
                sent: s, announced, ..
            } => format!(
                "O|{}|{}|{}|{}",
                sent(*s),
                number(announced.remaining),
                number(
                    announced
                        .reset
                        .and_then(|r| u64::try_from(r.as_millis()).ok())
                ),
                number(announced.limit),
            ),
            Answer::Released { sent: s, .. } => format!("L|{}", sent(*s)),
            Answer::Cancelled { token } => format!("C|{}-{token}", self.worker),
        }
    }

    /// Replays one event of the log.
    fn apply(&self, event: &str) {
        let fields: Vec<&str> = event.split('|').collect();
        let Some(at) = fields
            .last()
            .and_then(|f| f.parse().ok())
            .and_then(|us| self.instant(us))
        else {
            return;
        };
        let number = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        let sent = |i: usize| number(i).and_then(|us| self.instant(us));
        match fields.first() {
            Some(&"R") => self.window.reserved_elsewhere(at),
            Some(&"O") if fields.len() == 6 => {
                let announced = RateLimit {
                    remaining: number(2),
                    reset: number(3).map(Duration::from_millis),
                    limit: number(4),
                };
                match sent(1) {
                    Some(sent) => self.window.observe_response(sent, at, announced),
                    None => self.window.observe(at, announced),
                }
            }
            Some(&"L") if fields.len() == 3 => match sent(1) {
                Some(sent) => self.window.release_sent(sent, at),
                None => self.window.release(),
            },
            _ => {}
        }
    }

    /// What the worker would decide now, with its answers not yet sent
    /// counted: nothing of it is kept.
    fn decide(&self, now: Instant) -> Result<(), Instant> {
        if let Some(before) = now.checked_sub(ABANDONED_AFTER) {
            self.window.abandon_sent_before(before, now);
        }
        let saved: Window = self.window.save();
        for answer in &self.pending {
            match *answer {
                Answer::Observed {
                    sent: Some(sent),
                    at,
                    announced,
                } => {
                    self.window.observe_response(sent, at, announced);
                }
                Answer::Observed {
                    sent: None,
                    at,
                    announced,
                } => self.window.observe(at, announced),
                Answer::Released {
                    sent: Some(sent),
                    at,
                } => self.window.release_sent(sent, at),
                Answer::Released { sent: None, .. } => self.window.release(),
                Answer::Cancelled { .. } => {}
            }
        }
        let decided = self.window.reserve(now);
        self.window.restore(saved);
        decided
    }
}

/// Tells this process's stores from the other workers' in the log.
fn worker_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

impl RedisThrottle {
    /// A throttle window named `name` (say, the API and the key:
    /// `"mediagenix:key-42"`) in the Redis that `client` reaches.
    ///
    /// ```
    /// let redis = redis::Client::open("redis://127.0.0.1:6379/").unwrap();
    /// let store = apifault::redis::RedisThrottle::new(redis, "mediagenix:key-42"); // connects when used
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn new(client: Client, name: &str) -> Self {
        let tag = format!("apifault:{{{name}}}");
        RedisThrottle {
            inner: Arc::new(ThrottleInner {
                link: Link::new(client, "throttle", name),
                keys: [
                    format!("{tag}:head"),
                    format!("{tag}:log"),
                    format!("{tag}:epoch"),
                ],
                script: Script::new(THROTTLE_SCRIPT),
                max_wait: crate::LocalThrottle::DEFAULT_MAX_WAIT,
                view: Mutex::new(View {
                    window: LocalThrottle::default(),
                    epoch: String::new(),
                    cursor: 0,
                    base: None,
                    pending: VecDeque::new(),
                    worker: worker_id(),
                    next_token: 0,
                }),
                fallback: LocalThrottle::default(),
                fallback_sent: Mutex::new(Vec::new()),
                flusher: AtomicBool::new(false),
            }),
            owner: Arc::new(()),
        }
    }

    /// Falls back to the in-process store when Redis takes longer than
    /// `timeout` to answer (default [`DEFAULT_TIMEOUT`], 50 ms). Set it
    /// before sharing the store.
    ///
    /// ```
    /// use std::time::Duration;
    /// let redis = redis::Client::open("redis://127.0.0.1:6379/").unwrap();
    /// let store = apifault::redis::RedisThrottle::new(redis, "mediagenix:key-42")
    ///     .timeout(Duration::from_millis(20));
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.link.timeout = timeout;
        }
        self
    }

    /// Holds requests at most `max_wait` per window, as
    /// [`LocalThrottle::max_wait`] does (default
    /// [`DEFAULT_MAX_WAIT`](crate::LocalThrottle::DEFAULT_MAX_WAIT)). Set it before sharing
    /// the store.
    ///
    /// ```
    /// use std::time::Duration;
    /// let redis = redis::Client::open("redis://127.0.0.1:6379/").unwrap();
    /// let store = apifault::redis::RedisThrottle::new(redis, "mediagenix:key-42")
    ///     .max_wait(Duration::from_secs(60));
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.max_wait = max_wait;
            inner.fallback = LocalThrottle::default().max_wait(max_wait);
            let view = inner.view.get_mut().unwrap_or_else(PoisonError::into_inner);
            view.window = LocalThrottle::default().max_wait(max_wait);
        }
        self
    }

    /// Whether the last call to Redis succeeded (else the store throttles
    /// with its in-process fallback).
    ///
    /// ```
    /// let redis = redis::Client::open("redis://127.0.0.1:6379/").unwrap();
    /// assert!(apifault::redis::RedisThrottle::new(redis, "k").is_shared(), "until Redis fails it");
    /// ```
    #[must_use]
    pub fn is_shared(&self) -> bool {
        self.inner.link.up.load(Ordering::Acquire)
    }
}

impl ThrottleInner {
    fn fallback_reserve(&self) -> Result<Instant, Duration> {
        let now = Instant::now();
        match self.fallback.reserve(now) {
            Ok(()) => {
                lock(&self.fallback_sent).push(now);
                Ok(now)
            }
            Err(at) => Err(at.saturating_duration_since(now).min(HELD_POLL)),
        }
    }

    fn is_fallback(&self, sent: Instant) -> bool {
        let mut sent_list = lock(&self.fallback_sent);
        match sent_list.iter().position(|s| *s == sent) {
            Some(i) => {
                sent_list.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// One call: sends the pending answers, takes a request if `take`;
    /// replays what the log returns. `Some(Ok(sent))`: taken; `Some(Err(now))`:
    /// not taken, the view is current as of `now`; `None`: Redis failed.
    async fn call(&self, take: bool) -> Option<Result<Instant, Instant>> {
        let (args, sent_answers, token) = {
            let mut view = lock(&self.view);
            let answers: Vec<Answer> = view.pending.drain(..).collect();
            view.next_token += 1;
            let token = view.next_token;
            let mut args = vec![
                view.epoch.clone(),
                view.cursor.to_string(),
                if take {
                    format!("{}-{token}", view.worker)
                } else {
                    String::new()
                },
                KEY_TTL_MS.to_string(),
                LOG_KEPT.to_string(),
            ];
            args.extend(answers.iter().map(|a| view.encode(a)));
            (args, answers, token)
        };
        let keys = [
            self.keys[0].as_str(),
            self.keys[1].as_str(),
            self.keys[2].as_str(),
        ];
        let reply: Option<ThrottleReply> = self.link.run(&self.script, &keys, &args).await;
        let mut view = lock(&self.view);
        let Some((taken, now, epoch, first, rebuilt, events)) = reply else {
            // Sent again with the next call (an answer counted twice only
            // ever lowers the budget).
            for answer in sent_answers.into_iter().rev() {
                view.pending.push_front(answer);
            }
            // Redis may have made the reservation all the same: undone
            // with the next call, else the fleet would count it in flight
            // for good.
            if take {
                view.pending.push_back(Answer::Cancelled { token });
            }
            return None;
        };
        let now_us: u64 = now.parse().ok()?;
        if view.base.is_none() {
            view.base = Some((now_us, Instant::now()));
        }
        if rebuilt == 1 {
            if !view.epoch.is_empty() {
                tracing::warn!(target: "apifault::redis", name = %self.link.name, "the throttle's log in Redis is gone or out of reach (Redis restarted?): rebuilding this worker's view from what it keeps");
            }
            view.window = LocalThrottle::default().max_wait(self.max_wait);
            view.epoch = epoch;
            view.cursor = first.saturating_sub(1);
        }
        for (seq, event) in (first..).zip(&events) {
            if seq > view.cursor {
                view.apply(event);
                view.cursor = seq;
            }
        }
        let now = view.instant(now_us)?;
        Some(if taken == 1 { Ok(now) } else { Err(now) })
    }

    async fn reserve(self: Arc<Self>) -> Result<Instant, Duration> {
        if !self.link.usable() {
            return self.fallback_reserve();
        }
        for _ in 0..RACES {
            let take = {
                let view = lock(&self.view);
                view.base.is_some() && view.decide(Instant::now()).is_ok()
            };
            match self.call(take).await {
                None => return self.fallback_reserve(),
                Some(Ok(sent)) => return Ok(sent),
                Some(Err(now)) => {
                    let view = lock(&self.view);
                    if let Err(at) = view.decide(now) {
                        // Held: ask again by then, or sooner to hear what
                        // the other workers learnt.
                        return Err(at.saturating_duration_since(now).min(HELD_POLL));
                    }
                }
            }
        }
        Err(Duration::from_millis(1))
    }

    fn answer(&self, answer: Answer) {
        lock(&self.view).pending.push_back(answer);
    }
}

async fn flush_throttle(inner: Arc<ThrottleInner>) {
    let pending = !lock(&inner.view).pending.is_empty();
    if pending && inner.link.usable() {
        let _ = inner.call(false).await;
    }
}

impl fmt::Debug for RedisThrottle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisThrottle")
            .field("key", &self.inner.keys[1])
            .field("link", &self.inner.link)
            .finish_non_exhaustive()
    }
}

impl ThrottleStore for RedisThrottle {
    /// Without [`reserve_remote`](ThrottleStore::reserve_remote) (which
    /// [`Throttle`](crate::Throttle) uses): the in-process fallback.
    fn reserve(&self, now: Instant) -> Result<(), Instant> {
        let reserved = self.inner.fallback.reserve(now);
        if reserved.is_ok() {
            lock(&self.inner.fallback_sent).push(now);
        }
        reserved
    }

    fn release(&self) {
        self.inner.answer(Answer::Released {
            sent: None,
            at: Instant::now(),
        });
    }

    fn release_sent(&self, sent: Instant, now: Instant) {
        if self.inner.is_fallback(sent) {
            self.inner.fallback.release_sent(sent, now);
        } else {
            self.inner.answer(Answer::Released {
                sent: Some(sent),
                at: Instant::now(),
            });
        }
    }

    fn observe(&self, now: Instant, announced: RateLimit) {
        self.inner.fallback.observe(now, announced);
        self.inner.answer(Answer::Observed {
            sent: None,
            at: Instant::now(),
            announced,
        });
    }

    fn observe_response(&self, sent: Instant, now: Instant, announced: RateLimit) {
        let in_fallback = lock(&self.inner.fallback_sent).contains(&sent);
        if in_fallback {
            self.inner.fallback.observe_response(sent, now, announced);
        } else {
            // The fallback learns the window too, for when Redis goes away.
            self.inner.fallback.observe(now, announced);
            self.inner.answer(Answer::Observed {
                sent: Some(sent),
                at: Instant::now(),
                announced,
            });
        }
    }

    fn reserve_remote(&self) -> Option<RemoteReservation<'_>> {
        start_flusher(
            &self.inner,
            &self.owner,
            &self.inner.flusher,
            flush_throttle,
        );
        Some(Box::pin(Arc::clone(&self.inner).reserve()))
    }
}

// ------------------------------------------------------------------ budget

/// The budget's script. KEYS: the bucket. ARGV: ratio, retries a second,
/// most banked, calls to deposit, retries to lease, time to live.
const BUDGET_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or ARGV[2])
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or now)
if now > at then
  tokens = math.min(max, tokens + (now - at) * rate)
  at = now
end
tokens = math.min(max, tokens + tonumber(ARGV[4]) * tonumber(ARGV[1]))
local granted = 0
while granted < tonumber(ARGV[5]) and tokens >= 1 - 1e-9 do
  tokens = math.max(0, tokens - 1)
  granted = granted + 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.9f', tokens), 'at', string.format('%.6f', at))
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return granted
";

/// A [`BudgetStore`] whose token bucket lives in Redis, shared by every
/// worker that names the same key; the bucket is [`LocalBudget`]'s (each
/// call earns `ratio` of a retry, time earns `min_per_second` a second, at
/// most ten seconds' worth and at least 10 are banked). See the
/// [module](self) for how.
///
/// ```no_run
/// use apifault::{RetryBudget, RetryPolicy};
/// use std::time::Duration;
///
/// let redis = redis::Client::open("redis://127.0.0.1:6379/").unwrap();
/// let budget = RetryBudget::with_store(apifault::redis::RedisBudget::new(redis, "mediagenix:budget", 0.1, 1));
/// let policy = RetryPolicy::exponential(Duration::from_millis(200)).budget(budget);
/// # let _ = policy;
/// ```
#[derive(Clone)]
pub struct RedisBudget {
    inner: Arc<BudgetInner>,
    /// Dropped with the last handle: the background sender then stops.
    owner: Arc<()>,
}

struct BudgetInner {
    link: Link,
    key: String,
    script: Script,
    ratio: f64,
    min_per_second: f64,
    max_banked: f64,
    /// Calls not yet deposited, and retries leased.
    state: Mutex<(u64, u32)>,
    fallback: LocalBudget,
    flusher: AtomicBool,
}

/// Retries a worker holds, taken from the shared bucket ahead of need.
const LEASE: u32 = 1;

impl RedisBudget {
    /// A budget named `name` in the Redis that `client` reaches, allowing
    /// retries up to `ratio` of the fleet's calls plus `min_per_second`
    /// retries a second (as [`RetryBudget::new`](crate::RetryBudget::new)).
    ///
    /// ```
    /// let redis = redis::Client::open("redis://127.0.0.1:6379/").unwrap();
    /// let store = apifault::redis::RedisBudget::new(redis, "mediagenix:budget", 0.1, 1);
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn new(client: Client, name: &str, ratio: f64, min_per_second: u32) -> Self {
        let ratio = if ratio.is_finite() {
            ratio.max(0.0)
        } else {
            0.0
        };
        let fallback = LocalBudget::new(ratio, min_per_second);
        let min_per_second = f64::from(min_per_second);
        RedisBudget {
            inner: Arc::new(BudgetInner {
                link: Link::new(client, "budget", name),
                key: format!("apifault:{{{name}}}:bucket"),
                script: Script::new(BUDGET_SCRIPT),
                ratio,
                min_per_second,
                max_banked: (min_per_second * 10.0).max(10.0),
                state: Mutex::new((0, 0)),
                fallback,
                flusher: AtomicBool::new(false),
            }),
            owner: Arc::new(()),
        }
    }

    /// Falls back to the in-process budget when Redis takes longer than
    /// `timeout` (default [`DEFAULT_TIMEOUT`], 50 ms). Set it before
    /// sharing the store.
    ///
    /// ```
    /// use std::time::Duration;
    /// let redis = redis::Client::open("redis://127.0.0.1:6379/").unwrap();
    /// let store = apifault::redis::RedisBudget::new(redis, "mediagenix:budget", 0.1, 1)
    ///     .timeout(Duration::from_millis(20));
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.link.timeout = timeout;
        }
        self
    }

    /// Whether the last call to Redis succeeded (else the budget is this
    /// worker's own).
    ///
    /// ```
    /// let redis = redis::Client::open("redis://127.0.0.1:6379/").unwrap();
    /// assert!(apifault::redis::RedisBudget::new(redis, "b", 0.1, 1).is_shared());
    /// ```
    #[must_use]
    pub fn is_shared(&self) -> bool {
        self.inner.link.up.load(Ordering::Acquire)
    }
}

async fn flush_budget(inner: Arc<BudgetInner>) {
    if !inner.link.usable() {
        return;
    }
    let (calls, want) = {
        let mut state = lock(&inner.state);
        let calls = core::mem::take(&mut state.0);
        (calls, LEASE.saturating_sub(state.1))
    };
    if calls == 0 && want == 0 {
        return;
    }
    let args = [
        inner.ratio.to_string(),
        inner.min_per_second.to_string(),
        inner.max_banked.to_string(),
        calls.to_string(),
        want.to_string(),
        KEY_TTL_MS.to_string(),
    ];
    let granted: Option<u32> = inner
        .link
        .run(&inner.script, &[inner.key.as_str()], &args)
        .await;
    let mut state = lock(&inner.state);
    match granted {
        Some(granted) => state.1 = state.1.saturating_add(granted),
        None => state.0 = state.0.saturating_add(calls),
    }
}

impl fmt::Debug for RedisBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBudget")
            .field("key", &self.inner.key)
            .field("link", &self.inner.link)
            .finish_non_exhaustive()
    }
}

impl BudgetStore for RedisBudget {
    /// Counts the call, sent to Redis in the background; `now` is not used
    /// (Redis keeps the time).
    fn deposit(&self, now: Instant) {
        start_flusher(&self.inner, &self.owner, &self.inner.flusher, flush_budget);
        self.inner.fallback.deposit(now);
        let mut state = lock(&self.inner.state);
        state.0 = state.0.saturating_add(1);
    }

    /// Takes the retry this worker leased from the shared bucket (leased
    /// again in the background), or, while Redis is away, from the
    /// in-process fallback.
    fn withdraw(&self, now: Instant) -> bool {
        start_flusher(&self.inner, &self.owner, &self.inner.flusher, flush_budget);
        if !self.inner.link.usable() {
            return self.inner.fallback.withdraw(now);
        }
        let mut state = lock(&self.inner.state);
        if state.1 > 0 {
            state.1 -= 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        View {
            window: LocalThrottle::default(),
            epoch: "1".into(),
            cursor: 0,
            base: Some((1_000_000_000, Instant::now())),
            pending: VecDeque::new(),
            worker: 1,
            next_token: 0,
        }
    }

    #[test]
    fn a_request_another_worker_never_released_stops_holding_the_fleet_after_a_minute() {
        let view = view();
        let t0: u64 = 1_000_000_000;
        let at = |us: u64| view.instant(us).unwrap();
        // Another worker's request, answered with none left and a reset of
        // 1 s; a second one never answered (its worker died).
        view.apply(&format!("R|9-1|{t0}"));
        view.apply(&format!("O|{t0}|0|1000|10|{}", t0 + 1_000));
        view.apply(&format!("L|{t0}|{}", t0 + 1_000));
        view.apply(&format!("R|9-2|{}", t0 + 3_000_000));
        // In flight: held, asking again soon.
        assert!(view.decide(at(t0 + 4_000_000)).is_err());
        assert!(
            view.decide(at(t0 + 62_000_000)).is_err(),
            "the abandoned one is not forgotten yet"
        );
        // A minute after it was sent, it no longer holds the next probe.
        assert!(view.decide(at(t0 + 63_100_000)).is_ok());
    }

    #[test]
    fn the_log_s_events_round_trip_through_a_view() {
        let view = view();
        let sent = view.instant(1_000_500_000).unwrap();
        assert_eq!(view.micros(sent), Some(1_000_500_000));
        let observed = Answer::Observed {
            sent: Some(sent),
            at: sent,
            announced: RateLimit::new(150, 7, Duration::from_secs(30)),
        };
        assert_eq!(view.encode(&observed), "O|1000500000|7|30000|150");
        assert_eq!(
            view.encode(&Answer::Released {
                sent: None,
                at: sent
            }),
            "L|-"
        );
    }
}
