use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 429, retry_after = "X RateLimit Reset")]
    BadName,
    #[api(status = 503, retry_after)]
    NoName,
    #[api(status = 502, retry_after = [])]
    Empty,
}

fn main() {}
