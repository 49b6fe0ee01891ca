use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

#[apifault::retry(max_retries = 1)]
const fn get() -> Result<(), E> {
    Err(E::Unavailable)
}

fn main() {
    let _ = get();
}
