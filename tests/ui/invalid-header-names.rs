use apifault::ApiError;

#[derive(ApiError)]
#[api(retry_after = ["Retry-After", "Retry After"], request_id = "")]
enum E {
    #[api(status = 400)]
    Bad {
        #[api(header = "X:Colon")]
        colon: Option<String>,
    },
}

fn main() {}
