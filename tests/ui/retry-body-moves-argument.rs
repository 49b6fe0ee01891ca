use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

#[apifault::retry(max_retries = 2)]
async fn upload(payload: Vec<u8>) -> Result<usize, E> {
    let owned: Vec<u8> = payload;
    Ok(owned.len())
}

fn main() {
    let _ = upload(vec![1, 2, 3]);
}
