use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 429, default_wait = "60")]
    NoUnit,
    #[api(status = 503, default_wait = "1.5s")]
    Fraction,
    #[api(status = 502, default_wait = 60)]
    NotAString,
}

fn main() {}
