use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 500..600)]
    Server,
}

fn main() {}
