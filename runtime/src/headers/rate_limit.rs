//! The rate-limit state a response announces: [`RateLimit`], read from the
//! IETF structured `RateLimit`/`RateLimit-Policy` fields, the separate
//! `RateLimit-*` headers and their `X-RateLimit-*` cousins.

use core::time::Duration;
use std::convert::Infallible;
use std::time::SystemTime;

use http::HeaderMap;
use sfv::visitor::{
    DictionaryVisitor, EntryVisitor, Ignored, InnerListVisitor, ItemVisitor, ListVisitor,
    ParameterVisitor,
};
use sfv::{BareItemFromInput, KeyRef, Parser};

use super::numbers::{SATURATED_WAIT, leading_member, seconds, trim_ows, whole_number};

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
/// [`parse_delay_seconds`](super::parse_delay_seconds); of a list such as
/// `100, 100;w=60` the leading number counts. A present but unreadable
/// header makes its field `None` rather than a guess.
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
pub(super) fn x_reset(value: &[u8], now: SystemTime) -> Option<Duration> {
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

/// The IETF structured field, as `HeaderName` spells it (always lowercase).
use apifault_rules::header::{
    RATELIMIT, RATELIMIT_LIMIT, RATELIMIT_POLICY, RATELIMIT_REMAINING, RATELIMIT_RESET,
    X_RATELIMIT_LIMIT, X_RATELIMIT_REMAINING, X_RATELIMIT_RESET,
};

/// Any one of these makes [`rate_limit`] answer `Some`.
pub(super) const RATE_LIMIT_HEADERS: [&str; 8] = [
    RATELIMIT,
    RATELIMIT_POLICY,
    RATELIMIT_LIMIT,
    RATELIMIT_REMAINING,
    RATELIMIT_RESET,
    X_RATELIMIT_LIMIT,
    X_RATELIMIT_REMAINING,
    X_RATELIMIT_RESET,
];

/// A structured-field bare item as a count or seconds: only a non-negative
/// Integer qualifies (a Decimal `t=1.5` or a negative `r=-1` is a server bug,
/// not a value to round).
fn count(item: &BareItemFromInput<'_>) -> Option<u64> {
    match item {
        BareItemFromInput::Integer(integer) => u64::try_from(i64::from(*integer)).ok(),
        _ => None,
    }
}

/// The reset a structured `RateLimit` field announces, in seconds.
pub(super) fn structured_reset(value: &[u8]) -> Option<u64> {
    Announced::parse(value).reset
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
