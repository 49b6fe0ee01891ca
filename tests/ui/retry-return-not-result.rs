use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

#[apifault::retry(max_retries = 2)]
fn count() -> u32 {
    3
}

fn main() {
    let _ = count();
    let _ = E::Unavailable;
}
