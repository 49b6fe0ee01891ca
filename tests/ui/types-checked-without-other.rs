use apifault::ApiError;

struct Opaque;

/// No `other` variant, so no `FromResponse` yet: the fields decoding would
/// read are type-checked all the same.
#[derive(ApiError)]
enum E {
    #[api(status = 400)]
    Bad {
        #[api(body)]
        body: Opaque,
        #[api(header = "X-Opaque")]
        opaque: Option<Opaque>,
        #[api(rate_limit)]
        limit: u64,
    },
}

fn main() {}
