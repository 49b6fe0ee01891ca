use apifault::ApiError;

#[derive(ApiError)]
enum E {
    BadFileName {
        #[api(body)]
        name: String,
    },
    #[api(transport)]
    Transport {
        #[api(status)]
        status: u16,
        error: std::io::Error,
    },
}

fn main() {}
