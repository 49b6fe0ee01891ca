use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 503)]
    Unavailable,
}

// A duration that does not parse, on the literal.
#[apifault::retry(delays = ["2s", "4 s", "16s"])]
fn bad_duration() -> Result<(), E> {
    Err(E::Unavailable)
}

// An empty schedule, on the brackets.
#[apifault::retry(delays = [])]
fn empty() -> Result<(), E> {
    Err(E::Unavailable)
}

// Not a list of strings.
#[apifault::retry(delays = "2s")]
fn not_a_list() -> Result<(), E> {
    Err(E::Unavailable)
}

// `base` and `factor` shape an exponential schedule, which `delays` replaces.
#[apifault::retry(delays = ["2s", "4s"], base = "1s", factor = 3)]
fn with_base() -> Result<(), E> {
    Err(E::Unavailable)
}

// A policy gives the schedule itself.
#[apifault::retry(policy = apifault::RetryPolicy::default(), delays = ["2s"])]
fn with_policy() -> Result<(), E> {
    Err(E::Unavailable)
}

fn main() {
    let _ = (bad_duration(), empty(), not_a_list(), with_base(), with_policy());
}
