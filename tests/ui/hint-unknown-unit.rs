use apifault::ApiError;

#[derive(ApiError)]
#[api(retry_after = [seconds("Retry-After"), millis("retry-after-ms")])]
enum E {
    #[api(status = 429)]
    RateLimited,
}

#[derive(ApiError)]
enum F {
    #[api(status = 429, retry_after = [ms("a", "b")])]
    TwoNames,
    #[api(status = 503, retry_after = [ms(retry_after_ms)])]
    NotAString,
}

fn main() {}
