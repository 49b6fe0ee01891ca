use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 200)]
    Ok,
    #[api(status = 204..=404)]
    Spans2xx,
}

fn main() {}
