use apifault::ApiError;

#[derive(ApiError)]
#[api(atomic, atomic)]
#[api(request_id = "X-Request-Id")]
#[api(request_id = "X-Correlation-Id")]
enum E {
    #[api(status = 404, status = 410)]
    NotFound,
    #[api(status = 429, retry = "after", retry = "never")]
    Slow,
    #[api(status = 400)]
    Bad {
        #[api(body)]
        #[api(body)]
        body: String,
    },
}

fn main() {}
