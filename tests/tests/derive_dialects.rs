//! Every vendor's dialect: typed hint sources in headers and bodies, hint
//! functions, an API's own rate-limit headers, errors inside a 2xx, and
//! body conditions; and served variants that decode back to themselves.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apifault::{ApiError, FromResponse, RateLimit, ResponseParts, Retry};
use apifault_tests::parts::{decode, headers, round_trip};
use http::StatusCode;

fn ms(n: u64) -> Option<Duration> {
    Some(Duration::from_millis(n))
}

/// OpenAI's dialect, as DESIGN writes it.
#[derive(Debug, PartialEq, ApiError, apifault::IntoResponse)]
#[api(
    retry_after = [ms("retry-after-ms"), "Retry-After"],
    rate_limit(limit = "x-ratelimit-limit-requests",
               remaining = "x-ratelimit-remaining-requests",
               reset = duration("x-ratelimit-reset-requests")),
    should_retry = "x-should-retry",
)]
enum LlmError {
    #[api(
        status = 429,
        when(body = "/error/type: insufficient_quota"),
        retry = "never"
    )]
    QuotaExhausted,
    #[api(status = 429)]
    RateLimited {
        #[api(retry_after)]
        wait: Option<Duration>,
        #[api(rate_limit)]
        limits: Option<RateLimit>,
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
fn milliseconds_are_read_as_milliseconds_then_retry_after_as_seconds() {
    let e: LlmError = decode(
        429,
        &[("retry-after-ms", "1500"), ("retry-after", "9")],
        b"{}",
    );
    assert_eq!(e.retry_after(), ms(1500), "not 1,500 seconds");
    let e: LlmError = decode(429, &[("retry-after", "9")], b"{}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(9)));
    // Retry-After stays strict RFC 9110: no decimals unless written secs("…").
    let e: LlmError = decode(429, &[("retry-after", "2.0")], b"{}");
    assert_eq!(e.retry_after(), None);
}

#[test]
fn an_apis_own_rate_limit_headers_fill_the_field() {
    let e: LlmError = decode(
        429,
        &[
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "6m0s"),
            // The standard headers are not this API's: ignored.
            ("ratelimit-remaining", "99"),
        ],
        b"{}",
    );
    let LlmError::RateLimited { limits, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        *limits,
        Some(RateLimit::new(500, 0, Duration::from_secs(360)))
    );
    assert_eq!(
        LlmError::rate_limit(&headers(&[("x-ratelimit-reset-requests", "12ms")])),
        Some(RateLimit {
            limit: None,
            remaining: None,
            reset: ms(12)
        })
    );
    assert_eq!(
        LlmError::rate_limit(&headers(&[("ratelimit-remaining", "1")])),
        None
    );
}

#[test]
fn body_conditions_tell_a_quota_from_a_rate_limit() {
    let quota: LlmError = decode(
        429,
        &[],
        br#"{"error": {"type": "insufficient_quota", "code": "credit_balance_exhausted"}}"#,
    );
    assert_eq!(quota, LlmError::QuotaExhausted);
    assert_eq!(quota.retry(), Retry::Never);
    let limited: LlmError = decode(429, &[], br#"{"error": {"type": "requests"}}"#);
    assert!(matches!(limited, LlmError::RateLimited { .. }));
    assert_eq!(limited.retry(), Retry::After);
}

/// Slack's dialect: errors inside a 200.
#[derive(Debug, PartialEq, ApiError, apifault::IntoResponse)]
#[api(error_2xx(body = "/ok: false"), code = "/error", retry_after = [secs("Retry-After")])]
enum ChatError {
    #[api(status = 200, when(code = "ratelimited"), retry = "after")]
    RateLimited {
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[api(status = 200, when(code = ["internal_error", "service_unavailable"]), retry = "backoff")]
    Unavailable,
    #[api(status = 200)]
    Failed {
        #[api(body)]
        body: serde_json::Value,
    },
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

#[test]
fn errors_inside_a_2xx_decode_into_the_enum() {
    let ok = headers(&[]);
    let is_error =
        |body: &[u8]| ChatError::is_error(&ResponseParts::new(StatusCode::OK, &ok, body));
    assert!(is_error(br#"{"ok": false, "error": "ratelimited"}"#));
    assert!(!is_error(br#"{"ok": true}"#));
    // A value is compared by its text: the string "false" reads as false.
    assert!(is_error(br#"{"ok": "false"}"#));
    assert!(!is_error(b"not json"));
    assert!(ChatError::is_error(&ResponseParts::new(
        StatusCode::BAD_GATEWAY,
        &ok,
        b""
    )));

    let e: ChatError = decode(
        200,
        &[("retry-after", "2.5")],
        br#"{"ok": false, "error": "ratelimited"}"#,
    );
    assert_eq!(e, ChatError::RateLimited { wait: ms(2500) });
    assert_eq!(e.retry(), Retry::After);
    let e: ChatError = decode(
        200,
        &[],
        br#"{"ok": false, "error": "service_unavailable"}"#,
    );
    assert_eq!(e, ChatError::Unavailable);
    let e: ChatError = decode(200, &[], br#"{"ok": false, "error": "channel_not_found"}"#);
    assert!(matches!(e, ChatError::Failed { .. }));
    assert_eq!(e.retry(), Retry::Never);
    assert_eq!(e.status(), Some(StatusCode::OK));
}

#[test]
fn presence_tests_take_only_what_is_set() {
    #[derive(Debug, PartialEq, ApiError)]
    #[api(error_2xx(body = "/errors"))]
    enum GraphQl {
        #[api(
            status = 200,
            when(body = "/errors/*/extensions/code: THROTTLED"),
            retry = "backoff"
        )]
        Throttled,
        #[api(status = 200)]
        Failed,
        #[api(other)]
        Other {
            #[api(status)]
            status: StatusCode,
        },
    }
    let ok = headers(&[]);
    let table: &[(&[u8], bool)] = &[
        (br#"{"errors": [{"message": "x"}]}"#, true),
        (br#"{"errors": []}"#, false),
        (br#"{"errors": null}"#, false),
        (br#"{"errors": false}"#, false),
        (br#"{"errors": 0}"#, false),
        (br#"{"errors": ""}"#, false),
        (br#"{"errors": {}}"#, false),
        (br#"{"errors": 1}"#, true),
        (br#"{"data": {}}"#, false),
    ];
    for (body, error) in table {
        assert_eq!(
            GraphQl::is_error(&ResponseParts::new(StatusCode::OK, &ok, body)),
            *error,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let throttled: GraphQl = decode(
        200,
        &[],
        br#"{"errors": [{"message": "a"}, {"extensions": {"code": "THROTTLED"}}]}"#,
    );
    assert_eq!(throttled, GraphQl::Throttled);
    let failed: GraphQl = decode(
        200,
        &[],
        br#"{"errors": [{"extensions": {"code": "OTHER"}}]}"#,
    );
    assert_eq!(failed, GraphQl::Failed);
}

fn discord_global(parts: &ResponseParts<'_>) -> Option<Duration> {
    let global = parts.headers.get("x-ratelimit-global")?;
    (global.as_bytes() == b"true").then_some(Duration::from_secs(1))
}

#[test]
fn waits_in_the_body_with_wildcards_and_hint_functions() {
    #[derive(Debug, PartialEq, ApiError)]
    #[api(retry_after = [secs("/retry_after"), secs("X-RateLimit-Reset-After")])]
    enum Discord {
        #[api(status = 429)]
        RateLimited {
            #[api(retry_after)]
            wait: Option<Duration>,
        },
        #[api(status = 503, retry = "after", retry_after = discord_global)]
        Global {
            #[api(retry_after)]
            wait: Option<Duration>,
        },
        #[api(other)]
        Other {
            #[api(status)]
            status: StatusCode,
        },
    }
    let e: Discord = decode(429, &[], br#"{"retry_after": 64.57, "global": false}"#);
    assert_eq!(e.retry_after(), ms(64_570));
    let e: Discord = decode(429, &[("x-ratelimit-reset-after", "1.234")], b"{}");
    assert_eq!(e.retry_after(), ms(1234));
    let e: Discord = decode(429, &[], br#"{"retry_after": -3}"#);
    assert_eq!(e.retry_after(), None, "a negative wait is no hint");
    let e: Discord = decode(503, &[("x-ratelimit-global", "true")], b"");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));

    #[derive(Debug, PartialEq, ApiError)]
    #[api(code = "/error/status", retry_after = duration("/error/details/*/retryDelay"))]
    enum Google {
        #[api(
            status = 429,
            when(body = "/error/details/*/violations/*/quotaId: PerDay"),
            retry = "never"
        )]
        DailyQuota,
        #[api(status = 429)]
        Exhausted {
            #[api(retry_after)]
            wait: Option<Duration>,
        },
        #[api(other)]
        Other {
            #[api(status)]
            status: StatusCode,
        },
    }
    let body = br#"{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "PerMinute"}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "53s"}]}}"#;
    let e: Google = decode(429, &[], body);
    assert_eq!(
        e,
        Google::Exhausted {
            wait: Some(Duration::from_secs(53))
        }
    );
    let daily = br#"{"error": {"details": [{"violations": [{"quotaId": "PerMinute"}, {"quotaId": "PerDay"}]}]}}"#;
    assert_eq!(decode::<Google>(429, &[], daily), Google::DailyQuota);
}

#[test]
fn every_unit_reads_its_own_form() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    #[derive(Debug, PartialEq, ApiError)]
    #[api(retry_after = [unix("x-unix"), timestamp("x-at"), duration("x-go"), ms("x-ms"), secs("x-secs")])]
    enum E {
        #[api(other, retry = "after")]
        Other {
            #[api(retry_after)]
            wait: Option<Duration>,
        },
    }
    let wait = |name: &str, value: &str| decode::<E>(429, &[(name, value)], b"").retry_after();
    let unix = wait("x-unix", &format!("{}.5", now + 100)).expect("a wait");
    assert!(
        unix > Duration::from_secs(99) && unix <= Duration::from_millis(100_500),
        "{unix:?}"
    );
    assert_eq!(
        wait("x-unix", "30"),
        Some(Duration::ZERO),
        "a Unix time is always a time"
    );
    assert_eq!(wait("x-at", "1999-01-01T00:00:00Z"), Some(Duration::ZERO));
    let far = wait("x-at", "2099-01-01T00:00:00+02:00").expect("a wait");
    assert!(far > Duration::from_secs(70 * 365 * 86_400), "{far:?}");
    assert_eq!(
        wait("x-at", "2999-01-01T00:00:00Z"),
        Some(apifault::headers::SATURATED_WAIT)
    );
    assert_eq!(wait("x-go", "1m30s"), Some(Duration::from_secs(90)));
    assert_eq!(wait("x-ms", "250"), ms(250));
    assert_eq!(wait("x-secs", "0.25"), ms(250));
    assert_eq!(wait("x-secs", "NaN"), None);
    assert_eq!(wait("x-secs", "inf"), None);
    // The largest values saturate instead of vanishing.
    let huge = wait("x-ms", "99999999999999999999999999999999").expect("saturated");
    assert_eq!(huge, apifault::headers::SATURATED_WAIT);
}

#[test]
fn used_and_limit_pairs_give_the_remaining() {
    #[derive(Debug, PartialEq, ApiError)]
    #[api(rate_limit(used = "X-Shopify-Shop-Api-Call-Limit"), retry_after = [secs("Retry-After")])]
    enum Shopify {
        #[api(status = 429)]
        Throttled {
            #[api(retry_after)]
            wait: Option<Duration>,
            #[api(rate_limit)]
            limits: Option<RateLimit>,
        },
        #[api(other)]
        Other {
            #[api(status)]
            status: StatusCode,
        },
    }
    let e: Shopify = decode(
        429,
        &[
            ("x-shopify-shop-api-call-limit", "40/40"),
            ("retry-after", "2.0"),
        ],
        b"",
    );
    assert_eq!(
        e,
        Shopify::Throttled {
            wait: Some(Duration::from_secs(2)),
            limits: Some(RateLimit {
                limit: Some(40),
                remaining: Some(0),
                reset: None
            })
        }
    );
    let salesforce = headers(&[("x-shopify-shop-api-call-limit", "api-usage=18/5000")]);
    assert_eq!(
        Shopify::rate_limit(&salesforce).and_then(|r| r.remaining),
        Some(4982)
    );
    let garbage = headers(&[("x-shopify-shop-api-call-limit", "/")]);
    assert_eq!(
        Shopify::rate_limit(&garbage),
        Some(RateLimit::default()),
        "present but unreadable: nothing known"
    );
}

#[tokio::test]
async fn served_dialect_variants_decode_back_to_themselves() {
    let llm = [
        LlmError::QuotaExhausted,
        LlmError::RateLimited {
            wait: ms(1500),
            limits: Some(RateLimit::new(500, 0, Duration::from_secs(360))),
        },
        LlmError::Other {
            status: StatusCode::CONFLICT,
            should_retry: Some(true),
        },
    ];
    for error in llm {
        let expected = format!("{error:?}");
        assert_eq!(format!("{:?}", round_trip(error).await), expected);
    }
    let chat = [
        ChatError::RateLimited { wait: ms(2500) },
        ChatError::Unavailable,
        ChatError::Other {
            status: StatusCode::BAD_GATEWAY,
        },
    ];
    for error in chat {
        let expected = format!("{error:?}");
        assert_eq!(format!("{:?}", round_trip(error).await), expected);
    }
}
