use apifault::ApiError;

fn looks_at_status(status: http::StatusCode) -> bool {
    status.as_u16() == 400
}

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 400, when = looks_at_status, retry = "never")]
    Odd,
    #[api(other)]
    Other {
        #[api(status)]
        status: http::StatusCode,
    },
}

fn main() {}
