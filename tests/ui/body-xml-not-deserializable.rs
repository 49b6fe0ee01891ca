use apifault::ApiError;

struct Errors {
    error: Vec<String>,
}

#[derive(ApiError)]
enum E {
    #[api(status = 422)]
    Invalid {
        #[api(body(xml))]
        body: Errors,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
    },
}

fn main() {}
