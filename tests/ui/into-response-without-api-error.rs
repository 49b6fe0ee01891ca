#[derive(Debug, apifault::IntoResponse)]
enum E {
    #[api(status = 404)]
    NotFound,
}

#[derive(apifault::IntoResponse)]
struct NotAnEnum;

fn main() {}
