use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 400, when(), retry = "backoff")]
    Empty,
    #[api(status = 401, when, retry = "never")]
    Bare,
    #[api(status = 402, when = "x-mode", retry = "never")]
    NotAPath,
}

fn main() {}
