use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = 600)]
    TooHigh,
    #[api(status = 99)]
    TooLow,
    #[api(status = 70000)]
    WayTooHigh,
}

fn main() {}
