use apifault::ApiError;

use http::StatusCode;

#[derive(ApiError)]
enum E {
    #[api(status = 400)]
    Bad {
        #[api(body)]
        text: String,
        #[api(body)]
        raw: Vec<u8>,
        #[api(header = "X-A")]
        a: Option<String>,
        #[api(header = "x-a")]
        again: Option<String>,
    },
    #[api(status = 500..=599)]
    Server {
        #[api(status, body)]
        status: StatusCode,
    },
}

fn main() {}
