//! Classification beyond the status: `when(...)` conditions on header
//! values, body codes and predicates, the precedence between variants, the
//! server's own `should_retry` decision, `default_wait`, a variant's own
//! hint headers, and what a served conditional variant writes back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apifault::{ApiError, ResponseParts, Retry};
use apifault_tests::parts::{decode, round_trip};
use http::StatusCode;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// GitHub's rules, as DESIGN writes them.
#[derive(Debug, PartialEq, ApiError, apifault::IntoResponse)]
#[api(request_id = "x-github-request-id")]
enum GitHubError {
    #[api(
        status = [403, 429],
        when(header = "x-ratelimit-remaining: 0"),
        retry = "after",
        retry_after = "X-RateLimit-Reset"
    )]
    PrimaryRateLimit {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[api(status = [403, 429], when(header = "retry-after"), retry = "after")]
    SecondaryRateLimit {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[api(status = 429, default_wait = "60s")]
    RateLimited {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[api(status = 403)]
    Forbidden,
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

#[test]
fn github_403_is_told_apart_by_header_values() {
    let reset = (unix_now() + 120).to_string();
    let primary: GitHubError = decode(
        403,
        &[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
            ("retry-after", "5"),
        ],
        b"",
    );
    let GitHubError::PrimaryRateLimit { wait: Some(wait) } = primary else {
        panic!("{primary:?}")
    };
    // The variant reads only X-RateLimit-Reset (a Unix time), not the
    // enum's Retry-After.
    assert!(
        wait > Duration::from_secs(118) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
    assert_eq!(primary.retry(), Retry::After);

    let secondary: GitHubError = decode(
        403,
        &[
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-reset", &reset),
            ("retry-after", "30"),
        ],
        b"",
    );
    assert_eq!(
        secondary,
        GitHubError::SecondaryRateLimit {
            wait: Some(Duration::from_secs(30))
        }
    );

    // x-ratelimit-* on every response: only the value 0 makes a rate limit.
    let forbidden: GitHubError = decode(
        403,
        &[
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-reset", &reset),
        ],
        b"",
    );
    assert_eq!(forbidden, GitHubError::Forbidden);
    assert_eq!(forbidden.retry(), Retry::Never);
}

#[test]
fn default_wait_applies_only_without_a_hint() {
    let bare: GitHubError = decode(429, &[], b"");
    assert_eq!(bare, GitHubError::RateLimited { wait: None });
    assert_eq!(bare.retry_after(), Some(Duration::from_secs(60)));
    // A 429 with Retry-After is the secondary limit; and were it not, the
    // hint would win over the default.
    let hinted = GitHubError::RateLimited {
        wait: Some(Duration::from_secs(3)),
    };
    assert_eq!(hinted.retry_after(), Some(Duration::from_secs(3)));
}

#[test]
fn header_values_compare_trimmed_and_case_insensitively_on_any_value() {
    #[derive(Debug, PartialEq, ApiError)]
    enum E {
        #[api(status = 400, when(header = "X-Mode: Throttled"), retry = "backoff")]
        Throttled,
        #[api(other)]
        Other {
            #[api(status)]
            status: StatusCode,
        },
    }
    for value in ["Throttled", "throttled", "  THROTTLED\t", "throttled "] {
        assert_eq!(
            decode::<E>(400, &[("x-mode", value)], b""),
            E::Throttled,
            "{value:?}"
        );
    }
    // Any value of a repeated header may match.
    assert_eq!(
        decode::<E>(400, &[("x-mode", "normal"), ("x-mode", "throttled")], b""),
        E::Throttled
    );
    for value in ["throttled!", "throttle", ""] {
        assert!(
            matches!(decode::<E>(400, &[("x-mode", value)], b""), E::Other { .. }),
            "{value:?}"
        );
    }
    assert!(matches!(decode::<E>(400, &[], b""), E::Other { .. }));
}

/// One variant per row of the precedence rule.
#[derive(Debug, PartialEq, ApiError)]
enum Precedence {
    // Declared first, yet an exact conditional claim beats it.
    #[api(status = 400..=499, when(header = "x-a: 1"), retry = "backoff")]
    RangeWhen,
    #[api(status = 400, when(header = "x-a: 1"), retry = "backoff")]
    ExactWhen,
    #[api(status = 409, when(header = "x-b"), retry = "never")]
    TieFirst,
    #[api(status = 409, when(header = "x-b"), retry = "backoff")]
    TieSecond,
    #[api(when(header = "x-a"), retry = "backoff")]
    AnyStatusWhen,
    #[api(status = 400)]
    Exact,
    #[api(status = 400..=499)]
    Range {
        #[api(status)]
        status: StatusCode,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

#[test]
fn precedence_follows_every_row_of_the_rule() {
    use Precedence::*;
    let s = StatusCode::from_u16;
    type Row = (u16, &'static [(&'static str, &'static str)], Precedence);
    let table: &[Row] = &[
        // Conditions that hold: exact beats range beats status-less.
        (400, &[("x-a", "1")], ExactWhen),
        (401, &[("x-a", "1")], RangeWhen),
        (400, &[("x-a", "2")], AnyStatusWhen),
        (503, &[("x-a", "2")], AnyStatusWhen),
        // A conditional variant beats every unconditional one.
        (404, &[("x-a", "2")], AnyStatusWhen),
        // Ties go to the first declared.
        (409, &[("x-b", "")], TieFirst),
        // No condition holds: exact beats range, `other` comes last.
        (400, &[], Exact),
        (
            401,
            &[],
            Range {
                status: s(401).unwrap(),
            },
        ),
        (
            500,
            &[],
            Other {
                status: s(500).unwrap(),
            },
        ),
        // A status-less `when` variant takes only non-2xx statuses.
        (
            200,
            &[("x-a", "2")],
            Other {
                status: s(200).unwrap(),
            },
        ),
        (302, &[("x-a", "2")], AnyStatusWhen),
    ];
    for (status, pairs, expected) in table {
        let got: Precedence = decode(*status, pairs, b"");
        assert_eq!(&got, expected, "{status} {pairs:?}");
    }
}

/// Stripe's rules, as DESIGN writes them, with AWS's throttling code.
#[derive(Debug, PartialEq, ApiError, apifault::IntoResponse)]
#[api(
    code = ["/error/code", "/__type"],
    should_retry = "Stripe-Should-Retry",
    request_id = "Request-Id"
)]
enum StripeError {
    #[api(status = 400, when(code = "lock_timeout"), retry = "backoff")]
    LockTimeout {
        #[api(should_retry)]
        should_retry: Option<bool>,
    },
    #[api(when(code = ["rate_limit", "ThrottlingException"]), retry = "backoff")]
    Throttled,
    #[api(status = 400..=499)]
    Invalid {
        #[api(status)]
        status: StatusCode,
        #[api(should_retry)]
        should_retry: Option<bool>,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
        #[api(should_retry)]
        should_retry: Option<bool>,
    },
}

#[test]
fn body_codes_choose_the_variant() {
    let lock: StripeError = decode(400, &[], br#"{"error": {"code": "lock_timeout"}}"#);
    assert_eq!(lock, StripeError::LockTimeout { should_retry: None });
    assert_eq!(lock.retry(), Retry::Backoff);

    // A status-less code condition holds on any error status.
    for status in [400, 429, 503] {
        let throttled: StripeError = decode(status, &[], br#"{"error": {"code": "rate_limit"}}"#);
        assert_eq!(throttled, StripeError::Throttled, "{status}");
    }
    // AWS keeps its code elsewhere: the second pointer finds it.
    let aws: StripeError = decode(400, &[], br#"{"__type": "ThrottlingException"}"#);
    assert_eq!(aws, StripeError::Throttled);
    assert_eq!(aws.retry(), Retry::Backoff);

    let invalid: StripeError = decode(400, &[], br#"{"error": {"code": "card_declined"}}"#);
    assert!(matches!(invalid, StripeError::Invalid { .. }));
    assert_eq!(invalid.retry(), Retry::Never);
}

#[test]
fn code_pointers_pass_over_what_is_not_a_code() {
    #[derive(Debug, PartialEq, ApiError)]
    #[api(code = ["/error/code", "/code"])]
    enum E {
        #[api(status = 400, when(code = "X"), retry = "backoff")]
        X,
        #[api(status = 400, when(code = "42"), retry = "backoff")]
        FortyTwo,
        #[api(other)]
        Other {
            #[api(status)]
            status: StatusCode,
        },
    }
    let other = E::Other {
        status: StatusCode::BAD_REQUEST,
    };
    let table: &[(&[u8], &E)] = &[
        (br#"{"error": {"code": "X"}}"#, &E::X),
        (br#"{"error": {"code": null}, "code": "X"}"#, &E::X),
        (br#"{"error": {"code": {"a": 1}}, "code": "X"}"#, &E::X),
        (br#"{"error": {"code": [1]}, "code": "X"}"#, &E::X),
        (br#"{"error": {"code": true}, "code": "X"}"#, &E::X),
        (br#"{"error": "flat", "code": "X"}"#, &E::X),
        (br#"{"code": 42}"#, &E::FortyTwo),
        (br#"{"error": {"code": 42}}"#, &E::FortyTwo),
        // The first pointer with a code decides, even if it is no match.
        (br#"{"error": {"code": "Y"}, "code": "X"}"#, &other),
        (br#"{"code": 42.5}"#, &other),
        (br#"{"code": "x"}"#, &other),
        (b"X", &other),
        (b"", &other),
        (b"{\"code\": \"X\"", &other),
    ];
    for (body, expected) in table {
        let got: E = decode(400, &[], body);
        assert_eq!(&got, *expected, "{}", String::from_utf8_lossy(body));
    }
    // The body is read for a code whatever its content type.
    let got: E = decode(400, &[("content-type", "text/html")], br#"{"code": "X"}"#);
    assert_eq!(got, E::X);
}

#[test]
fn the_servers_should_retry_overrides_the_status() {
    let table: &[(&str, Option<bool>)] = &[
        ("true", Some(true)),
        ("false", Some(false)),
        ("TRUE", Some(true)),
        (" False\t", Some(false)),
        ("yes", None),
        ("1", None),
        ("", None),
    ];
    for &(value, said) in table {
        let e: StripeError = decode(409, &[("stripe-should-retry", value)], b"");
        assert_eq!(
            e,
            StripeError::Invalid {
                status: StatusCode::CONFLICT,
                should_retry: said
            },
            "{value:?}"
        );
        let expected = match said {
            Some(true) => Retry::Backoff, // a 409 never retries by itself
            Some(false) | None => Retry::Never,
        };
        assert_eq!(e.retry(), expected, "{value:?}");
        assert!(
            !e.safe_to_resend(),
            "should_retry does not change resend safety"
        );
    }
    // `false` stops a retryable status; `true` keeps its own retry.
    let e: StripeError = decode(429, &[("stripe-should-retry", "false")], b"");
    assert_eq!(e.retry(), Retry::Never);
    assert!(e.safe_to_resend(), "a 429 is still safe to resend");
    let e: StripeError = decode(429, &[("stripe-should-retry", "true")], b"");
    assert_eq!(e.retry(), Retry::After);
    let e: StripeError = decode(503, &[], b"");
    assert_eq!(e.retry(), Retry::Backoff);
    let lock: StripeError = decode(
        400,
        &[("stripe-should-retry", "false")],
        br#"{"error": {"code": "lock_timeout"}}"#,
    );
    assert_eq!(lock.retry(), Retry::Never);
}

#[test]
fn should_retry_defaults_to_x_should_retry() {
    #[derive(Debug, PartialEq, ApiError)]
    enum E {
        #[api(other)]
        Other {
            #[api(status)]
            status: StatusCode,
            #[api(should_retry)]
            should_retry: Option<bool>,
        },
    }
    let e: E = decode(500, &[("x-should-retry", "false")], b"");
    assert_eq!(e.retry(), Retry::Never);
    let e: E = decode(400, &[("x-should-retry", "true")], b"");
    assert_eq!(e.retry(), Retry::Backoff);
}

fn is_graphql_throttle(parts: &ResponseParts<'_>) -> bool {
    parts.body.windows(9).any(|w| w == b"THROTTLED")
}

#[test]
fn a_predicate_decides_what_the_grammar_cannot() {
    #[derive(Debug, PartialEq, ApiError)]
    #[api(code = "/code")]
    enum E {
        #[api(status = 400, when = is_graphql_throttle, retry = "backoff")]
        Throttled,
        // Several conditions in one `when(...)` must all hold.
        #[api(
            status = 400,
            when(header = "x-region", code = "moved"),
            retry = "never"
        )]
        Moved,
        #[api(other)]
        Other {
            #[api(status)]
            status: StatusCode,
        },
    }
    assert_eq!(
        decode::<E>(400, &[], br#"{"errors": ["THROTTLED"]}"#),
        E::Throttled
    );
    assert_eq!(
        decode::<E>(400, &[("x-region", "eu")], br#"{"code": "moved"}"#),
        E::Moved
    );
    assert!(matches!(
        decode::<E>(400, &[], br#"{"code": "moved"}"#),
        E::Other { .. }
    ));
    assert!(matches!(
        decode::<E>(400, &[("x-region", "eu")], b"{}"),
        E::Other { .. }
    ));
}

#[test]
fn a_chosen_variant_whose_body_does_not_decode_goes_to_other() {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Detail {
        message: String,
    }
    #[derive(Debug, PartialEq, ApiError)]
    enum E {
        #[api(status = 400, when(header = "x-detail"), retry = "never")]
        Detailed {
            #[api(body)]
            body: Detail,
        },
        #[api(status = 400)]
        Plain,
        #[api(other)]
        Other {
            #[api(status)]
            status: StatusCode,
        },
    }
    assert_eq!(
        decode::<E>(400, &[("x-detail", "1")], br#"{"message": "m"}"#),
        E::Detailed {
            body: Detail {
                message: "m".into()
            }
        }
    );
    assert!(matches!(
        decode::<E>(400, &[("x-detail", "1")], b"not json"),
        E::Other { .. }
    ));
    assert_eq!(decode::<E>(400, &[], b"not json"), E::Plain);
}

#[test]
fn hint_headers_other_than_retry_after_are_resets() {
    #[derive(Debug, PartialEq, ApiError)]
    #[api(retry_after = ["Ratelimit-Reset", "X-Reset", "Retry-After"])]
    enum E {
        #[api(status = 429)]
        Limited {
            #[api(retry_after)]
            wait: Option<Duration>,
        },
        #[api(other)]
        Other {
            #[api(status)]
            status: StatusCode,
        },
    }
    let wait = |pairs: &[(&str, &str)]| decode::<E>(429, pairs, b"").retry_after();
    assert_eq!(
        wait(&[("ratelimit-reset", "30")]),
        Some(Duration::from_secs(30))
    );
    let at = (unix_now() + 90).to_string();
    let from_epoch = wait(&[("x-reset", &at)]).expect("a wait");
    assert!(
        from_epoch > Duration::from_secs(88) && from_epoch <= Duration::from_secs(90),
        "{from_epoch:?}"
    );
    // A reset in the past is no wait at all, not 1.8 billion seconds.
    assert_eq!(wait(&[("x-reset", "1000000000")]), Some(Duration::ZERO));
    // An HTTP-date is read in Retry-After only.
    assert_eq!(
        wait(&[
            ("x-reset", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ("retry-after", "7")
        ]),
        Some(Duration::from_secs(7))
    );
}

/// Served by the axum glue, every conditional variant decodes back to
/// itself: its header condition is written with the declared value, and its
/// code is put at the code pointer when it has no body field.
#[tokio::test]
async fn served_conditional_variants_decode_back_to_themselves() {
    let github = [
        GitHubError::PrimaryRateLimit {
            wait: Some(Duration::from_secs(120)),
        },
        GitHubError::SecondaryRateLimit {
            wait: Some(Duration::from_secs(30)),
        },
        GitHubError::RateLimited { wait: None },
        GitHubError::Forbidden,
    ];
    for error in github {
        let expected = format!("{error:?}");
        let back = round_trip(error).await;
        assert_eq!(format!("{back:?}"), expected);
    }
    let stripe = [
        StripeError::LockTimeout {
            should_retry: Some(false),
        },
        StripeError::Throttled,
        StripeError::Invalid {
            status: StatusCode::PAYMENT_REQUIRED,
            should_retry: Some(true),
        },
        StripeError::Other {
            status: StatusCode::BAD_GATEWAY,
            should_retry: None,
        },
    ];
    for error in stripe {
        let expected = format!("{error:?}");
        let back = round_trip(error).await;
        assert_eq!(format!("{back:?}"), expected);
    }
}

/// The engine, on tokio's paused clock: a rate-limit 403 is retried after
/// exactly the wait its headers give; a permission 403 is not retried.
#[tokio::test(start_paused = true)]
async fn engine_waits_out_a_rate_limit_403_and_stops_on_a_permission_403() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let policy = apifault::RetryPolicy::exponential(Duration::from_secs(1))
        .jitter(apifault::Jitter::None)
        .max_retries(3)
        .max_server_wait(Duration::from_secs(600))
        .no_max_elapsed();

    let calls = AtomicU32::new(0);
    let start = tokio::time::Instant::now();
    let result: Result<(), GitHubError> = apifault::retry(&policy, || async {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(decode(
                403,
                &[("x-ratelimit-remaining", "1"), ("retry-after", "42")],
                b"",
            ))
        } else {
            Ok(())
        }
    })
    .await;
    assert_eq!(result, Ok(()));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(42),
        "exactly the server's wait"
    );

    // The primary limit: the wait is what X-RateLimit-Reset (a Unix time)
    // says, measured when the response was decoded.
    let reset = (unix_now() + 300).to_string();
    let first: GitHubError = decode(
        403,
        &[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ],
        b"",
    );
    let asked = first.retry_after().expect("a hint");
    let mut first = Some(first);
    let start = tokio::time::Instant::now();
    let result: Result<(), GitHubError> = apifault::retry(&policy, || {
        let next = first.take();
        async move { next.map_or(Ok(()), Err) }
    })
    .await;
    assert_eq!(result, Ok(()));
    // tokio's timer counts whole milliseconds: the wait ends in the
    // millisecond the reset falls in.
    let waited = start.elapsed();
    assert!(
        waited >= asked && waited - asked < Duration::from_millis(1),
        "{waited:?} for {asked:?}"
    );
    assert!(asked > Duration::from_secs(290), "{asked:?}");

    let calls = AtomicU32::new(0);
    let start = tokio::time::Instant::now();
    let result: Result<(), GitHubError> = apifault::retry(&policy, || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Err(decode(403, &[("x-ratelimit-remaining", "4999")], b""))
    })
    .await;
    assert_eq!(result, Err(GitHubError::Forbidden));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a permission 403 is never retried"
    );
    assert_eq!(start.elapsed(), Duration::ZERO);
}
