use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
        #[api(header = "X-Attempt")]
        attempt: u32,
    },
}

fn main() {}
