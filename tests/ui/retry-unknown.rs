use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 500, retry = "sometimes")]
    Server,
    #[api(status = 502, retry = backoff)]
    Gateway,
}

fn main() {}
