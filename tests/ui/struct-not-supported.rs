use apifault::ApiError;

#[derive(ApiError)]
struct NotAnEnum {
    status: u16,
}

fn main() {}
