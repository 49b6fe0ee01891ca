//! [`IdempotencyKey`]: one key per logical call, the same on every attempt,
//! so that a server which deduplicates by key (Stripe's, Omilia's
//! `Idempotency-Key`) applies a resent request once. Made by the engine for
//! [`retry_keyed`](crate::retry_keyed) and `#[apifault::retry(idempotency_key
//! = key)]`; what the key means to the server is the API's business.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// The key's length: 32 lowercase hexadecimal digits (128 bits).
const LEN: usize = 32;

/// A key identifying one logical call across its attempts: 32 lowercase
/// hexadecimal digits, unique per call.
///
/// Unique, not secret: 64 bits are a process-wide seed (from the standard
/// library's randomly keyed hasher, the time and the process id, read once)
/// and 64 bits a counter of the keys this process made, scrambled by a
/// bijection, so that no two keys of one process are equal and keys of two
/// processes differ but by a chance of 2^-64. It is not a security token:
/// do not use it where guessing one must be hard.
///
/// `Copy` and 32 bytes inline: handing it to every attempt costs a copy,
/// never an allocation. It is `Display`, gives its text with
/// [`as_str`](Self::as_str), and converts into an `http::HeaderValue`.
///
/// ```
/// use apifault::IdempotencyKey;
///
/// let a = IdempotencyKey::new();
/// let b = IdempotencyKey::new();
/// assert_ne!(a, b);
/// assert_eq!(a.as_str().len(), 32);
/// assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
/// assert_eq!(a.to_string(), a.as_str());
/// let header: http::HeaderValue = a.into();
/// assert_eq!(header, a.as_str());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey([u8; LEN]);

impl IdempotencyKey {
    /// A fresh key, never made before in this process.
    ///
    /// ```
    /// let key = apifault::IdempotencyKey::new();
    /// assert_ne!(key, apifault::IdempotencyKey::new());
    /// ```
    #[must_use]
    #[allow(clippy::new_without_default)] // a default key would be a shared one
    pub fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let seed = seed();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // `mix` is a bijection: distinct counters give distinct halves.
        let low = mix(n ^ seed.rotate_left(32));
        let mut text = [0u8; LEN];
        write_hex(&mut text[..16], seed);
        write_hex(&mut text[16..], low);
        IdempotencyKey(text)
    }

    /// The key's text: 32 lowercase hexadecimal digits.
    ///
    /// ```
    /// let key = apifault::IdempotencyKey::new();
    /// assert!(key.as_str().bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdempotencyKey")
            .field(&self.as_str())
            .finish()
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<IdempotencyKey> for http::HeaderValue {
    fn from(key: IdempotencyKey) -> Self {
        http::HeaderValue::from(&key)
    }
}

impl From<&IdempotencyKey> for http::HeaderValue {
    fn from(key: &IdempotencyKey) -> Self {
        // Hex digits are always a valid header value.
        http::HeaderValue::from_str(key.as_str())
            .unwrap_or_else(|_| http::HeaderValue::from_static(""))
    }
}

/// The process's seed: the standard library's randomly keyed hasher over
/// the time and the process id, read once.
fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let mut hasher = std::hash::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        if let Ok(since) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            hasher.write_u128(since.as_nanos());
        }
        hasher.finish()
    })
}

/// SplitMix64's finaliser: a bijection on `u64` that scrambles neighbours.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn write_hex(out: &mut [u8], value: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in out.iter_mut().enumerate() {
        let shift = 60 - 4 * i;
        *byte = DIGITS[((value >> shift) & 0xf) as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_one_process_never_repeat() {
        let keys: std::collections::HashSet<_> =
            (0..10_000).map(|_| IdempotencyKey::new()).collect();
        assert_eq!(keys.len(), 10_000);
    }

    #[test]
    fn a_key_is_32_visible_ascii_characters() {
        let key = IdempotencyKey::new();
        assert_eq!(key.as_str().len(), 32);
        assert!(key.as_str().bytes().all(|c| c.is_ascii_graphic()));
        assert_eq!(http::HeaderValue::from(&key), key.as_str());
    }
}
