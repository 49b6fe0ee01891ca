use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api()]
    Forgotten,
    #[api(status = 400)]
    Bad {
        #[api()]
        body: String,
    },
}

fn main() {}
