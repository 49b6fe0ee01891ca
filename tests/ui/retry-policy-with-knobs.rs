use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

#[apifault::retry(policy = apifault::RetryPolicy::default(), max_retries = 4, base = "1s", idempotent = false)]
fn get() -> Result<(), E> {
    Err(E::Unavailable)
}

fn main() {
    let _ = get();
}
