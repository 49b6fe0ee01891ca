use apifault::ApiError;

#[derive(ApiError)]
#[api]
enum E {
    #[api = "404"]
    NotFound,
}

fn main() {}
