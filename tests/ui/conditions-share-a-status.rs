use apifault::ApiError;

// Conditional variants may share a status with each other and with one
// unconditional variant; two unconditional variants on one status may not.
#[derive(ApiError)]
#[api(code = "/code")]
enum E {
    #[api(status = 400, when(code = "lock_timeout"), retry = "backoff")]
    LockTimeout,
    #[api(status = 400, when(header = "X-Throttled: 1"), retry = "backoff")]
    Throttled,
    #[api(status = 400)]
    Invalid,
    #[api(status = 400)]
    AlsoInvalid,
}

fn main() {}
