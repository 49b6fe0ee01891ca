use apifault::ApiError;

#[derive(serde::Deserialize)]
struct Errors {
    error: Vec<String>,
}

#[derive(ApiError)]
enum E {
    #[api(status = 400)]
    Yaml {
        #[api(body(yaml))]
        body: Errors,
    },
    #[api(status = 401)]
    Empty {
        #[api(body())]
        body: Errors,
    },
    #[api(status = 402)]
    Two {
        #[api(body(xml, json))]
        body: Errors,
    },
    #[api(status = 403)]
    Quoted {
        #[api(body("xml"))]
        body: Errors,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
    },
}

fn main() {}
