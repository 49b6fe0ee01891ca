use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = "404")]
    NotFound,
    #[api(status = 4_0_4u16)]
    Suffixed,
}

fn main() {}
