use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

#[apifault::retry(base = "2 secs", max_delay = "-1s", max_elapsed = "1.5s", max_server_wait = 30)]
fn get() -> Result<(), E> {
    Err(E::Unavailable)
}

fn main() {
    let _ = get();
}
