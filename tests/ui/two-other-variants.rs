use apifault::ApiError;

use http::StatusCode;

#[derive(ApiError)]
enum E {
    #[api(other)]
    First {
        #[api(status)]
        status: StatusCode,
    },
    #[api(other)]
    Second {
        #[api(status)]
        status: StatusCode,
    },
}

fn main() {}
