use apifault::{ApiError, FromResponse, ResponseParts};

/// The derive bounds `B: DeserializeOwned` on the `FromResponse` impl; a
/// type argument without it is reported where the enum is used.
#[derive(ApiError)]
enum E<B> {
    #[api(status = 400)]
    Bad {
        #[api(body)]
        body: B,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
    },
}

struct Opaque;

fn main() {
    let headers = http::HeaderMap::new();
    let _ = E::<Opaque>::from_response(ResponseParts::new(http::StatusCode::BAD_REQUEST, &headers, b""));
}
