use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(transport, when(header = "X-Proxy"))]
    Transport(std::io::Error),
    #[api(other, when(header = "X-Anything"))]
    Other {
        #[api(status)]
        status: http::StatusCode,
    },
}

fn main() {}
