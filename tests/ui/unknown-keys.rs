use apifault::ApiError;

#[derive(ApiError)]
#[api(retry_afer = "Retry-After")]
enum E {
    #[api(statuss = 404)]
    NotFound,
    #[api(status = 400)]
    Bad {
        #[api(bdy)]
        body: String,
    },
}

fn main() {}
