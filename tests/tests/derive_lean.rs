//! The lean expansion (issue 11): constant answers come from one packed
//! number per variant, answers by status go through `status()`, variants
//! of one field shape share their decoding, and which variant claims a
//! response is resolved from a table. Each test pins a case where the
//! tables and the arms meet.

#![allow(dead_code)]

use std::time::Duration;

use apifault::{ApiError, Retry};
use apifault_tests::parts::decode;
use http::StatusCode;

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Problem {
    detail: String,
}

#[derive(Debug, ApiError)]
#[api(request_id = "X-Req")]
enum Shapes {
    #[api(status = 400)]
    Bad,
    #[api(status = 404)]
    NotFound {},
    #[api(status = 405)]
    Method(),
    // Three variants of one shape: decoded by one piece of code.
    #[api(status = 409)]
    Conflict {
        #[api(body)]
        problem: Problem,
        #[api(request_id)]
        id: Option<String>,
    },
    #[api(status = 410)]
    Gone {
        #[api(body)]
        problem: Problem,
        #[api(request_id)]
        id: Option<String>,
    },
    #[api(status = 422)]
    Invalid {
        #[api(body)]
        problem: Problem,
        #[api(request_id)]
        id: Option<String>,
    },
    // The same shape but its own hint sources: decoded apart.
    #[api(status = 429, retry_after = "X-Wait")]
    Slow {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[api(status = 503)]
    Down {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    // A status field next to a single status: answers by what it holds.
    #[api(status = 418)]
    Teapot(#[api(status)] u16),
    #[api(status = 500..=599)]
    Server {
        #[api(status)]
        status: StatusCode,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
        #[api(body)]
        body: String,
    },
}

#[test]
fn variants_of_one_shape_each_decode_to_themselves() {
    let body = br#"{"detail": "no"}"#;
    let problem = || Problem {
        detail: "no".into(),
    };
    let e: Shapes = decode(409, &[("x-req", "r1")], body);
    assert!(
        matches!(&e, Shapes::Conflict { problem: p, id } if *p == problem() && id.as_deref() == Some("r1")),
        "{e:?}"
    );
    let e: Shapes = decode(410, &[], body);
    assert!(
        matches!(&e, Shapes::Gone { problem: p, id: None } if *p == problem()),
        "{e:?}"
    );
    let e: Shapes = decode(422, &[], body);
    assert!(matches!(&e, Shapes::Invalid { .. }), "{e:?}");
    assert_eq!(e.request_id(), None);
}

#[test]
fn a_shared_shape_that_does_not_decode_goes_to_other() {
    for code in [409, 410, 422] {
        let e: Shapes = decode(code, &[], b"not json");
        assert!(
            matches!(&e, Shapes::Other { status, body } if status.as_u16() == code && body == "not json"),
            "{code}: {e:?}"
        );
    }
}

#[test]
fn unit_empty_and_tuple_variants_without_fields_decode() {
    assert!(matches!(decode::<Shapes>(400, &[], b""), Shapes::Bad));
    assert!(matches!(
        decode::<Shapes>(404, &[], b""),
        Shapes::NotFound {}
    ));
    assert!(matches!(decode::<Shapes>(405, &[], b""), Shapes::Method()));
    assert_eq!(Shapes::NotFound {}.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(Shapes::Method().retry(), Retry::Never);
}

#[test]
fn a_variant_with_its_own_hint_sources_reads_them() {
    let pairs = [("x-wait", "3"), ("retry-after", "9")];
    let slow: Shapes = decode(429, &pairs, b"");
    assert_eq!(slow.retry_after(), Some(Duration::from_secs(3)), "{slow:?}");
    let down: Shapes = decode(503, &pairs, b"");
    assert_eq!(down.retry_after(), Some(Duration::from_secs(9)), "{down:?}");
}

#[test]
fn constant_facts_answer_for_each_variant() {
    let slow = Shapes::Slow { wait: None };
    assert_eq!(slow.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(slow.retry(), Retry::After);
    assert!(slow.safe_to_resend());
    let down = Shapes::Down { wait: None };
    assert_eq!(down.retry(), Retry::Backoff);
    assert!(down.safe_to_resend());
    let bad = Shapes::Bad;
    assert_eq!(bad.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(bad.retry(), Retry::Never);
    assert!(!bad.safe_to_resend());
}

#[test]
fn answers_by_status_read_the_status_the_variant_holds() {
    // Built by hand with another status than the one it is decoded from.
    let e = Shapes::Teapot(503);
    assert_eq!(e.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(e.retry(), Retry::Backoff);
    assert!(e.safe_to_resend());
    let e = Shapes::Teapot(418);
    assert_eq!(e.retry(), Retry::Never);
    assert!(!e.safe_to_resend());
    // Not a status at all: no status, never retried, not safe.
    let e = Shapes::Teapot(1000);
    assert_eq!(e.status(), None);
    assert_eq!(e.retry(), Retry::Never);
    assert!(!e.safe_to_resend());

    let e: Shapes = decode(502, &[], b"");
    assert_eq!(e.retry(), Retry::Backoff);
    let e: Shapes = decode(501, &[], b"");
    assert!(matches!(e, Shapes::Server { .. }));
    assert_eq!(e.retry(), Retry::Never);
    let e: Shapes = decode(302, &[], b"x");
    assert!(matches!(e, Shapes::Other { .. }));
    assert_eq!(e.status(), Some(StatusCode::FOUND));
    assert_eq!(e.retry(), Retry::Never);
}

/// Variants listed out of status order, ranges split by exact claims, and
/// claims at both ends of the status space: the table stays sorted.
#[derive(Debug, ApiError)]
enum Scattered {
    #[api(status = 599)]
    Last,
    #[api(status = 500..=598, retry = "backoff")]
    Server,
    #[api(status = 100)]
    First,
    #[api(status = 450..=460)]
    Middle,
    #[api(status = 455)]
    Inside,
    #[api(other)]
    Other {
        #[api(status)]
        status: u16,
    },
}

#[test]
fn a_scattered_claim_table_resolves_every_status() {
    for code in 100..=599u16 {
        let e: Scattered = decode(code, &[], b"");
        let expected = match code {
            599 => "Last",
            500..=598 => "Server",
            100 => "First",
            455 => "Inside",
            450..=460 => "Middle",
            _ => "Other",
        };
        let got = format!("{e:?}");
        assert!(got.starts_with(expected), "{code}: {got}");
    }
}

/// An enum of many variants, as the compile-cost script writes them:
/// every one decodes to itself and classifies as its status says.
macro_rules! many {
    ($($v:ident = $code:literal),* $(,)?) => {
        #[derive(Debug, ApiError)]
        #[api(retry_after = "Ratelimit-Reset")]
        enum Many {
            $(
                #[api(status = $code)]
                $v {
                    #[api(retry_after)]
                    wait: Option<Duration>,
                },
            )*
            #[api(other)]
            Other {
                #[api(status)]
                status: u16,
            },
        }

        #[test]
        fn many_variants_of_one_shape_decode_and_classify() {
            $(
                let e: Many = decode($code, &[("ratelimit-reset", "5")], b"");
                assert!(matches!(e, Many::$v { wait: Some(w) } if w == Duration::from_secs(5)), "{e:?}");
                assert_eq!(e.status().map(|s| s.as_u16()), Some($code));
                let status = StatusCode::from_u16($code).unwrap();
                assert_eq!(e.retry(), Retry::for_status(status), "{}", $code);
            )*
        }
    };
}

many!(
    A = 400,
    B = 401,
    C = 403,
    D = 404,
    E = 408,
    F = 409,
    G = 410,
    H = 422,
    I = 425,
    J = 429,
    K = 500,
    L = 501,
    M = 502,
    N = 503,
    O = 504,
    P = 505,
    Q = 507,
    R = 511,
);

/// The expansion's scope adds one name, the alias `__apifault`, and items
/// of its own (`__apifault_facts`, `__apifault_CLAIMS`, …): the user's
/// items of the runtime's names (`Claims`, `Test`, `Facts`, `Body`, `pick`)
/// and a module of the alias's name next to the enum change nothing.
mod scope {
    #![allow(non_camel_case_types, non_upper_case_globals)]

    mod __apifault {}
    #[derive(Debug, Default, PartialEq)]
    pub(crate) struct Test(pub(crate) u8);
    #[derive(Debug, Default, PartialEq)]
    pub(crate) struct Claims;
    pub(crate) type Facts = String;
    #[derive(Debug, Default, PartialEq)]
    pub(crate) struct Body;
    fn pick() {}

    #[derive(Debug, apifault::ApiError)]
    pub(crate) enum E {
        #[api(status = 404)]
        NotFound { test: Test, claims: Claims },
        #[api(status = 410)]
        Gone { test: Test, claims: Claims },
        #[api(status = 422)]
        Invalid {
            #[api(body)]
            body: Facts,
            marker: Body,
        },
        #[api(other)]
        Other {
            #[api(status)]
            status: u16,
        },
    }
}

#[test]
fn the_expansion_scope_adds_no_name_the_user_sees() {
    let e: scope::E = decode(410, &[], b"");
    assert!(
        matches!(
            e,
            scope::E::Gone {
                test: scope::Test(0),
                claims: scope::Claims
            }
        ),
        "{e:?}"
    );
    let e: scope::E = decode(422, &[], b"text");
    assert!(
        matches!(&e, scope::E::Invalid { body, marker: scope::Body } if body == "text"),
        "{e:?}"
    );
    assert_eq!(e.retry(), Retry::Never);
}
