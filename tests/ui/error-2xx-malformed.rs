use apifault::ApiError;

#[derive(ApiError)]
#[api(error_2xx(body = "ok: false"))]
enum NotAPointer {
    #[api(status = 200)]
    Failed,
}

#[derive(ApiError)]
#[api(error_2xx)]
enum Bare {
    #[api(status = 200)]
    Failed,
}

#[derive(ApiError)]
#[api(error_2xx(status = 200))]
enum WrongKey {
    #[api(status = 200)]
    Failed,
}

fn main() {}
