//! Every container key: `retry_after` (one name and a list), `request_id`,
//! `atomic`, in one attribute or several.
use apifault::ApiError;

#[derive(ApiError)]
#[api(retry_after = "Ratelimit-Reset", request_id = "X-Request-Id", atomic)]
enum OneAttribute {
    #[api(status = 404)]
    NotFound,
}

#[derive(ApiError)]
#[api(retry_after = ["Retry-After", "X-RateLimit-Reset", "RateLimit"])]
#[api(request_id = "x-correlation-id")]
#[api(atomic)]
enum SeveralAttributes {
    #[api(status = 429)]
    Slow {
        #[api(retry_after)]
        wait: Option<std::time::Duration>,
    },
}

#[derive(ApiError)]
enum NoAttributes {
    #[api(status = 500)]
    Server,
}

fn main() {
    assert!(OneAttribute::NotFound.safe_to_resend());
    assert!(SeveralAttributes::Slow { wait: None }.safe_to_resend());
    assert!(!NoAttributes::Server.safe_to_resend());
}
