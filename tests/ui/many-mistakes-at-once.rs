use apifault::ApiError;

#[derive(ApiError)]
#[api(atomc)]
enum E {
    #[api(status = 404)]
    NotFound,
    #[api(status = 404)]
    AlsoNotFound,
    #[api(status = 700)]
    Weird,
    #[api(status = 500, retry = "later")]
    Server,
    #[api(status = 400)]
    Bad {
        #[api(boddy)]
        body: String,
    },
}

fn main() {}
