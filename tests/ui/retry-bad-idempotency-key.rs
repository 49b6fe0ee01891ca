use apifault::ApiError;

#[derive(Debug, ApiError)]
enum E {
    #[api(status = 500)]
    Internal,
}

// The key is bound to a name, not given as a value.
#[apifault::retry(idempotency_key = "key")]
fn quoted() -> Result<(), E> {
    Err(E::Internal)
}

#[apifault::retry(idempotency_key)]
fn without_a_name() -> Result<(), E> {
    Err(E::Internal)
}

#[apifault::retry(idempotency_key = key, idempotency_key = other)]
fn twice() -> Result<(), E> {
    Err(E::Internal)
}

// The key is an `IdempotencyKey`, not a `String`.
#[apifault::retry(idempotency_key = key)]
fn wrong_type() -> Result<(), E> {
    let _text: String = key;
    Err(E::Internal)
}

fn main() {
    let _ = (quoted(), without_a_name(), twice(), wrong_type());
}
