use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 503, transport)]
    Down,
    #[api(other, status = 418)]
    Teapot,
}

fn main() {}
