use apifault::ApiError;

// A bare header name is read as seconds; these hold milliseconds.
#[derive(ApiError)]
#[api(retry_after = ["retry-after-ms", "Retry-After"])]
enum E {
    #[api(status = 429, retry_after = "X-Ms-Retry-After-Ms")]
    RateLimited,
    // A wait in the body says its unit.
    #[api(status = 503, retry = "after", retry_after = "/retry_after")]
    Unavailable,
}

fn main() {}
