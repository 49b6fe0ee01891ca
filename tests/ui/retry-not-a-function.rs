use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

#[apifault::retry(max_retries = 1)]
struct Client {
    base_url: String,
}

fn main() {
    let _ = E::Unavailable;
}
