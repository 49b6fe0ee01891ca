use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

trait Api {
    #[apifault::retry(max_retries = 1)]
    fn get(&self) -> Result<(), E>;
}

fn main() {
    let _ = E::Unavailable;
}
