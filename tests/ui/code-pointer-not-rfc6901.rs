use apifault::ApiError;

#[derive(ApiError)]
#[api(code = ["error.code", "/error/~2", "/ok"])]
enum E {
    #[api(status = 400, when(code = "x"), retry = "never")]
    X,
}

#[derive(ApiError)]
#[api(code = [])]
enum NoPointer {
    #[api(status = 400)]
    X,
}

fn main() {}
