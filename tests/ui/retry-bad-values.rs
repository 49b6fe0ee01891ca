use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

#[apifault::retry(jitter = "random", factor = 0.5, idempotent = "no", max_retries = -1)]
fn get() -> Result<(), E> {
    Err(E::Unavailable)
}

fn main() {
    let _ = get();
}
