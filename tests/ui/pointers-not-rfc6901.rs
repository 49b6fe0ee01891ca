use apifault::ApiError;

#[derive(ApiError)]
#[api(retry_after = secs("/error/~2"))]
enum E {
    #[api(status = 429, when(body = "error.type: insufficient_quota"), retry = "never")]
    Quota,
    #[api(status = 400, when(body = "/error/type:"), retry = "never")]
    NothingAfterTheColon,
    #[api(status = 401, when(body = ""), retry = "never")]
    NoPointer,
}

fn main() {}
