//! Reading what a response's headers say about waiting and about identity:
//! `Retry-After` (delay-seconds or an HTTP-date), the rate-limit headers
//! (the IETF structured `RateLimit` and `RateLimit-Policy` fields, the
//! separate `RateLimit-Limit`/`-Remaining`/`-Reset` headers and their
//! `X-RateLimit-` cousins) and request ids.
//!
//! Every function here is total: the bytes come from a server we do not
//! control, so any input gives a value or `None`, never a panic. Numbers are
//! read as strictly as RFC 9110 writes them; a number too large to hold
//! becomes [`SATURATED_WAIT`] rather than `None`, so that a retry policy gives
//! up instead of retrying early.
//!
//! What to do with a wait (clamp it, give up, add jitter) is not decided here:
//! that belongs to the retry policy. Response bodies are not read here either.

use core::time::Duration;
use std::convert::Infallible;
use std::time::SystemTime;

use http::{HeaderMap, HeaderName};
use sfv::visitor::{
    DictionaryVisitor, EntryVisitor, Ignored, InnerListVisitor, ItemVisitor, ListVisitor,
    ParameterVisitor,
};
use sfv::{BareItemFromInput, KeyRef, Parser};

/// Rate-limit state a response announced.
///
/// Each field is `None` when no header announced it, or when what was
/// announced was not a non-negative whole number: a wrong number is worse
/// than none for a client that throttles itself.
///
/// ```
/// use apifault::RateLimit;
/// use std::time::Duration;
///
/// let announced = RateLimit::new(150, 100, Duration::from_secs(200));
/// assert_eq!(announced.limit, Some(150));
/// assert_eq!(RateLimit::default().remaining, None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Requests allowed in the current window (the quota).
    pub limit: Option<u64>,
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// Time until the window resets and `remaining` goes back up to `limit`.
    pub reset: Option<Duration>,
}

impl RateLimit {
    /// A rate limit with all three values known.
    ///
    /// ```
    /// use apifault::RateLimit;
    /// use std::time::Duration;
    ///
    /// let announced = RateLimit::new(100, 0, Duration::from_secs(30));
    /// assert_eq!(announced.reset, Some(Duration::from_secs(30)));
    /// ```
    pub const fn new(limit: u64, remaining: u64, reset: Duration) -> Self {
        Self {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(reset),
        }
    }

    /// Whether the server said no request is left in this window.
    ///
    /// An unknown `remaining` is not exhaustion: a client that stopped on
    /// missing information would stall against servers that send only some
    /// of the headers.
    ///
    /// ```
    /// use apifault::RateLimit;
    /// use std::time::Duration;
    ///
    /// assert!(RateLimit::new(100, 0, Duration::from_secs(30)).is_exhausted());
    /// assert!(!RateLimit::new(100, 1, Duration::from_secs(30)).is_exhausted());
    /// assert!(!RateLimit::default().is_exhausted());
    /// ```
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}

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
fn seconds(n: u64) -> Duration {
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
/// - Every other name is a rate-limit reset, read as [`rate_limit`] reads
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
        Announced::parse(value).reset.map(seconds)
    } else {
        x_reset(value, now)
    }
}

/// The rate-limit state the headers announce, or `None` when no rate-limit
/// header is present at all.
///
/// Each field is taken from the first source that states it readably:
///
/// 1. the IETF structured fields: `RateLimit: "default";r=50;t=30` with
///    `RateLimit-Policy: "default";q=100;w=60` (draft 08 onward: the first
///    member of `RateLimit`, and the policy of the same name, else the first
///    policy), or the draft-07 dictionary `RateLimit: limit=100, remaining=50,
///    reset=30`;
/// 2. `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`;
/// 3. `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`;
///    a reset of 1,000,000,000 or more is the Unix time of the reset (as
///    GitHub sends it), read as the wait from the system clock.
///
/// The separate headers are whole seconds or counts read like
/// [`parse_delay_seconds`]; of a list such as `100, 100;w=60` the leading
/// number counts. A present but unreadable header makes its field `None`
/// rather than a guess.
///
/// ```
/// use apifault::{headers::rate_limit, RateLimit};
/// use http::HeaderMap;
/// use std::time::Duration;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("ratelimit-limit", "150".parse().unwrap());
/// headers.insert("ratelimit-remaining", "100".parse().unwrap());
/// headers.insert("ratelimit-reset", "200".parse().unwrap());
/// assert_eq!(
///     rate_limit(&headers),
///     Some(RateLimit::new(150, 100, Duration::from_secs(200))),
/// );
/// assert_eq!(rate_limit(&HeaderMap::new()), None);
/// ```
pub fn rate_limit(headers: &HeaderMap) -> Option<RateLimit> {
    rate_limit_at(headers, SystemTime::now())
}

/// [`rate_limit`], with an `X-RateLimit-Reset` Unix time measured from `now`.
///
/// ```
/// use apifault::headers::rate_limit_at;
/// use http::HeaderMap;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-ratelimit-reset", "1767225600".parse().unwrap());
/// let now = UNIX_EPOCH + Duration::from_secs(1_767_225_000);
/// assert_eq!(rate_limit_at(&headers, now).unwrap().reset, Some(Duration::from_secs(600)));
/// ```
pub fn rate_limit_at(headers: &HeaderMap, now: SystemTime) -> Option<RateLimit> {
    if !RATE_LIMIT_HEADERS
        .iter()
        .any(|name| headers.contains_key(*name))
    {
        return None;
    }
    let announced = headers
        .get(RATELIMIT)
        .map(|value| Announced::parse(value.as_bytes()))
        .unwrap_or_default();
    let policy_quota = || {
        let value = headers.get(RATELIMIT_POLICY)?;
        policy_quota(value.as_bytes(), announced.policy.as_deref())
    };
    let separate = |names: [&str; 2]| {
        names.iter().find_map(|name| {
            let value = headers.get(*name)?.as_bytes();
            whole_number(leading_member(value))
        })
    };
    Some(RateLimit {
        limit: announced
            .limit
            .or_else(policy_quota)
            .or_else(|| separate([RATELIMIT_LIMIT, X_RATELIMIT_LIMIT])),
        remaining: announced
            .remaining
            .or_else(|| separate([RATELIMIT_REMAINING, X_RATELIMIT_REMAINING])),
        reset: announced
            .reset
            .or_else(|| whole_number(leading_member(headers.get(RATELIMIT_RESET)?.as_bytes())))
            .map(seconds)
            .or_else(|| x_reset(headers.get("x-ratelimit-reset")?.as_bytes(), now)),
    })
}

/// Values of `X-RateLimit-Reset` at or above this are Unix times, not waits:
/// GitHub and others send the epoch second the window resets at, and no
/// window lasts 30 years.
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

/// `X-RateLimit-Reset`, which some APIs send as seconds to wait and others
/// (GitHub, Twitter) as the Unix time of the reset.
fn x_reset(value: &[u8], now: SystemTime) -> Option<Duration> {
    let n = whole_number(leading_member(value))?;
    if n < EPOCH_THRESHOLD {
        return Some(seconds(n));
    }
    let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(n))?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(SATURATED_WAIT),
    )
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

/// The request id a response carries in the header `name`, for logs and
/// support tickets.
///
/// `None` when the header is absent, blank, or not visible ASCII: an id that
/// cannot be quoted back verbatim is of no use to the API's support.
///
/// ```
/// use apifault::headers::request_id;
/// use http::{HeaderMap, HeaderName};
///
/// let name = HeaderName::from_static("x-request-id");
/// let mut headers = HeaderMap::new();
/// headers.insert(name.clone(), " 7f3a-22 ".parse().unwrap());
/// assert_eq!(request_id(&headers, &name), Some("7f3a-22"));
/// assert_eq!(request_id(&HeaderMap::new(), &name), None);
/// ```
pub fn request_id<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    let id = headers.get(name)?.to_str().ok()?.trim_matches([' ', '\t']);
    (!id.is_empty()).then_some(id)
}

/// The IETF structured field, as `HeaderName` spells it (always lowercase).
use apifault_rules::header::{
    RATELIMIT, RATELIMIT_LIMIT, RATELIMIT_POLICY, RATELIMIT_REMAINING, RATELIMIT_RESET,
    X_RATELIMIT_LIMIT, X_RATELIMIT_REMAINING, X_RATELIMIT_RESET,
};

/// Any one of these makes [`rate_limit`] answer `Some`.
const RATE_LIMIT_HEADERS: [&str; 8] = [
    RATELIMIT,
    RATELIMIT_POLICY,
    RATELIMIT_LIMIT,
    RATELIMIT_REMAINING,
    RATELIMIT_RESET,
    X_RATELIMIT_LIMIT,
    X_RATELIMIT_REMAINING,
    X_RATELIMIT_RESET,
];

/// Strips RFC 9110 optional whitespace (SP and HTAB, nothing else).
fn trim_ows(mut value: &[u8]) -> &[u8] {
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

/// A structured-field bare item as a count or seconds: only a non-negative
/// Integer qualifies (a Decimal `t=1.5` or a negative `r=-1` is a server bug,
/// not a value to round).
fn count(item: &BareItemFromInput<'_>) -> Option<u64> {
    match item {
        BareItemFromInput::Integer(integer) => u64::try_from(i64::from(*integer)).ok(),
        _ => None,
    }
}

/// What a structured `RateLimit` field announced, in seconds for `reset`.
#[derive(Default)]
struct Announced {
    /// The policy name of the member read, to find its quota in
    /// `RateLimit-Policy`.
    policy: Option<String>,
    limit: Option<u64>,
    remaining: Option<u64>,
    reset: Option<u64>,
}

impl Announced {
    fn parse(value: &[u8]) -> Self {
        let value = trim_ows(value);
        // A draft-07 dictionary (`limit=100, …`) never parses as a List (its
        // `=` is not list syntax), while a draft-08 member written with a
        // token (`default;r=5`) parses as both: so the List goes first.
        let mut members = Members::default();
        if Parser::new(value)
            .parse_list_with_visitor(&mut members)
            .is_ok()
            && let Some(first) = members.0.into_iter().next()
        {
            return Self {
                policy: first.name,
                limit: None,
                remaining: first.remaining,
                reset: first.reset,
            };
        }
        let mut draft07 = Draft07::default();
        if Parser::new(value)
            .parse_dictionary_with_visitor(&mut draft07)
            .is_ok()
        {
            return Self {
                policy: None,
                limit: draft07.limit,
                remaining: draft07.remaining,
                reset: draft07.reset,
            };
        }
        Self::default()
    }
}

/// The quota of the `RateLimit-Policy` member named `name` (the one the
/// `RateLimit` member refers to), else of the first member. Draft 07 wrote
/// the quota as the bare Integer (`100;w=60`), later drafts as `q`.
fn policy_quota(value: &[u8], name: Option<&str>) -> Option<u64> {
    let mut members = Members::default();
    Parser::new(trim_ows(value))
        .parse_list_with_visitor(&mut members)
        .ok()?;
    let members = members.0;
    let named = name.and_then(|name| {
        members
            .iter()
            .find(|member| member.name.as_deref() == Some(name))
    });
    let member = named.or(members.first())?;
    member.quota.or(member.value)
}

/// The members of a structured `RateLimit` or `RateLimit-Policy` List, in
/// order, with the parameters either field uses.
#[derive(Default)]
struct Members(Vec<Member>);

#[derive(Default)]
struct Member {
    /// The policy name (a String, or a Token from lenient servers).
    name: Option<String>,
    /// The bare Integer, the draft-07 way of writing a policy's quota.
    value: Option<u64>,
    /// `r`.
    remaining: Option<u64>,
    /// `t`, in seconds.
    reset: Option<u64>,
    /// `q`.
    quota: Option<u64>,
}

impl<'de> ListVisitor<'de> for Members {
    type Error = Infallible;

    fn entry(&mut self) -> Result<impl EntryVisitor<'de>, Self::Error> {
        Ok(NextMember(&mut self.0))
    }
}

/// Appends the member being parsed, so that "the first member" stays the
/// first even when it is one we cannot use.
struct NextMember<'a>(&'a mut Vec<Member>);

impl<'de> ItemVisitor<'de> for NextMember<'_> {
    type Error = Infallible;

    fn bare_item(
        self,
        bare_item: BareItemFromInput<'de>,
    ) -> Result<impl ParameterVisitor<'de>, Self::Error> {
        let name = match &bare_item {
            BareItemFromInput::String(name) => Some(name.as_str().to_owned()),
            BareItemFromInput::Token(name) => Some(name.as_str().to_owned()),
            _ => None,
        };
        self.0.push(Member {
            name,
            value: count(&bare_item),
            ..Member::default()
        });
        Ok(self.0.last_mut())
    }
}

impl<'de> EntryVisitor<'de> for NextMember<'_> {
    fn inner_list(self) -> Result<impl InnerListVisitor<'de>, Self::Error> {
        self.0.push(Member::default());
        Ok(Ignored)
    }
}

impl<'de> ParameterVisitor<'de> for &mut Member {
    type Error = Infallible;

    fn parameter(
        &mut self,
        key: &'de KeyRef,
        value: BareItemFromInput<'de>,
    ) -> Result<(), Self::Error> {
        let slot = match key.as_str() {
            "r" => &mut self.remaining,
            "t" => &mut self.reset,
            "q" => &mut self.quota,
            _ => return Ok(()),
        };
        // Overwriting, so a repeated key's last value wins as RFC 9651 says.
        *slot = count(&value);
        Ok(())
    }
}

/// The draft-07 `RateLimit` Dictionary: `limit=100, remaining=50, reset=30`.
#[derive(Default)]
struct Draft07 {
    limit: Option<u64>,
    remaining: Option<u64>,
    reset: Option<u64>,
}

impl<'de> DictionaryVisitor<'de> for Draft07 {
    type Error = Infallible;

    fn entry(&mut self, key: &'de KeyRef) -> Result<impl EntryVisitor<'de>, Self::Error> {
        let slot = match key.as_str() {
            "limit" => &mut self.limit,
            "remaining" => &mut self.remaining,
            "reset" => &mut self.reset,
            _ => return Ok(None),
        };
        Ok(Some(Count(slot)))
    }
}

/// One dictionary value that must be a count; anything else clears it, so a
/// repeated key's last value wins even when it is unreadable.
struct Count<'a>(&'a mut Option<u64>);

impl<'de> ItemVisitor<'de> for Count<'_> {
    type Error = Infallible;

    fn bare_item(
        self,
        bare_item: BareItemFromInput<'de>,
    ) -> Result<impl ParameterVisitor<'de>, Self::Error> {
        *self.0 = count(&bare_item);
        Ok(Ignored)
    }
}

impl<'de> EntryVisitor<'de> for Count<'_> {
    fn inner_list(self) -> Result<impl InnerListVisitor<'de>, Self::Error> {
        *self.0 = None;
        Ok(Ignored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;
    use std::time::UNIX_EPOCH;

    /// Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    fn secs(seconds: u64) -> Option<Duration> {
        Some(Duration::from_secs(seconds))
    }

    /// Header lines as a response would carry them, in order.
    type Lines<'a> = &'a [(&'a str, &'a [u8])];

    fn header_map(pairs: Lines<'_>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("test header name");
            let value = HeaderValue::from_bytes(value).expect("test header value");
            headers.append(name, value);
        }
        headers
    }

    fn names(names: &[&str]) -> Vec<HeaderName> {
        names
            .iter()
            .map(|name| HeaderName::from_bytes(name.as_bytes()).expect("test header name"))
            .collect()
    }

    fn limits(limit: Option<u64>, remaining: Option<u64>, reset: Option<u64>) -> RateLimit {
        RateLimit {
            limit,
            remaining,
            reset: reset.map(|n| Duration::from_secs(n).min(SATURATED_WAIT)),
        }
    }

    #[test]
    fn delay_seconds_table() {
        let cases: &[(&[u8], Option<Duration>)] = &[
            (b"0", secs(0)),
            (b"5", secs(5)),
            (b"120", secs(120)),
            (b"007", secs(7)),
            (b"0000000000000000000000000000042", secs(42)),
            (b" 30", secs(30)),
            (b"30\t", secs(30)),
            (b" \t 30 \t ", secs(30)),
            (b"4294967295", Some(SATURATED_WAIT)),
            (b"4294967296", Some(SATURATED_WAIT)),
            (b"18446744073709551615", Some(SATURATED_WAIT)),
            (b"18446744073709551616", Some(SATURATED_WAIT)),
            (b"123456789012345678901234567890", Some(SATURATED_WAIT)),
            (b"+5", None),
            (b"-5", None),
            (b"-0", None),
            (b"1.5", None),
            (b"1e3", None),
            (b"0x10", None),
            (b"1 0", None),
            (b"1\t0", None),
            (b" ", None),
            (b"\t", None),
            (b"", None),
            (b"abc", None),
            (b"5s", None),
            (b"5,", None),
            (b"\x0b5", None),
            (b"5\r\n", None),
            ("\u{ff15}".as_bytes(), None),  // fullwidth 5
            ("\u{0665}".as_bytes(), None),  // Arabic-Indic 5
            ("1\u{00a0}".as_bytes(), None), // no-break space is not OWS
            (b"\x80", None),
            (b"\xff", None),
            (b"5\xff", None),
        ];
        for &(input, expected) in cases {
            assert_eq!(
                parse_delay_seconds(input),
                expected,
                "input {:?}",
                String::from_utf8_lossy(input),
            );
        }
    }

    #[test]
    fn retry_after_table() {
        let cases: &[(&[u8], Option<Duration>)] = &[
            // delay-seconds wins before any date reading
            (b"120", secs(120)),
            (b" 0 ", secs(0)),
            (b"-1", None),
            // the three date forms, in the future of `now`
            (b"Sun, 06 Nov 1994 08:50:37 GMT", secs(60)),
            (b"Sunday, 06-Nov-94 08:51:37 GMT", secs(120)),
            (b"Sun Nov  6 08:52:37 1994", secs(180)),
            (b"Mon, 07 Nov 1994 08:49:37 GMT", secs(86_400)),
            (b" \tSun, 06 Nov 1994 08:50:37 GMT\t ", secs(60)),
            // ... at `now` and in its past
            (b"Sun, 06 Nov 1994 08:49:37 GMT", Some(Duration::ZERO)),
            (b"Sat, 05 Nov 1994 08:49:37 GMT", Some(Duration::ZERO)),
            (b"Saturday, 05-Nov-94 08:49:37 GMT", Some(Duration::ZERO)),
            (b"Sat Nov  5 08:49:37 1994", Some(Duration::ZERO)),
            (b"Thu, 01 Jan 1970 00:00:00 GMT", Some(Duration::ZERO)),
            // RFC 850's two-digit year: httpdate reads 00-69 as 20xx
            (b"Tuesday, 01-Jan-69 00:00:00 GMT", secs(2_340_112_223)),
            // invalid dates
            (b"Sun, 32 Nov 1994 08:49:37 GMT", None),
            (b"Sun, 06 Nov 1994 24:49:37 GMT", None),
            (b"Mon, 06 Nov 1994 08:49:37 GMT", None), // wrong weekday
            (b"sun, 06 nov 1994 08:49:37 gmt", None),
            (b"Sun, 06 Nov 1994 08:49:37 UTC", None),
            (b"Sun, 06 Nov 1994 08:49:37 GMT x", None),
            (b"Sun, 06 Nov 1969 08:49:37 GMT", None),
            (b"Sun, 6 Nov 1994 08:49:37 GMT", None),
            (b"1994-11-06T08:50:37Z", None),
            (b"\x0cSun, 06 Nov 1994 08:50:37 GMT", None),
            (b"Sun, 06 Nov 1994 08:50:37 GMT\n", None),
            (b"Sun, 06 Nov 1994 08:50:37 GMT\xff", None),
            (b"", None),
            (b"soon", None),
        ];
        for &(input, expected) in cases {
            assert_eq!(
                parse_retry_after(input, now()),
                expected,
                "input {:?}",
                String::from_utf8_lossy(input),
            );
        }
    }

    #[test]
    fn retry_after_at_table() {
        type Case<'a> = (Lines<'a>, &'a [&'a str], Option<Duration>);
        let cases: &[Case<'_>] = &[
            (&[("Retry-After", b"120")], &["retry-after"], secs(120)),
            (&[], &["retry-after"], None),
            (&[("Retry-After", b"120")], &[], None),
            // tried in order: the first present one wins ...
            (
                &[("Ratelimit-Reset", b"200"), ("Retry-After", b"5")],
                &["ratelimit-reset", "retry-after"],
                secs(200),
            ),
            (
                &[("Ratelimit-Reset", b"200"), ("Retry-After", b"5")],
                &["retry-after", "ratelimit-reset"],
                secs(5),
            ),
            // ... an absent or unreadable one passes the turn
            (
                &[("Retry-After", b"5")],
                &["ratelimit-reset", "retry-after"],
                secs(5),
            ),
            (
                &[("Ratelimit-Reset", b"soon"), ("Retry-After", b"5")],
                &["ratelimit-reset", "retry-after"],
                secs(5),
            ),
            // only the first value of a header is read
            (
                &[("Retry-After", b"soon"), ("Retry-After", b"5")],
                &["retry-after"],
                None,
            ),
            // names are case-insensitive; a name other than Retry-After is
            // a reset: no HTTP-date, but a Unix time from 10^9 on, measured
            // from `now`
            (
                &[("x-ratelimit-reset", b"Sun, 06 Nov 1994 08:50:37 GMT")],
                &["X-RateLimit-Reset"],
                None,
            ),
            (
                &[("x-ratelimit-reset", b"1000000000")],
                &["X-RateLimit-Reset"],
                secs(1_000_000_000 - 784_111_777),
            ),
            (
                &[("ratelimit-reset", b" 30 ")],
                &["ratelimit-reset"],
                secs(30),
            ),
            (
                &[("Retry-After", b"Sun, 06 Nov 1994 08:50:37 GMT")],
                &["retry-after"],
                secs(60),
            ),
            // the structured field gives its reset, not a delay-seconds reading
            (
                &[("RateLimit", br#""default";r=0;t=42"#)],
                &["RateLimit"],
                secs(42),
            ),
            (
                &[("RateLimit", b"limit=10, remaining=0, reset=7")],
                &["ratelimit"],
                secs(7),
            ),
            (&[("RateLimit", b"30")], &["ratelimit"], None),
            (
                &[("RateLimit", br#""default";r=0"#), ("Retry-After", b"9")],
                &["ratelimit", "retry-after"],
                secs(9),
            ),
        ];
        for &(pairs, tried, expected) in cases {
            let headers = header_map(pairs);
            assert_eq!(
                retry_after_at(&headers, &names(tried), now()),
                expected,
                "headers {pairs:?}, names {tried:?}",
            );
        }
    }

    #[test]
    fn rate_limit_table() {
        type Case<'a> = (Lines<'a>, Option<RateLimit>);
        let cases: &[Case<'_>] = &[
            (&[], None),
            (&[("Retry-After", b"5"), ("X-Request-Id", b"abc")], None),
            // the separate headers, as On-Demand documents them
            (
                &[
                    ("Ratelimit-Limit", b"150"),
                    ("Ratelimit-Remaining", b"100"),
                    ("Ratelimit-Reset", b"200"),
                ],
                Some(limits(Some(150), Some(100), Some(200))),
            ),
            (
                &[
                    ("RATELIMIT-LIMIT", b"150"),
                    ("rAtElImIt-ReMaInInG", b" 0 "),
                    ("ratelimit-reset", b"007"),
                ],
                Some(limits(Some(150), Some(0), Some(7))),
            ),
            (
                &[("RateLimit-Remaining", b"3")],
                Some(limits(None, Some(3), None)),
            ),
            // a list in a separate header: its leading number
            (
                &[("RateLimit-Limit", b"100, 100;w=60, 1000;w=3600")],
                Some(limits(Some(100), None, None)),
            ),
            (
                &[("RateLimit-Limit", b"100;w=60")],
                Some(limits(Some(100), None, None)),
            ),
            (
                &[("RateLimit-Limit", b"99999999999999999999999")],
                Some(limits(Some(u64::MAX), None, None)),
            ),
            // present but unreadable: the field is unknown, not zero
            (
                &[
                    ("RateLimit-Limit", b"-1"),
                    ("RateLimit-Remaining", b"abc"),
                    ("RateLimit-Reset", b"1.5"),
                ],
                Some(limits(None, None, None)),
            ),
            // the X- fallback, and precedence over it
            (
                &[
                    ("X-RateLimit-Limit", b"60"),
                    ("X-RateLimit-Remaining", b"59"),
                    ("X-RateLimit-Reset", b"3600"),
                ],
                Some(limits(Some(60), Some(59), Some(3600))),
            ),
            (
                &[
                    ("RateLimit-Remaining", b"5"),
                    ("X-RateLimit-Remaining", b"7"),
                    ("X-RateLimit-Limit", b"60"),
                ],
                Some(limits(Some(60), Some(5), None)),
            ),
            (
                &[
                    ("RateLimit-Remaining", b"-1"),
                    ("X-RateLimit-Remaining", b"7"),
                ],
                Some(limits(None, Some(7), None)),
            ),
            // the structured fields, draft 08 onward
            (
                &[
                    ("RateLimit", br#""default";r=50;t=30"#),
                    ("RateLimit-Policy", br#""default";q=100;w=60"#),
                ],
                Some(limits(Some(100), Some(50), Some(30))),
            ),
            (
                &[("RateLimit", br#""default";r=50;t=30"#)],
                Some(limits(None, Some(50), Some(30))),
            ),
            (
                &[("RateLimit-Policy", br#""default";q=100;w=60"#)],
                Some(limits(Some(100), None, None)),
            ),
            (
                &[("RateLimit", b"default;r=50;t=30")],
                Some(limits(None, Some(50), Some(30))),
            ),
            (
                &[("RateLimit", br#""a";r=1;t=2, "b";r=3;t=4"#)],
                Some(limits(None, Some(1), Some(2))),
            ),
            (
                &[("RateLimit", br#""d";r=5;r=6;t=1"#)],
                Some(limits(None, Some(6), Some(1))),
            ),
            (
                &[
                    ("RateLimit", br#""hour";r=5;t=60"#),
                    (
                        "RateLimit-Policy",
                        br#""minute";q=10;w=60, "hour";q=100;w=3600"#,
                    ),
                ],
                Some(limits(Some(100), Some(5), Some(60))),
            ),
            (
                &[
                    ("RateLimit", br#""day";r=5;t=60"#),
                    ("RateLimit-Policy", br#""minute";q=10;w=60, "hour";q=100"#),
                ],
                Some(limits(Some(10), Some(5), Some(60))),
            ),
            (
                &[("RateLimit", br#""d";r=-1;t=1.5"#)],
                Some(limits(None, None, None)),
            ),
            (
                &[("RateLimit", br#"("a" "b");r=1, "c";r=2"#)],
                Some(limits(None, None, None)),
            ),
            // draft 07: a Dictionary, and an Integer policy
            (
                &[("RateLimit", b"limit=100, remaining=50, reset=30")],
                Some(limits(Some(100), Some(50), Some(30))),
            ),
            (
                &[("RateLimit", b"remaining=-3, reset=(1 2), limit")],
                Some(limits(None, None, None)),
            ),
            (
                &[("RateLimit-Policy", b"100;w=60, 1000;w=3600")],
                Some(limits(Some(100), None, None)),
            ),
            // structured first, field by field; a broken one falls through
            (
                &[
                    ("RateLimit", br#""default";r=0;t=10"#),
                    ("RateLimit-Remaining", b"9"),
                    ("RateLimit-Reset", b"99"),
                    ("RateLimit-Limit", b"100"),
                ],
                Some(limits(Some(100), Some(0), Some(10))),
            ),
            (
                &[
                    ("RateLimit", br#""default;r=0;t=10"#),
                    ("RateLimit-Remaining", b"9"),
                ],
                Some(limits(None, Some(9), None)),
            ),
            (
                &[("RateLimit", b"limit=100, remaining=50, reset=30 garbage")],
                Some(limits(None, None, None)),
            ),
        ];
        for &(pairs, expected) in cases {
            let headers = header_map(pairs);
            assert_eq!(rate_limit(&headers), expected, "headers {pairs:?}");
        }
    }

    #[test]
    fn request_id_table() {
        let name = HeaderName::from_static("x-request-id");
        let cases: &[(Lines<'_>, Option<&str>)] = &[
            (&[("X-Request-Id", b"7f3a-22")], Some("7f3a-22")),
            (&[("x-request-id", b" \t7f3a-22\t ")], Some("7f3a-22")),
            (&[("X-Request-Id", b"a b")], Some("a b")),
            (&[("X-Request-Id", b"")], None),
            (&[("X-Request-Id", b" \t ")], None),
            (&[("X-Request-Id", "caf\u{e9}".as_bytes())], None),
            (&[("X-Request-Id", b"id\xff")], None),
            (
                &[("X-Request-Id", b"first"), ("X-Request-Id", b"second")],
                Some("first"),
            ),
            (&[("X-Correlation-Id", b"other")], None),
            (&[], None),
        ];
        for &(pairs, expected) in cases {
            let headers = header_map(pairs);
            assert_eq!(request_id(&headers, &name), expected, "headers {pairs:?}");
        }
    }

    #[test]
    fn rate_limit_new_and_exhaustion() {
        let announced = RateLimit::new(1, 0, Duration::from_secs(2));
        assert_eq!(announced, limits(Some(1), Some(0), Some(2)));
        assert!(announced.is_exhausted());
        assert!(!limits(Some(1), None, Some(2)).is_exhausted());
    }

    /// Bytes that make parsers take their interesting branches far more
    /// often than uniform bytes do.
    fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
        let alphabet = b" \t0123456789+-.e,;=\"()r:tq?*limt\x80\xff".to_vec();
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..48),
            proptest::collection::vec(proptest::sample::select(alphabet), 0..48),
        ]
    }

    proptest! {
        #[test]
        fn delay_seconds_is_exactly_ows_digits(value in header_bytes()) {
            let trimmed = trim_ows(&value);
            let digits = !trimmed.is_empty() && trimmed.iter().all(u8::is_ascii_digit);
            let parsed = parse_delay_seconds(&value);
            prop_assert_eq!(parsed.is_some(), digits);
            if digits {
                let text = core::str::from_utf8(trimmed).expect("ASCII digits");
                let expected = text
                    .parse::<u64>()
                    .map_or(SATURATED_WAIT, |n| Duration::from_secs(n).min(SATURATED_WAIT));
                prop_assert_eq!(parsed, Some(expected));
            }
        }

        #[test]
        fn delay_seconds_reads_any_u64_back(
            number in any::<u64>(),
            zeros in 0_usize..4,
            before in "[ \t]{0,3}",
            after in "[ \t]{0,3}",
        ) {
            let value = format!("{before}{}{number}{after}", "0".repeat(zeros));
            let expected = Duration::from_secs(number).min(SATURATED_WAIT);
            prop_assert_eq!(parse_delay_seconds(value.as_bytes()), Some(expected));
            prop_assert_eq!(parse_retry_after(value.as_bytes(), now()), Some(expected));
            // Whatever a server sends, adding the wait to a clock reading is safe.
            prop_assert!(std::time::Instant::now().checked_add(expected).is_some());
        }

        #[test]
        fn retry_after_reads_any_date_back(date in 0_u64..253_402_300_800, now in 0_u64..253_402_300_800) {
            let date = UNIX_EPOCH + Duration::from_secs(date);
            let now = UNIX_EPOCH + Duration::from_secs(now);
            let expected = date.duration_since(now).unwrap_or(Duration::ZERO).min(SATURATED_WAIT);
            let value = httpdate::fmt_http_date(date);
            prop_assert_eq!(parse_retry_after(value.as_bytes(), now), Some(expected));
        }

        #[test]
        fn structured_ratelimit_reads_back(
            remaining in -999_999_999_999_999_i64..=999_999_999_999_999,
            reset in -999_999_999_999_999_i64..=999_999_999_999_999,
            quota in -999_999_999_999_999_i64..=999_999_999_999_999,
        ) {
            let headers = header_map(&[
                ("RateLimit", format!(r#""p";r={remaining};t={reset}"#).as_bytes()),
                ("RateLimit-Policy", format!(r#""p";q={quota};w=60"#).as_bytes()),
            ]);
            let expected = limits(
                u64::try_from(quota).ok(),
                u64::try_from(remaining).ok(),
                u64::try_from(reset).ok(),
            );
            prop_assert_eq!(rate_limit(&headers), Some(expected));
        }

        #[test]
        fn every_parser_is_total_on_header_values(value in header_bytes()) {
            let Ok(header) = HeaderValue::from_bytes(&value) else {
                return Ok(());
            };
            let retry = parse_retry_after(&value, now());
            if let Some(delay) = parse_delay_seconds(&value) {
                prop_assert_eq!(retry, Some(delay));
            }

            let mut headers = HeaderMap::new();
            for name in RATE_LIMIT_HEADERS.iter().chain(&["retry-after", "x-request-id"]) {
                headers.insert(*name, header.clone());
            }
            let tried = names(&["retry-after", "ratelimit"]);
            let hint = retry_after_at(&headers, &tried, now());
            prop_assert!(retry.is_none() || hint == retry);
            let _ = retry_after_at(&headers, &tried[1..], now());
            prop_assert!(rate_limit(&headers).is_some());

            let id_name = HeaderName::from_static("x-request-id");
            if let Some(id) = request_id(&headers, &id_name) {
                prop_assert!(!id.is_empty());
                prop_assert!(!id.starts_with([' ', '\t']) && !id.ends_with([' ', '\t']));
                prop_assert!(value.windows(id.len()).any(|window| window == id.as_bytes()));
            }
        }
    }
}
