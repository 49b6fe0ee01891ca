use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(transport)]
    Io(std::io::Error),
    #[api(transport)]
    Tls(String),
}

fn main() {}
