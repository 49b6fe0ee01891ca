use apifault::{ApiError, FromResponse, ResponseParts};

#[derive(ApiError)]
enum E {
    #[api(status = 404)]
    NotFound,
}

/// What HTTP glue does with an error type: decode any response into it.
fn decode<T: FromResponse>(parts: ResponseParts<'_>) -> T {
    T::from_response(parts)
}

fn main() {
    let headers = http::HeaderMap::new();
    let _: E = decode(ResponseParts::new(http::StatusCode::NOT_FOUND, &headers, b""));
}
