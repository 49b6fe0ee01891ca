use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 599..=500)]
    Server,
}

fn main() {}
