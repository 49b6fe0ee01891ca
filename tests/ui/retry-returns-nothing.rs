use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

#[apifault::retry]
fn fire_and_forget() {}

fn main() {
    fire_and_forget();
    let _ = E::Unavailable;
}
