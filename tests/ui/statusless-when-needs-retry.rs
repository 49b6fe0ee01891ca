use apifault::ApiError;

// Without a status, the variant may hold any error status.
#[derive(ApiError)]
#[api(code = "/code")]
enum E {
    #[api(when(code = "rate_limit"))]
    Throttled,
}

fn main() {}
