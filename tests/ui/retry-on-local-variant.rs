use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(retry = "backoff")]
    Local,
}

fn main() {}
