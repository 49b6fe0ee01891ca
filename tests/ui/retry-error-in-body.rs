use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

/// Errors inside the body keep their own spans.
#[apifault::retry(max_retries = 2)]
async fn get(id: u64) -> Result<String, E> {
    let label: u32 = "not a number";
    if id == 0 {
        return Err(E::Unavailable);
    }
    Ok(format!("{label}"))
}

fn main() {
    let _ = get(1);
}
