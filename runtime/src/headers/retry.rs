//! What a response says about retrying: `Retry-After` (delay-seconds or an
//! HTTP-date), the other hint headers read as a rate-limit reset, and the
//! server's own should-retry decision.

use core::time::Duration;
use std::time::SystemTime;

use apifault_rules::header::RATELIMIT;
use http::{HeaderMap, HeaderName};

use super::numbers::{SATURATED_WAIT, parse_delay_seconds, seconds, trim_ows};
use super::rate_limit::{structured_reset, x_reset};

/// Reads a `Retry-After` value: delay-seconds, or an HTTP-date in any of
/// RFC 9110's three forms (IMF-fixdate, RFC 850, asctime), as the wait from
/// `now`.
///
/// A date at or before `now` is [`Duration::ZERO`]: the server said "after
/// this moment", and that moment has come. Anything else gives `None`.
///
/// RFC 850 dates carry a two-digit year, read (by the `httpdate` crate) as
/// 1970–2069; RFC 9110 would instead pick the year within 50 years of now.
/// The two differ only for years a server would not name in a wait hint.
///
/// ```
/// use apifault::headers::parse_retry_after;
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
///
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
/// assert_eq!(parse_retry_after(b"30", now), Some(Duration::from_secs(30)));
/// assert_eq!(
///     parse_retry_after(b"Sun, 06 Nov 1994 08:50:37 GMT", now),
///     Some(Duration::from_secs(60)),
/// );
/// assert_eq!(parse_retry_after(b"Sun Nov  6 08:00:00 1994", now), Some(Duration::ZERO));
/// assert_eq!(parse_retry_after(b"soon", now), None);
/// ```
pub fn parse_retry_after(value: &[u8], now: SystemTime) -> Option<Duration> {
    let value = trim_ows(value);
    if let Some(wait) = parse_delay_seconds(value) {
        return Some(wait);
    }
    let date = core::str::from_utf8(value).ok()?;
    // httpdate trims any whitespace (form feeds, newlines) itself; only the
    // spaces and tabs we already removed may surround a field value.
    if date.starts_with(char::is_whitespace) || date.ends_with(char::is_whitespace) {
        return None;
    }
    let date = httpdate::parse_http_date(date).ok()?;
    Some(
        date.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(SATURATED_WAIT),
    )
}

/// The server's wait hint: the first of `names` whose header yields one,
/// measured from the system clock.
///
/// See [`retry_after_at`] for how each header is read.
///
/// ```
/// use apifault::headers::retry_after;
/// use http::{HeaderMap, HeaderName, header::RETRY_AFTER};
/// use std::time::Duration;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(RETRY_AFTER, "120".parse().unwrap());
/// let names = [HeaderName::from_static("ratelimit-reset"), RETRY_AFTER];
/// assert_eq!(retry_after(&headers, &names), Some(Duration::from_secs(120)));
/// ```
pub fn retry_after(headers: &HeaderMap, names: &[HeaderName]) -> Option<Duration> {
    retry_after_at(headers, names, SystemTime::now())
}

/// The server's wait hint: the first of `names` whose header yields one,
/// with HTTP-dates measured from `now`.
///
/// Only the first value of each header is read. A header that is absent or
/// unreadable passes the turn to the next name, so a list like
/// `["Ratelimit-Reset", "Retry-After"]` falls back as a reader expects.
///
/// - `Retry-After` is read by [`parse_retry_after`]: delay-seconds or an
///   HTTP-date.
/// - `RateLimit` is the IETF structured field, whose reset (`t`, or `reset`
///   in the draft-07 dictionary) is the hint.
/// - Every other name is a rate-limit reset, read as [`rate_limit`](fn@super::rate_limit) reads
///   `X-RateLimit-Reset`: delta-seconds, or, for a number of 1,000,000,000
///   or more, the Unix time of the reset (GitHub's `X-RateLimit-Reset`),
///   measured from `now`.
///
/// ```
/// use apifault::headers::retry_after_at;
/// use http::{HeaderMap, HeaderName};
/// use std::time::{Duration, SystemTime};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("ratelimit", r#""default";r=0;t=42"#.parse().unwrap());
/// let names = [HeaderName::from_static("retry-after"), HeaderName::from_static("ratelimit")];
/// assert_eq!(
///     retry_after_at(&headers, &names, SystemTime::now()),
///     Some(Duration::from_secs(42)),
/// );
/// ```
pub fn retry_after_at(
    headers: &HeaderMap,
    names: &[HeaderName],
    now: SystemTime,
) -> Option<Duration> {
    names
        .iter()
        .find_map(|name| retry_after_value(name, headers.get(name)?.as_bytes(), now))
}

/// One hint header's value, read as [`retry_after_at`] reads a header of
/// that name.
pub(crate) fn retry_after_value(
    name: &HeaderName,
    value: &[u8],
    now: SystemTime,
) -> Option<Duration> {
    if name == http::header::RETRY_AFTER {
        parse_retry_after(value, now)
    } else if name.as_str() == RATELIMIT {
        structured_reset(value).map(seconds)
    } else {
        x_reset(value, now)
    }
}

/// The server's own decision on retrying, from a header such as
/// `X-Should-Retry` or Stripe's `Stripe-Should-Retry`: `true` or `false`,
/// ASCII case-insensitive and trimmed; any other value (or none) is `None`.
///
/// ```
/// use apifault::headers::should_retry;
/// use http::{HeaderMap, HeaderName};
///
/// let name = HeaderName::from_static("stripe-should-retry");
/// let mut headers = HeaderMap::new();
/// headers.insert(name.clone(), " False".parse().unwrap());
/// assert_eq!(should_retry(&headers, &name), Some(false));
/// headers.insert(name.clone(), "maybe".parse().unwrap());
/// assert_eq!(should_retry(&headers, &name), None);
/// ```
pub fn should_retry(headers: &HeaderMap, name: &HeaderName) -> Option<bool> {
    let value = trim_ows(headers.get(name)?.as_bytes());
    if value.eq_ignore_ascii_case(b"true") {
        Some(true)
    } else if value.eq_ignore_ascii_case(b"false") {
        Some(false)
    } else {
        None
    }
}
