use apifault::ApiError;

struct Opaque;

#[derive(ApiError)]
enum E {
    #[api(status = 400)]
    Bad {
        #[api(header = "X-Opaque")]
        opaque: Opaque,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
    },
}

fn main() {}
