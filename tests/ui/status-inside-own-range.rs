use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = [500..=599, 503])]
    Server {
        #[api(status)]
        status: u16,
    },
}

fn main() {}
