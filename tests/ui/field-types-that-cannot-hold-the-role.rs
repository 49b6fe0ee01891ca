use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 429)]
    Slow {
        #[api(retry_after)]
        wait: String,
        #[api(request_id)]
        id: u32,
    },
    #[api(status = 500..=599)]
    Server {
        #[api(status)]
        status: String,
        #[api(rate_limit)]
        limit: u64,
    },
}

fn main() {}
