use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status)]
    NotFound,
}

fn main() {}
