use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(other)]
    Other {
        #[api(status)]
        status: http::StatusCode,
        #[api(should_retry)]
        should_retry: bool,
    },
}

fn main() {}
