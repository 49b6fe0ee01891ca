use apifault::ApiError;

struct Opaque;

#[derive(ApiError)]
enum E {
    #[api(status = 422)]
    Invalid {
        #[api(body)]
        body: Opaque,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
    },
}

fn main() {}
