use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 503, retry = "sometimes")]
    Server,
    #[api(status = 502, retry = backoff)]
    Gateway,
    #[api(status = 500..=599, retry = "nevr")]
    Typo,
}

fn main() {}
