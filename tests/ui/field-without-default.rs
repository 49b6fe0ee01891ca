use apifault::ApiError;

struct NoDefault;

#[derive(ApiError)]
enum E {
    #[api(status = 404)]
    NotFound {
        note: NoDefault,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
    },
}

fn main() {}
