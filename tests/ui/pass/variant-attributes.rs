//! Every variant key and status form: a number, a range, a list (with a
//! range inside), `retry` with each value, `transport` in each shape,
//! `other`, and local variants without `#[api]`.
use apifault::{ApiError, Retry};
use http::StatusCode;

#[derive(Debug, ApiError)]
enum Statuses {
    #[api(status = 404)]
    One,
    #[api(status = 400..=403)]
    Range {
        #[api(status)]
        status: StatusCode,
    },
    #[api(status = [409, 410, 450..=451])]
    List {
        #[api(status)]
        status: u16,
    },
    #[api(status = 500, retry = "never")]
    Never,
    #[api(status = 418, retry = "backoff")]
    Backoff,
    #[api(status = 503, retry = "after")]
    After,
    #[api(transport)]
    Transport(std::io::Error),
    #[api(other, retry = "never")]
    Other,
    Local,
    LocalWithData(String, u32),
}

#[derive(Debug, ApiError)]
enum UnitTransport {
    #[api(transport, retry = "never")]
    Transport,
}

#[derive(Debug, thiserror::Error, ApiError)]
enum StructTransport {
    #[error("attempt {attempt}")]
    #[api(transport)]
    Transport {
        attempt: u32,
        #[source]
        source: std::io::Error,
    },
}

fn main() {
    assert_eq!(Statuses::Backoff.retry(), Retry::Backoff);
    assert_eq!(Statuses::Other.retry(), Retry::Never);
    assert_eq!(Statuses::Local.retry(), Retry::Never);
    assert_eq!(UnitTransport::Transport.retry(), Retry::Never);
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    assert!(StructTransport::Transport { attempt: 1, source: refused }.safe_to_resend());
}
