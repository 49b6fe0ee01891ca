use apifault::ApiError;

#[derive(ApiError)]
enum E {
    // A 403 never retries by itself: the wait would never be waited.
    #[api(status = 403, default_wait = "60s")]
    Forbidden,
    #[api(status = 429, retry = "never", default_wait = "60s")]
    QuotaGone,
    // A 429 retries, so this one is fine.
    #[api(status = 429..=429, default_wait = "60s")]
    RateLimited,
}

fn main() {}
