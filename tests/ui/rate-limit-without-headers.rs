use apifault::ApiError;

#[derive(ApiError)]
#[api(rate_limit())]
enum NoHeader {
    #[api(status = 429)]
    RateLimited,
}

#[derive(ApiError)]
#[api(rate_limit(window = "X-Window", reset = secs("/reset")))]
enum WrongKeys {
    #[api(status = 429)]
    RateLimited,
}

#[derive(ApiError)]
#[api(rate_limit)]
enum Bare {
    #[api(status = 429)]
    RateLimited,
}



// A Throttle sees only headers: the reset cannot come from the body.
#[derive(ApiError)]
#[api(rate_limit(remaining = "X-Left", reset = secs("/reset")))]
enum ResetInBody {
    #[api(status = 429)]
    RateLimited,
}
fn main() {}
