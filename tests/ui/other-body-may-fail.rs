use apifault::ApiError;

#[derive(serde::Deserialize)]
struct Problem {
    detail: String,
}

#[derive(ApiError)]
enum E {
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
        #[api(body)]
        body: Problem,
    },
}

fn main() {}
