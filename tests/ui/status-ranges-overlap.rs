use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 500..=599)]
    Server {
        #[api(status)]
        status: u16,
    },
    #[api(status = 550..=560)]
    Odd {
        #[api(status)]
        status: u16,
    },
}

fn main() {}
