use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 404)]
    NotFound,
    #[api(status = [410, 404])]
    Gone,
}

fn main() {}
