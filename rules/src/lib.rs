//! The rule tables of [apifault](https://docs.rs/apifault), in one place
//! for both its procedural macros (which classify variants at compile time)
//! and its runtime (which classifies responses as they come): what a status
//! means for retrying and for resending, the words of `retry = "…"` and
//! `jitter = "…"`, the standard header names, and how a wait is rounded to
//! whole seconds. Depend on `apifault`, not on this crate.

#![no_std]

/// What a client should do about a failed call; `apifault::Retry` is this
/// rule, as the runtime's public type.
///
/// ```
/// use apifault_rules::RetryRule;
///
/// assert_eq!(RetryRule::from_name("after"), Some(RetryRule::After));
/// assert_eq!(RetryRule::After.name(), "after");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetryRule {
    /// Sending the same request again cannot succeed.
    Never,
    /// Try again after the policy's backoff delay.
    Backoff,
    /// Try again after the delay the server asked for.
    After,
}

impl RetryRule {
    /// Every rule, in the order the docs list them.
    pub const ALL: [RetryRule; 3] = [RetryRule::Never, RetryRule::Backoff, RetryRule::After];

    /// The words, quoted, for error messages.
    pub const NAMES: &'static str = "\"never\", \"backoff\" or \"after\"";

    /// The word of `retry = "…"` and of logs.
    ///
    /// ```
    /// assert_eq!(apifault_rules::RetryRule::Backoff.name(), "backoff");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            RetryRule::Never => "never",
            RetryRule::Backoff => "backoff",
            RetryRule::After => "after",
        }
    }

    /// The rule a word names.
    ///
    /// ```
    /// assert_eq!(apifault_rules::RetryRule::from_name("later"), None);
    /// ```
    #[must_use]
    pub fn from_name(name: &str) -> Option<RetryRule> {
        RetryRule::ALL.into_iter().find(|rule| rule.name() == name)
    }
}

/// The default rule of a status code, for every variant that does not say
/// `retry = "…"`: 408 backs off, 429 waits for the server, 5xx back off
/// except 501 and 505 (the server will never support the request), and
/// everything else is never retried.
///
/// ```
/// use apifault_rules::{RetryRule, retry_for_status};
///
/// assert_eq!(retry_for_status(429), RetryRule::After);
/// assert_eq!(retry_for_status(503), RetryRule::Backoff);
/// assert_eq!(retry_for_status(501), RetryRule::Never);
/// assert_eq!(retry_for_status(404), RetryRule::Never);
/// ```
#[must_use]
pub const fn retry_for_status(code: u16) -> RetryRule {
    match code {
        408 => RetryRule::Backoff,
        429 => RetryRule::After,
        501 | 505 => RetryRule::Never,
        500..=599 => RetryRule::Backoff,
        _ => RetryRule::Never,
    }
}

/// Whether a response with this status surely changed nothing on a server
/// that promises nothing more: 429 and 503 reject a request before
/// processing it.
///
/// ```
/// assert!(apifault_rules::safe_to_resend_status(429));
/// assert!(!apifault_rules::safe_to_resend_status(500));
/// ```
#[must_use]
pub const fn safe_to_resend_status(code: u16) -> bool {
    matches!(code, 429 | 503)
}

/// The words of `jitter = "…"`, in the order of `apifault::Jitter`'s
/// variants.
///
/// ```
/// assert_eq!(apifault_rules::JITTERS[1], "full");
/// ```
pub const JITTERS: [&str; 4] = ["none", "full", "equal", "decorrelated"];

/// The jitter words, quoted, for error messages.
pub const JITTER_NAMES: &str = "\"none\", \"full\", \"equal\" or \"decorrelated\"";

/// Standard header names, lowercase as `http::HeaderName::from_static`
/// wants them.
pub mod header {
    /// RFC 9110's wait.
    pub const RETRY_AFTER: &str = "retry-after";
    /// The default request id header.
    pub const X_REQUEST_ID: &str = "x-request-id";
    /// The default header of the server's own retry decision.
    pub const X_SHOULD_RETRY: &str = "x-should-retry";
    /// The IETF structured rate-limit field.
    pub const RATELIMIT: &str = "ratelimit";
    /// The IETF structured policy field.
    pub const RATELIMIT_POLICY: &str = "ratelimit-policy";
    /// The separate rate-limit headers.
    pub const RATELIMIT_LIMIT: &str = "ratelimit-limit";
    /// Requests left in the window.
    pub const RATELIMIT_REMAINING: &str = "ratelimit-remaining";
    /// Seconds until the window resets.
    pub const RATELIMIT_RESET: &str = "ratelimit-reset";
    /// The `X-` cousins of the separate headers.
    pub const X_RATELIMIT_LIMIT: &str = "x-ratelimit-limit";
    /// Requests left in the window.
    pub const X_RATELIMIT_REMAINING: &str = "x-ratelimit-remaining";
    /// Seconds until the reset, or its Unix time (GitHub).
    pub const X_RATELIMIT_RESET: &str = "x-ratelimit-reset";
}

/// A wait as whole seconds for a header, rounded up: a server's client that
/// waits the rounded value never comes back early.
///
/// ```
/// assert_eq!(apifault_rules::whole_seconds_up(1, 1), 2);
/// assert_eq!(apifault_rules::whole_seconds_up(1, 0), 1);
/// assert_eq!(apifault_rules::whole_seconds_up(u64::MAX, 5), u64::MAX);
/// ```
#[must_use]
pub const fn whole_seconds_up(secs: u64, subsec_nanos: u32) -> u64 {
    if subsec_nanos > 0 {
        secs.saturating_add(1)
    } else {
        secs
    }
}
