use apifault::ApiError;

#[derive(ApiError)]
enum E {
    #[api(status = [502, 502])]
    Gateway,
}

fn main() {}
