//! Every form of the grammar of conditions, in one enum that compiles.
use apifault::{ApiError, ResponseParts};
use std::time::Duration;

fn is_graphql_throttle(parts: &ResponseParts<'_>) -> bool {
    parts.body.starts_with(b"{\"errors\"")
}

#[derive(Debug, ApiError)]
#[api(
    code = ["/error/code", "/__type"],
    should_retry = "Stripe-Should-Retry",
    retry_after = ["Retry-After", "Ratelimit-Reset"]
)]
pub enum E {
    #[api(status = [403, 429], when(header = "x-ratelimit-remaining: 0"), retry = "after",
          retry_after = "X-RateLimit-Reset")]
    Primary { #[api(retry_after)] wait: Option<Duration> },
    #[api(status = 403, when(header = "retry-after"), retry = "after")]
    Secondary { #[api(retry_after)] wait: Option<Duration> },
    #[api(status = 400, when(code = "lock_timeout", header = "X-Mode: slow"), retry = "backoff")]
    LockTimeout { #[api(should_retry)] should_retry: Option<bool> },
    #[api(when(code = ["rate_limit", "ThrottlingException"]), retry = "backoff", default_wait = "1s")]
    Throttled,
    #[api(status = 400, when = is_graphql_throttle, retry = "backoff")]
    GraphQl,
    #[api(status = 429, default_wait = "1m")]
    RateLimited { #[api(retry_after)] wait: Option<Duration> },
    #[api(status = 400..=499)]
    Invalid { #[api(status)] status: http::StatusCode, #[api(should_retry)] should_retry: Option<bool> },
    #[api(other)]
    Other { #[api(status)] status: http::StatusCode, #[api(should_retry)] should_retry: Option<bool> },
}

fn main() {
    let _ = E::Throttled.retry_after();
}
