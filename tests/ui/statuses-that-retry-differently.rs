use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 500..=599)]
    Server,
    #[api(status = [404, 429])]
    Mixed,
    #[api(other)]
    Other,
}

fn main() {}
