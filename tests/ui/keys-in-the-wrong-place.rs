use apifault::ApiError;

#[derive(ApiError)]
#[api(status = 404)]
enum E {
    #[api(status = 404, atomic)]
    NotFound,
    #[api(status = 400, body)]
    Bad {
        #[api(retry = "never")]
        body: String,
    },
}

fn main() {}
