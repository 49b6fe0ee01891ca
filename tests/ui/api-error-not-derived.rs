use apifault::ApiError;

fn classify<E: ApiError>(_: &E) {}

#[derive(Debug)]
enum Plain {
    NotFound,
}

fn main() {
    classify(&Plain::NotFound);
}
