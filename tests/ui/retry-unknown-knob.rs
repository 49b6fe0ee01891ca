use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

#[apifault::retry(max_retry = 3, backof = "2s")]
fn get() -> Result<(), E> {
    Err(E::Unavailable)
}

fn main() {
    let _ = get();
}
