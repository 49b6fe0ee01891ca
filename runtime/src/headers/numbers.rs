//! Numbers as RFC 9110 writes them: `delay-seconds`, whole numbers between
//! optional whitespace, the leading member of a list, and the saturated
//! wait a number too large becomes.

use core::time::Duration;

/// The wait used for a number too large to be meant: so long that a
/// policy's `max_server_wait` turns it into giving up, yet safe to add to an
/// `Instant` or a `SystemTime`.
///
/// A server that asks for more seconds than a `u64` holds wants the client
/// gone; reading it as "no hint" would instead retry at the backoff pace.
///
/// ```
/// use apifault::headers::{parse_delay_seconds, SATURATED_WAIT};
///
/// let wait = parse_delay_seconds(b"999999999999999999999999999999");
/// assert_eq!(wait, Some(SATURATED_WAIT));
/// ```
pub const SATURATED_WAIT: Duration = Duration::from_secs(u32::MAX as u64);

/// Seconds as a wait, capped at [`SATURATED_WAIT`] (about 136 years): large
/// enough that any policy gives up, small enough that `Instant::now() + wait`
/// cannot overflow and panic in the caller's code.
pub(super) fn seconds(n: u64) -> Duration {
    Duration::from_secs(n).min(SATURATED_WAIT)
}

/// Reads RFC 9110 `delay-seconds` (`1*DIGIT`), the number form of
/// `Retry-After`.
///
/// Only the optional whitespace around a field value (spaces and horizontal
/// tabs) is skipped. Signs, fractions, exponents, inner spaces and non-ASCII
/// digits give `None`: a lenient reading would turn a malformed `-1` or
/// `1e3` into a wait the server never asked for. Leading zeros are fine, and
/// a number beyond `u64` saturates to [`SATURATED_WAIT`].
///
/// ```
/// use apifault::headers::parse_delay_seconds;
/// use std::time::Duration;
///
/// assert_eq!(parse_delay_seconds(b" 120\t"), Some(Duration::from_secs(120)));
/// assert_eq!(parse_delay_seconds(b"007"), Some(Duration::from_secs(7)));
/// assert_eq!(parse_delay_seconds(b"-5"), None);
/// assert_eq!(parse_delay_seconds(b"1.5"), None);
/// ```
pub fn parse_delay_seconds(value: &[u8]) -> Option<Duration> {
    whole_number(value).map(seconds)
}

/// Strips RFC 9110 optional whitespace (SP and HTAB, nothing else).
pub(super) fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// `1*DIGIT` between optional whitespace, saturating at `u64::MAX` so that an
/// absurd wait stays absurd instead of vanishing.
pub(crate) fn whole_number(value: &[u8]) -> Option<u64> {
    let digits = trim_ows(value);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0_u64, |number, &byte| {
        // `to_digit(10)` accepts only ASCII '0'..='9'; Latin-1 bytes map to
        // other chars, so no non-ASCII digit slips through.
        let digit = char::from(byte).to_digit(10)?;
        Some(number.saturating_mul(10).saturating_add(u64::from(digit)))
    })
}

/// The part before the first `,` or `;`: some APIs send
/// `RateLimit-Limit: 100, 100;w=60`, where the leading number is the one that
/// applies now.
pub(crate) fn leading_member(value: &[u8]) -> &[u8] {
    value
        .split(|&byte| byte == b',' || byte == b';')
        .next()
        .unwrap_or(value)
}
