use apifault::ApiError;

// The enum does not say where the body keeps its error code.
#[derive(ApiError)]
enum E {
    #[api(status = 400, when(code = "ThrottlingException"), retry = "backoff")]
    Throttled,
}

fn main() {}
