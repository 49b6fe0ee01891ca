use apifault::ApiError;

#[derive(ApiError)]
#[api(rate_limit(limit = "X-Limit", limit = "X-Limit-2", reset = "X-Reset", reset = "X-Reset-2"))]
#[api(error_2xx(body = "/ok: false", body = "/error"))]
#[api(code = "/code", code = "/error/code")]
enum E {
    #[api(status = 400, when(header = "X-A"), when(header = "X-B"), retry = "never")]
    Bad,
    #[api(status = 503, default_wait = "1s", default_wait = "2s")]
    Down {
        #[api(retry_after)]
        #[api(retry_after)]
        wait: Option<std::time::Duration>,
    },
    #[api(status = 429, retry_after = "X-Wait", retry_after = "X-Wait-2")]
    Slow,
    #[api(transport, transport)]
    Transport(std::io::Error),
    #[api(other, other)]
    Other {
        #[api(status)]
        status: u16,
        #[api(header = "X-A", header = "X-B")]
        a: Option<String>,
    },
}

fn main() {}
