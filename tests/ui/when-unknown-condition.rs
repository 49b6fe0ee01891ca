use apifault::ApiError;

#[derive(ApiError)]
#[api(code = "/code")]
enum E {
    #[api(status = 400, when(hedaer = "X-Mode"), retry = "backoff")]
    Misspelt,
    #[api(status = 403, when(status = 403), retry = "never")]
    NotACondition,
}

fn main() {}
