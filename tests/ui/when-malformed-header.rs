use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 403, when(header = "X RateLimit Remaining: 0"), retry = "after")]
    SpaceInName,
    #[api(status = 429, when(header = "X-RateLimit-Remaining:"), retry = "after")]
    EmptyValue,
    #[api(status = 400, when(header = "X-Mode: slow\n"), retry = "backoff")]
    ControlInValue,
    #[api(status = 401, when(header = ""), retry = "never")]
    NoName,
}

fn main() {}
