//! Every form of the vendor-dialect grammar, in enums that compile.
use apifault::{ApiError, RateLimit, ResponseParts};
use std::time::Duration;

fn global_wait(_: &ResponseParts<'_>) -> Option<Duration> {
    None
}

#[derive(Debug, ApiError)]
#[api(
    retry_after = [ms("retry-after-ms"), secs("/retry_after"), unix("X-Reset"), timestamp("X-At"),
                   duration("/error/details/*/retryDelay"), "Retry-After"],
    rate_limit(limit = "x-ratelimit-limit-requests", remaining = "x-ratelimit-remaining-requests",
               reset = duration("x-ratelimit-reset-requests"), used = "X-Shopify-Shop-Api-Call-Limit"),
    error_2xx(body = "/ok: false"),
    code = ["/error", "/errors/*/code"],
)]
pub enum E {
    #[api(status = 200, when(code = "ratelimited"), retry = "after")]
    InsideA200 { #[api(retry_after)] wait: Option<Duration> },
    #[api(status = 429, when(body = "/error/type: insufficient_quota"), retry = "never")]
    Quota,
    #[api(status = 429, when(body = "/global"), retry = "after", retry_after = global_wait)]
    Global { #[api(retry_after)] wait: Option<Duration> },
    #[api(status = 429)]
    RateLimited { #[api(retry_after)] wait: Option<Duration>, #[api(rate_limit)] limits: Option<RateLimit> },
    #[api(status = 200..=299)]
    Failed { #[api(status)] status: http::StatusCode, #[api(body)] body: String },
    #[api(other)]
    Other { #[api(status)] status: http::StatusCode },
}

struct Client {
    idempotent: bool,
}

impl Client {
    #[apifault::retry(idempotent = self.idempotent && true)]
    async fn call(&self) -> Result<(), E> {
        Ok(())
    }
}

fn main() {
    let _ = Client { idempotent: true }.call();
}
