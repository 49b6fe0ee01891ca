use apifault::ApiError;

#[derive(ApiError)]
#[api(atomic = true)]
enum E {
    #[api(status = 404, other = "yes")]
    NotFound,
    #[api(status = 400)]
    Bad {
        #[api(body = "json")]
        body: String,
        #[api(header)]
        trace: Option<String>,
    },
}

fn main() {}
