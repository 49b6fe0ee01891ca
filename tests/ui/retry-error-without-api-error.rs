#[derive(Debug)]
struct PlainError;

#[apifault::retry(max_retries = 2)]
async fn fetch() -> Result<u32, PlainError> {
    Err(PlainError)
}

fn main() {
    let _ = fetch();
}
