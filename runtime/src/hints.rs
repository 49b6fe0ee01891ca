//! Reading waits in every vendor's dialect: fractional seconds
//! (`Retry-After: 2.0`, `X-RateLimit-Reset-After: 64.57`), milliseconds
//! (`retry-after-ms`), Unix times with decimals, RFC 3339 timestamps, and
//! Go or protobuf durations (`6m0s`, `53s`, `12ms`); and finding values in a
//! JSON body by RFC 6901 pointers whose `*` segments match any array
//! element.
//!
//! These are what `#[api(retry_after = [ms("retry-after-ms"), …])]` and
//! `rate_limit(reset = duration("…"))` read with; they are public for
//! hint functions of your own (`retry_after = path`). Like everything in
//! [`crate::headers`], each reader is total: any bytes give a wait or
//! `None`, never a panic. A negative number gives no hint; a number too
//! large to hold saturates to [`SATURATED_WAIT`] so that a policy's
//! `max_server_wait` gives up rather than retrying early. Waits are rounded
//! up to the millisecond (a timer cannot wait less than one anyway, and
//! rounding down could send a request a moment too early).
//!
//! `Retry-After` itself is read by [`crate::headers::parse_retry_after`],
//! strictly as RFC 9110 writes it; these readers are for the headers (and
//! body fields) that vendors define.

use core::time::Duration;
use std::time::SystemTime;

use crate::headers::{SATURATED_WAIT, leading_member, whole_number};
use crate::{RateLimit, ResponseParts};

const NANOS_PER_MS: u128 = 1_000_000;
const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Optional whitespace around a value: spaces and tabs.
fn trim(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    &value[start..end.max(start)]
}

/// Nanoseconds as a wait, rounded up to the millisecond and saturated.
fn from_nanos(nanos: u128) -> Duration {
    let millis = nanos.div_ceil(NANOS_PER_MS);
    let cap = SATURATED_WAIT.as_millis();
    if millis >= cap {
        SATURATED_WAIT
    } else {
        // Below the cap, so it fits a u64.
        Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
    }
}

/// `digits [. digits]` scaled by `unit` nanoseconds: the exact number of
/// nanoseconds, rounded up, saturating. `None` for anything else (a sign,
/// an exponent, an empty part).
fn decimal_nanos(text: &[u8], unit: u128) -> Option<u128> {
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    if whole.is_empty() || !whole.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut nanos = whole.iter().fold(0_u128, |n, &d| {
        n.saturating_mul(10).saturating_add(u128::from(d - b'0'))
    });
    nanos = nanos.saturating_mul(unit);
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // Each digit is worth a tenth of the one before; digits past the
        // unit's resolution only round up.
        let mut place = unit;
        let mut rest = false;
        for &digit in fraction {
            place /= 10;
            if place == 0 {
                rest |= digit != b'0';
                continue;
            }
            nanos = nanos.saturating_add(u128::from(digit - b'0') * place);
        }
        nanos = nanos.saturating_add(u128::from(rest));
    }
    Some(nanos)
}

/// Seconds, decimals allowed: `30`, `2.0`, `64.57`.
///
/// ```
/// use apifault::hints::parse_secs;
/// use std::time::Duration;
///
/// assert_eq!(parse_secs(b"64.57"), Some(Duration::from_millis(64_570)));
/// assert_eq!(parse_secs(b" 2.0 "), Some(Duration::from_secs(2)));
/// assert_eq!(parse_secs(b"0.0001"), Some(Duration::from_millis(1)), "rounded up");
/// assert_eq!(parse_secs(b"-1"), None);
/// assert_eq!(parse_secs(b"1e3"), None);
/// ```
#[must_use]
pub fn parse_secs(value: &[u8]) -> Option<Duration> {
    decimal_nanos(trim(value), NANOS_PER_SEC).map(from_nanos)
}

/// Milliseconds, decimals allowed: Azure's and OpenAI's `retry-after-ms`.
///
/// ```
/// use apifault::hints::parse_ms;
/// use std::time::Duration;
///
/// assert_eq!(parse_ms(b"1500"), Some(Duration::from_millis(1500)));
/// assert_eq!(parse_ms(b"20.5"), Some(Duration::from_millis(21)));
/// assert_eq!(parse_ms(b"soon"), None);
/// ```
#[must_use]
pub fn parse_ms(value: &[u8]) -> Option<Duration> {
    decimal_nanos(trim(value), NANOS_PER_MS).map(from_nanos)
}

/// A Unix time in seconds, decimals allowed (Discord's
/// `X-RateLimit-Reset: 1470173023.123`), as the wait from `now`: zero when it
/// has passed.
///
/// ```
/// use apifault::hints::parse_unix;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_470_173_000);
/// assert_eq!(parse_unix(b"1470173023.5", now), Some(Duration::from_millis(23_500)));
/// assert_eq!(parse_unix(b"30", now), Some(Duration::ZERO), "long past");
/// ```
#[must_use]
pub fn parse_unix(value: &[u8], now: SystemTime) -> Option<Duration> {
    let at = decimal_nanos(trim(value), NANOS_PER_SEC)?;
    Some(until(at, now))
}

/// The wait from `now` until `at` nanoseconds after the epoch.
fn until(at: u128, now: SystemTime) -> Duration {
    let now = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    from_nanos(at.saturating_sub(now))
}

/// An RFC 3339 timestamp (`2026-12-02T15:04:05Z`, `…T15:04:05.25+01:00`;
/// `t`, `z` and a space for `T` accepted, and ISO 8601's minute precision,
/// `2026-12-02T15:04Z`), as the wait from `now`: zero when it has passed.
/// Anthropic's `anthropic-ratelimit-requests-reset`, Jira's
/// `X-RateLimit-Reset`.
///
/// ```
/// use apifault::hints::parse_timestamp;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_764_687_845); // 2025-12-02T15:04:05Z
/// assert_eq!(parse_timestamp(b"2025-12-02T15:05:05Z", now), Some(Duration::from_secs(60)));
/// assert_eq!(parse_timestamp(b"2025-12-02T16:05:05.5+01:00", now), Some(Duration::from_millis(60_500)));
/// assert_eq!(parse_timestamp(b"2025-12-02 15:04", now), None);
/// ```
#[must_use]
pub fn parse_timestamp(value: &[u8], now: SystemTime) -> Option<Duration> {
    let at = rfc3339_nanos(trim(value))?;
    Some(until(at, now))
}

/// Nanoseconds since the epoch of an RFC 3339 date-time (0 before the
/// epoch); `None` when malformed.
fn rfc3339_nanos(s: &[u8]) -> Option<u128> {
    fn number(s: &[u8]) -> Option<i64> {
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(s.iter().fold(0, |n, &d| n * 10 + i64::from(d - b'0')))
    }
    // `yyyy-MM-ddTHH:mmZ` at the least: Jira's resets omit the seconds,
    // as ISO 8601 allows.
    if s.len() < 17 {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *date else {
        return None;
    };
    let year = number(&[y0, y1, y2, y3])?;
    let month = number(&[m0, m1])?;
    let day = number(&[d0, d1])?;
    let [sep, h0, h1, b':', n0, n1, ref after @ ..] = *rest else {
        return None;
    };
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    let hour = number(&[h0, h1])?;
    let minute = number(&[n0, n1])?;
    let (second, mut rest) = match after {
        [b':', s0, s1, rest @ ..] => (number(&[*s0, *s1])?, rest),
        _ => (0, after),
    };
    let mut nanos: u128 = 0;
    if let [b'.', fraction @ ..] = rest {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        nanos = decimal_nanos(&[b"0.", &fraction[..digits]].concat(), NANOS_PER_SEC)?;
        rest = &fraction[digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), oh0, oh1, b':', om0, om1] => {
            let minutes = number(&[*oh0, *oh1])? * 60 + number(&[*om0, *om1])?;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    // A leap second (:60) is read as the next second.
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset * 60;
    // Before the epoch is long past: as good as the epoch itself.
    let Ok(seconds) = u128::try_from(seconds) else {
        return Some(0);
    };
    Some(seconds * NANOS_PER_SEC + nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A Go duration (`6m0s`, `1h2m3.5s`, `12ms`, `250us`, `0`) or a protobuf
/// JSON duration (`53s`, `1.5s`): OpenAI's `x-ratelimit-reset-requests`,
/// Google's `RetryInfo.retryDelay`.
///
/// ```
/// use apifault::hints::parse_duration;
/// use std::time::Duration;
///
/// assert_eq!(parse_duration(b"6m0s"), Some(Duration::from_secs(360)));
/// assert_eq!(parse_duration(b"53s"), Some(Duration::from_secs(53)));
/// assert_eq!(parse_duration(b"1m30.5s"), Some(Duration::from_millis(90_500)));
/// assert_eq!(parse_duration(b"12ms"), Some(Duration::from_millis(12)));
/// assert_eq!(parse_duration(b"-5s"), None);
/// assert_eq!(parse_duration(b"5"), None, "a unit is required");
/// ```
#[must_use]
pub fn parse_duration(value: &[u8]) -> Option<Duration> {
    let mut rest = trim(value);
    if rest == b"0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number = rest
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .count();
        let (digits, after) = rest.split_at(number);
        let unit = after
            .iter()
            .take_while(|b| !(b.is_ascii_digit() || **b == b'.'))
            .count();
        let (unit_text, after) = after.split_at(unit);
        let scale: u128 = match unit_text {
            b"ns" => 1,
            // `us`, and `µs` with either micro sign in UTF-8.
            b"us" | [0xC2, 0xB5, b's'] | [0xCE, 0xBC, b's'] => 1_000,
            b"ms" => NANOS_PER_MS,
            b"s" => NANOS_PER_SEC,
            b"m" => 60 * NANOS_PER_SEC,
            b"h" => 3_600 * NANOS_PER_SEC,
            _ => return None,
        };
        total = total.saturating_add(decimal_nanos(digits, scale)?);
        rest = after;
    }
    Some(from_nanos(total))
}

/// A JSON number as a wait of `unit` nanoseconds each: `None` when negative
/// (or not a finite number), rounded up to the millisecond, saturating.
pub(crate) fn json_number(number: &serde_json::Number, unit: u128) -> Option<Duration> {
    if let Some(n) = number.as_u64() {
        return Some(from_nanos(u128::from(n).saturating_mul(unit)));
    }
    let n = number.as_f64()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    // f64 to u128 saturates; the cap is far below its range anyway.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let nanos = (n * unit as f64).ceil() as u128;
    Some(from_nanos(nanos))
}

/// The values an RFC 6901 `pointer` finds in `value`, in document order,
/// handed to `found` until it returns `Some`: a `*` segment matches every
/// element of an array (and nothing in an object or a scalar).
pub(crate) fn find_map<'v, T>(
    value: &'v serde_json::Value,
    pointer: &str,
    found: &mut impl FnMut(&'v serde_json::Value) -> Option<T>,
) -> Option<T> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return if pointer.is_empty() {
            found(value)
        } else {
            None
        };
    };
    let (token, tail) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, ""),
    };
    match value {
        serde_json::Value::Array(items) if token == "*" => {
            items.iter().find_map(|item| find_map(item, tail, found))
        }
        serde_json::Value::Array(items) => {
            // RFC 6901: an index is digits without a leading zero.
            if token.is_empty()
                || (token.len() > 1 && token.starts_with('0'))
                || !token.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            find_map(items.get(token.parse::<usize>().ok()?)?, tail, found)
        }
        serde_json::Value::Object(members) => {
            let member = if token.contains('~') {
                members.get(&token.replace("~1", "/").replace("~0", "~"))
            } else {
                members.get(token)
            };
            find_map(member?, tail, found)
        }
        _ => None,
    }
}

/// How a hint source is written (`#[api(retry_after = [ms("…"), …])]`).
/// Used by the derive's expansion; not a stable API.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HintUnit {
    /// A bare `"Header"`: `Retry-After` strictly (RFC 9110), `RateLimit` as
    /// the IETF field, any other header as a reset (seconds, or a Unix time
    /// from 10^9 on).
    Plain,
    /// `secs("…")`.
    Secs,
    /// `ms("…")`.
    Ms,
    /// `unix("…")`.
    Unix,
    /// `timestamp("…")`.
    Timestamp,
    /// `duration("…")`.
    Duration,
}

#[doc(hidden)]
#[derive(Clone, Debug)]
enum Place {
    Header(http::HeaderName),
    Body(&'static str),
    Function(fn(&ResponseParts<'_>) -> Option<Duration>),
}

/// One place a wait hint may be, and how it is written. Used by the
/// derive's expansion; not a stable API.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct Hint {
    unit: HintUnit,
    place: Place,
}

impl Hint {
    /// A header.
    #[must_use]
    pub const fn header(unit: HintUnit, name: http::HeaderName) -> Hint {
        Hint {
            unit,
            place: Place::Header(name),
        }
    }

    /// A JSON pointer into the body.
    #[must_use]
    pub const fn body(unit: HintUnit, pointer: &'static str) -> Hint {
        Hint {
            unit,
            place: Place::Body(pointer),
        }
    }

    /// A hint function.
    #[must_use]
    pub const fn function(read: fn(&ResponseParts<'_>) -> Option<Duration>) -> Hint {
        Hint {
            unit: HintUnit::Plain,
            place: Place::Function(read),
        }
    }

    fn read_text(
        &self,
        text: &[u8],
        now: SystemTime,
        name: Option<&http::HeaderName>,
    ) -> Option<Duration> {
        match self.unit {
            HintUnit::Plain => {
                let name = name?;
                crate::headers::retry_after_value(name, text, now)
            }
            HintUnit::Secs => parse_secs(text),
            HintUnit::Ms => parse_ms(text),
            HintUnit::Unix => parse_unix(text, now),
            HintUnit::Timestamp => parse_timestamp(text, now),
            HintUnit::Duration => parse_duration(text),
        }
    }

    fn read_json(&self, value: &serde_json::Value, now: SystemTime) -> Option<Duration> {
        match value {
            serde_json::Value::String(text) => self.read_text(text.as_bytes(), now, None),
            serde_json::Value::Number(number) => match self.unit {
                HintUnit::Secs => json_number(number, NANOS_PER_SEC),
                HintUnit::Ms => json_number(number, NANOS_PER_MS),
                HintUnit::Unix => {
                    let at = json_number(number, NANOS_PER_SEC)?;
                    Some(until(at.as_nanos(), now))
                }
                HintUnit::Plain | HintUnit::Timestamp | HintUnit::Duration => None,
            },
            _ => None,
        }
    }

    /// The header this hint is written to when served, with `wait` in its
    /// unit; `None` for a body pointer or a function.
    #[must_use]
    pub fn render(
        &self,
        wait: Duration,
        now: SystemTime,
    ) -> Option<(http::HeaderName, http::HeaderValue)> {
        let Place::Header(name) = &self.place else {
            return None;
        };
        let text = self.render_text(wait, now, name.as_str())?;
        Some((name.clone(), http::HeaderValue::try_from(text).ok()?))
    }

    /// Where a served body should carry the hint: the pointer and the value.
    #[must_use]
    pub fn render_body(
        &self,
        wait: Duration,
        now: SystemTime,
    ) -> Option<(&'static str, serde_json::Value)> {
        let Place::Body(pointer) = &self.place else {
            return None;
        };
        let millis = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        let value = match self.unit {
            #[allow(clippy::cast_precision_loss)]
            HintUnit::Secs | HintUnit::Plain => serde_json::Value::from(millis as f64 / 1000.0),
            HintUnit::Ms => serde_json::Value::from(millis),
            _ => serde_json::Value::from(self.render_text(wait, now, "")?),
        };
        Some((pointer, value))
    }

    fn render_text(&self, wait: Duration, now: SystemTime, name: &str) -> Option<String> {
        let millis = wait.as_millis();
        let whole_secs = apifault_rules::whole_seconds_up(wait.as_secs(), wait.subsec_nanos());
        Some(match self.unit {
            HintUnit::Plain if name == apifault_rules::header::RATELIMIT => {
                format!("\"default\";r=0;t={whole_secs}")
            }
            HintUnit::Plain => whole_secs.to_string(),
            HintUnit::Secs => format!("{}.{:03}", millis / 1000, millis % 1000),
            HintUnit::Ms => millis.to_string(),
            HintUnit::Duration => format!("{millis}ms"),
            HintUnit::Unix => {
                let at = now
                    .checked_add(wait)?
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .ok()?;
                let at = at.as_millis();
                format!("{}.{:03}", at / 1000, at % 1000)
            }
            HintUnit::Timestamp => {
                let at = now
                    .checked_add(wait)?
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .ok()?;
                rfc3339(at)
            }
        })
    }
}

/// `at` after the epoch as an RFC 3339 timestamp in UTC, to the millisecond.
fn rfc3339(at: Duration) -> String {
    let secs = i64::try_from(at.as_secs()).unwrap_or(i64::MAX / 2);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        at.subsec_millis()
    )
}

/// The first hint of `sources` the response yields.
pub(crate) fn hint(parts: &ResponseParts<'_>, sources: &[Hint]) -> Option<Duration> {
    let now = SystemTime::now();
    let mut json: Option<Option<serde_json::Value>> = None;
    sources.iter().find_map(|source| match &source.place {
        Place::Header(name) => {
            let value = parts.headers.get(name)?;
            source.read_text(value.as_bytes(), now, Some(name))
        }
        Place::Body(pointer) => {
            let json = json
                .get_or_insert_with(|| serde_json::from_slice(parts.body).ok())
                .as_ref()?;
            find_map(json, pointer, &mut |value| source.read_json(value, now))
        }
        Place::Function(read) => read(parts),
    })
}

/// The headers of `rate_limit(limit = …, remaining = …, reset = …, used =
/// …)`. Used by the derive's expansion; not a stable API.
#[doc(hidden)]
#[derive(Debug)]
pub struct RateLimitSpec {
    /// `limit = "…"`.
    pub limit: Option<http::HeaderName>,
    /// `remaining = "…"`.
    pub remaining: Option<http::HeaderName>,
    /// `reset = …`, a header source.
    pub reset: Option<Hint>,
    /// `used = "…"`: a `used/limit` pair.
    pub used: Option<http::HeaderName>,
}

impl RateLimitSpec {
    /// The headers a served response announces `announced` with.
    #[must_use]
    pub fn render(
        &self,
        announced: RateLimit,
        now: SystemTime,
    ) -> Vec<(http::HeaderName, http::HeaderValue)> {
        let mut out = Vec::new();
        if let (Some(name), Some(limit)) = (&self.limit, announced.limit) {
            out.push((name.clone(), http::HeaderValue::from(limit)));
        }
        if let (Some(name), Some(remaining)) = (&self.remaining, announced.remaining) {
            out.push((name.clone(), http::HeaderValue::from(remaining)));
        }
        if let (Some(name), Some(limit), Some(remaining)) =
            (&self.used, announced.limit, announced.remaining)
            && let Ok(value) =
                http::HeaderValue::try_from(format!("{}/{limit}", limit.saturating_sub(remaining)))
        {
            out.push((name.clone(), value));
        }
        if let (Some(reset), Some(wait)) = (&self.reset, announced.reset)
            && let Some(header) = reset.render(wait, now)
        {
            out.push(header);
        }
        out
    }
}

/// `used/limit` (`32/40`, or with a prefix, `api-usage=18/5000`): the
/// digits just before and just after the first `/`.
fn used_pair(value: &[u8]) -> Option<(u64, u64)> {
    let slash = value.iter().position(|&b| b == b'/')?;
    let (before, after) = (&value[..slash], &value[slash + 1..]);
    let used_len = before
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let limit_len = after.iter().take_while(|b| b.is_ascii_digit()).count();
    Some((
        whole_number(&before[before.len() - used_len..])?,
        whole_number(&after[..limit_len])?,
    ))
}

/// A count header: digits, optional whitespace, the leading member of a
/// list; a decimal's whole part (some APIs send `100.0`).
fn count(value: &[u8]) -> Option<u64> {
    let value = trim(leading_member(value));
    whole_number(value.split(|&b| b == b'.').next().unwrap_or(value))
}

pub(crate) fn rate_limit_with(
    headers: &http::HeaderMap,
    spec: &RateLimitSpec,
) -> Option<RateLimit> {
    let read = |name: &Option<http::HeaderName>| {
        name.as_ref()
            .and_then(|name| headers.get(name))
            .map(http::HeaderValue::as_bytes)
    };
    let reset_name = match &spec.reset {
        Some(Hint {
            place: Place::Header(name),
            ..
        }) => Some(name),
        _ => None,
    };
    let present = [&spec.limit, &spec.remaining, &spec.used]
        .into_iter()
        .flatten()
        .chain(reset_name)
        .any(|name| headers.contains_key(name));
    if !present {
        return None;
    }
    let used = read(&spec.used).and_then(used_pair);
    let reset = spec.reset.as_ref().and_then(|source| {
        let parts = ResponseParts::new(http::StatusCode::OK, headers, &[]);
        hint(&parts, core::slice::from_ref(source))
    });
    Some(RateLimit {
        limit: read(&spec.limit)
            .and_then(count)
            .or(used.map(|(_, limit)| limit)),
        remaining: read(&spec.remaining)
            .and_then(count)
            .or(used.map(|(used, limit)| limit.saturating_sub(used))),
        reset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn millis(n: u64) -> Option<Duration> {
        Some(Duration::from_millis(n))
    }

    #[test]
    fn decimal_seconds_table() {
        let cases: &[(&[u8], Option<Duration>)] = &[
            (b"0", Some(Duration::ZERO)),
            (b"30", millis(30_000)),
            (b"2.0", millis(2_000)),
            (b"64.57", millis(64_570)),
            (b"0.0005", millis(1)),
            (b"1.0001", millis(1_001)),
            (b"1.000", millis(1_000)),
            (b"\t 7 ", millis(7_000)),
            (b"", None),
            (b".5", None),
            (b"5.", None),
            (b"-1", None),
            (b"+1", None),
            (b"1e3", None),
            (b"1,5", None),
            (b"1 5", None),
            (b"NaN", None),
            (b"inf", None),
            (b"\xff", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                parse_secs(value),
                *expected,
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
        assert_eq!(
            parse_secs(b"99999999999999999999999999999999999999999999"),
            Some(SATURATED_WAIT)
        );
        assert_eq!(parse_ms(b"4294967295000"), Some(SATURATED_WAIT));
        assert_eq!(
            parse_ms(b"4294967294999"),
            Some(SATURATED_WAIT - Duration::from_millis(1))
        );
    }

    #[test]
    fn duration_table() {
        let cases: &[(&[u8], Option<Duration>)] = &[
            (b"0", Some(Duration::ZERO)),
            (b"0s", Some(Duration::ZERO)),
            (b"6m0s", millis(360_000)),
            (b"1h2m3s", millis(3_723_000)),
            (b"1.5h", millis(5_400_000)),
            (b"12ms", millis(12)),
            (b"250us", millis(1)),
            ("3\u{b5}s".as_bytes(), millis(1)),
            ("3\u{3bc}s".as_bytes(), millis(1)),
            (b"999ns", millis(1)),
            (b"53s", millis(53_000)),
            (b"1.5s", millis(1_500)),
            (b"5", None),
            (b"s", None),
            (b"-5s", None),
            (b"5d", None),
            (b"5 s", None),
            (b"1m-1s", None),
            (b"", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                parse_duration(value),
                *expected,
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn timestamp_table() {
        let now = at(1_764_687_845); // 2025-12-02T15:04:05Z
        let cases: &[(&[u8], Option<Duration>)] = &[
            (b"2025-12-02T15:04:05Z", Some(Duration::ZERO)),
            (b"2025-12-02T15:05:05Z", millis(60_000)),
            (b"2025-12-02t15:05:05z", millis(60_000)),
            (b"2025-12-02 15:05:05Z", millis(60_000)),
            (b"2025-12-02T15:05:05.001Z", millis(60_001)),
            (b"2025-12-02T16:05:05+01:00", millis(60_000)),
            (b"2025-12-02T14:05:05-01:00", millis(60_000)),
            (b"2025-12-03T00:00:00Z", millis(32_155_000)),
            (b"2024-02-29T00:00:00Z", Some(Duration::ZERO)),
            (b"2025-02-29T00:00:00Z", None),
            (b"2025-13-01T00:00:00Z", None),
            (b"2025-12-02T24:00:00Z", None),
            (b"2025-12-02T15:04:05", None),
            (b"2025-12-02T15:05Z", millis(55_000)),
            (b"2025-12-02T15:05+00:00", millis(55_000)),
            (b"2025-12-02T15:05", None),
            (b"2025-12-02T15:05:5Z", None),
            (b"2025-12-02T15:04:05.Z", None),
            (b"2025-12-02T15:04:05+0100", None),
            (b"Tue, 02 Dec 2025 15:04:05 GMT", None),
            (b"1969-12-31T23:59:59Z", Some(Duration::ZERO)),
        ];
        for (value, expected) in cases {
            assert_eq!(
                parse_timestamp(value, now),
                *expected,
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn rfc3339_writes_what_it_reads() {
        for secs in [
            0_u64,
            951_782_400,
            1_764_687_845,
            4_102_444_800,
            32_503_680_000,
        ] {
            let text = rfc3339(Duration::from_millis(secs * 1000 + 250));
            assert_eq!(
                rfc3339_nanos(text.as_bytes()),
                Some(u128::from(secs) * NANOS_PER_SEC + 250 * NANOS_PER_MS),
                "{text}"
            );
        }
    }

    #[test]
    fn unix_table() {
        let now = at(1_470_173_000);
        assert_eq!(parse_unix(b"1470173023.5", now), millis(23_500));
        assert_eq!(parse_unix(b"1470173000", now), Some(Duration::ZERO));
        assert_eq!(parse_unix(b"30", now), Some(Duration::ZERO));
        assert_eq!(parse_unix(b"-30", now), None);
        assert_eq!(
            parse_unix(b"99999999999999999999999", now),
            Some(SATURATED_WAIT)
        );
    }

    #[test]
    fn pointers_with_wildcards() {
        let json: serde_json::Value = serde_json::from_str(
            r#"{"a": [{"b": 1}, {"c": 2}, {"c": 3}], "x/y": {"~": 4}, "n": null, "s": "t"}"#,
        )
        .unwrap();
        let first = |pointer: &str| find_map(&json, pointer, &mut |v| Some(v.clone()));
        assert_eq!(first("/a/*/c"), Some(2.into()));
        assert_eq!(first("/a/1/c"), Some(2.into()));
        assert_eq!(first("/a/01/c"), None);
        assert_eq!(first("/a/-"), None);
        assert_eq!(first("/x~1y/~0"), Some(4.into()));
        assert_eq!(first("/*"), None, "`*` matches array elements only");
        assert_eq!(first("/s/*"), None);
        assert_eq!(first(""), Some(json.clone()));
        assert_eq!(first("a"), None);
        let numbers = find_map(&json, "/a/*/c", &mut |v| v.as_u64().filter(|n| *n > 2));
        assert_eq!(numbers, Some(3));
    }

    proptest! {
        #[test]
        fn readers_are_total(value in proptest::collection::vec(any::<u8>(), 0..48), now in any::<u64>()) {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now % 10_000_000_000);
            for wait in [
                parse_secs(&value),
                parse_ms(&value),
                parse_unix(&value, now),
                parse_timestamp(&value, now),
                parse_duration(&value),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert!(wait <= SATURATED_WAIT);
                prop_assert_eq!(wait.subsec_nanos() % 1_000_000, 0, "whole milliseconds");
            }
        }

        #[test]
        fn numeric_text_reads_what_it_says(whole in 0u64..1_000_000, fraction in 0u32..1000) {
            let text = format!("{whole}.{fraction:03}");
            prop_assert_eq!(
                parse_secs(text.as_bytes()),
                Some(Duration::from_millis(whole * 1000 + u64::from(fraction)))
            );
            prop_assert_eq!(
                parse_duration(format!("{text}s").as_bytes()),
                Some(Duration::from_millis(whole * 1000 + u64::from(fraction)))
            );
        }

        #[test]
        fn pointers_never_panic(pointer in "(/([a-z*~0-9]{0,3}))*", body in "[\\[\\]{}\":,a-z0-9 ]{0,40}") {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&body) {
                let _ = find_map(&json, &pointer, &mut |v| Some(v.is_null()));
            }
        }

        #[test]
        fn used_pairs_are_total(value in proptest::collection::vec(any::<u8>(), 0..32)) {
            let _ = used_pair(&value);
            let _ = count(&value);
        }

        #[test]
        fn used_pairs_read_what_they_say(used in any::<u64>(), limit in any::<u64>(), prefix in "[a-z-]{0,10}=?") {
            let text = format!("{prefix}{used}/{limit}");
            prop_assert_eq!(used_pair(text.as_bytes()), Some((used, limit)));
        }
    }
}
