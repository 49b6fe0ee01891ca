//! Reading what a response's headers say about waiting and about identity:
//! `Retry-After` (delay-seconds or an HTTP-date), the rate-limit headers
//! (the IETF structured `RateLimit` and `RateLimit-Policy` fields, the
//! separate `RateLimit-Limit`/`-Remaining`/`-Reset` headers and their
//! `X-RateLimit-` cousins) and request ids.
//!
//! Every function here is total: the bytes come from a server we do not
//! control, so any input gives a value or `None`, never a panic. Numbers are
//! read as strictly as RFC 9110 writes them; a number too large to hold
//! becomes [`SATURATED_WAIT`] rather than `None`, so that a retry policy gives
//! up instead of retrying early.
//!
//! What to do with a wait (clamp it, give up, add jitter) is not decided here:
//! that belongs to the retry policy. Response bodies are not read here either.
//!
//! One concern a file: `numbers` (delay-seconds, whole numbers, optional
//! whitespace), `retry` (`Retry-After` and the other hint headers, and the
//! server's should-retry decision), `rate_limit` ([`RateLimit`] and the
//! headers that announce it) and `request_id`; everything public is
//! re-exported here.

mod numbers;
mod rate_limit;
mod request_id;
mod retry;

pub use numbers::{SATURATED_WAIT, parse_delay_seconds};
pub(crate) use numbers::{leading_member, whole_number};
pub use rate_limit::{RateLimit, rate_limit, rate_limit_at};
pub use request_id::request_id;
pub(crate) use retry::retry_after_value;
pub use retry::{parse_retry_after, retry_after, retry_after_at, should_retry};

#[cfg(test)]
use {
    core::time::Duration,
    http::{HeaderMap, HeaderName},
    numbers::trim_ows,
    rate_limit::RATE_LIMIT_HEADERS,
    std::time::SystemTime,
};

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;
    use std::time::UNIX_EPOCH;

    /// Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    fn secs(seconds: u64) -> Option<Duration> {
        Some(Duration::from_secs(seconds))
    }

    /// Header lines as a response would carry them, in order.
    type Lines<'a> = &'a [(&'a str, &'a [u8])];

    fn header_map(pairs: Lines<'_>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("test header name");
            let value = HeaderValue::from_bytes(value).expect("test header value");
            headers.append(name, value);
        }
        headers
    }

    fn names(names: &[&str]) -> Vec<HeaderName> {
        names
            .iter()
            .map(|name| HeaderName::from_bytes(name.as_bytes()).expect("test header name"))
            .collect()
    }

    fn limits(limit: Option<u64>, remaining: Option<u64>, reset: Option<u64>) -> RateLimit {
        RateLimit {
            limit,
            remaining,
            reset: reset.map(|n| Duration::from_secs(n).min(SATURATED_WAIT)),
        }
    }

    #[test]
    fn delay_seconds_table() {
        let cases: &[(&[u8], Option<Duration>)] = &[
            (b"0", secs(0)),
            (b"5", secs(5)),
            (b"120", secs(120)),
            (b"007", secs(7)),
            (b"0000000000000000000000000000042", secs(42)),
            (b" 30", secs(30)),
            (b"30\t", secs(30)),
            (b" \t 30 \t ", secs(30)),
            (b"4294967295", Some(SATURATED_WAIT)),
            (b"4294967296", Some(SATURATED_WAIT)),
            (b"18446744073709551615", Some(SATURATED_WAIT)),
            (b"18446744073709551616", Some(SATURATED_WAIT)),
            (b"123456789012345678901234567890", Some(SATURATED_WAIT)),
            (b"+5", None),
            (b"-5", None),
            (b"-0", None),
            (b"1.5", None),
            (b"1e3", None),
            (b"0x10", None),
            (b"1 0", None),
            (b"1\t0", None),
            (b" ", None),
            (b"\t", None),
            (b"", None),
            (b"abc", None),
            (b"5s", None),
            (b"5,", None),
            (b"\x0b5", None),
            (b"5\r\n", None),
            ("\u{ff15}".as_bytes(), None),  // fullwidth 5
            ("\u{0665}".as_bytes(), None),  // Arabic-Indic 5
            ("1\u{00a0}".as_bytes(), None), // no-break space is not OWS
            (b"\x80", None),
            (b"\xff", None),
            (b"5\xff", None),
        ];
        for &(input, expected) in cases {
            assert_eq!(
                parse_delay_seconds(input),
                expected,
                "input {:?}",
                String::from_utf8_lossy(input),
            );
        }
    }

    #[test]
    fn retry_after_table() {
        let cases: &[(&[u8], Option<Duration>)] = &[
            // delay-seconds wins before any date reading
            (b"120", secs(120)),
            (b" 0 ", secs(0)),
            (b"-1", None),
            // the three date forms, in the future of `now`
            (b"Sun, 06 Nov 1994 08:50:37 GMT", secs(60)),
            (b"Sunday, 06-Nov-94 08:51:37 GMT", secs(120)),
            (b"Sun Nov  6 08:52:37 1994", secs(180)),
            (b"Mon, 07 Nov 1994 08:49:37 GMT", secs(86_400)),
            (b" \tSun, 06 Nov 1994 08:50:37 GMT\t ", secs(60)),
            // ... at `now` and in its past
            (b"Sun, 06 Nov 1994 08:49:37 GMT", Some(Duration::ZERO)),
            (b"Sat, 05 Nov 1994 08:49:37 GMT", Some(Duration::ZERO)),
            (b"Saturday, 05-Nov-94 08:49:37 GMT", Some(Duration::ZERO)),
            (b"Sat Nov  5 08:49:37 1994", Some(Duration::ZERO)),
            (b"Thu, 01 Jan 1970 00:00:00 GMT", Some(Duration::ZERO)),
            // RFC 850's two-digit year: httpdate reads 00-69 as 20xx
            (b"Tuesday, 01-Jan-69 00:00:00 GMT", secs(2_340_112_223)),
            // invalid dates
            (b"Sun, 32 Nov 1994 08:49:37 GMT", None),
            (b"Sun, 06 Nov 1994 24:49:37 GMT", None),
            (b"Mon, 06 Nov 1994 08:49:37 GMT", None), // wrong weekday
            (b"sun, 06 nov 1994 08:49:37 gmt", None),
            (b"Sun, 06 Nov 1994 08:49:37 UTC", None),
            (b"Sun, 06 Nov 1994 08:49:37 GMT x", None),
            (b"Sun, 06 Nov 1969 08:49:37 GMT", None),
            (b"Sun, 6 Nov 1994 08:49:37 GMT", None),
            (b"1994-11-06T08:50:37Z", None),
            (b"\x0cSun, 06 Nov 1994 08:50:37 GMT", None),
            (b"Sun, 06 Nov 1994 08:50:37 GMT\n", None),
            (b"Sun, 06 Nov 1994 08:50:37 GMT\xff", None),
            (b"", None),
            (b"soon", None),
        ];
        for &(input, expected) in cases {
            assert_eq!(
                parse_retry_after(input, now()),
                expected,
                "input {:?}",
                String::from_utf8_lossy(input),
            );
        }
    }

    #[test]
    fn retry_after_at_table() {
        type Case<'a> = (Lines<'a>, &'a [&'a str], Option<Duration>);
        let cases: &[Case<'_>] = &[
            (&[("Retry-After", b"120")], &["retry-after"], secs(120)),
            (&[], &["retry-after"], None),
            (&[("Retry-After", b"120")], &[], None),
            // tried in order: the first present one wins ...
            (
                &[("Ratelimit-Reset", b"200"), ("Retry-After", b"5")],
                &["ratelimit-reset", "retry-after"],
                secs(200),
            ),
            (
                &[("Ratelimit-Reset", b"200"), ("Retry-After", b"5")],
                &["retry-after", "ratelimit-reset"],
                secs(5),
            ),
            // ... an absent or unreadable one passes the turn
            (
                &[("Retry-After", b"5")],
                &["ratelimit-reset", "retry-after"],
                secs(5),
            ),
            (
                &[("Ratelimit-Reset", b"soon"), ("Retry-After", b"5")],
                &["ratelimit-reset", "retry-after"],
                secs(5),
            ),
            // only the first value of a header is read
            (
                &[("Retry-After", b"soon"), ("Retry-After", b"5")],
                &["retry-after"],
                None,
            ),
            // names are case-insensitive; a name other than Retry-After is
            // a reset: no HTTP-date, but a Unix time from 10^9 on, measured
            // from `now`
            (
                &[("x-ratelimit-reset", b"Sun, 06 Nov 1994 08:50:37 GMT")],
                &["X-RateLimit-Reset"],
                None,
            ),
            (
                &[("x-ratelimit-reset", b"1000000000")],
                &["X-RateLimit-Reset"],
                secs(1_000_000_000 - 784_111_777),
            ),
            (
                &[("ratelimit-reset", b" 30 ")],
                &["ratelimit-reset"],
                secs(30),
            ),
            (
                &[("Retry-After", b"Sun, 06 Nov 1994 08:50:37 GMT")],
                &["retry-after"],
                secs(60),
            ),
            // the structured field gives its reset, not a delay-seconds reading
            (
                &[("RateLimit", br#""default";r=0;t=42"#)],
                &["RateLimit"],
                secs(42),
            ),
            (
                &[("RateLimit", b"limit=10, remaining=0, reset=7")],
                &["ratelimit"],
                secs(7),
            ),
            (&[("RateLimit", b"30")], &["ratelimit"], None),
            (
                &[("RateLimit", br#""default";r=0"#), ("Retry-After", b"9")],
                &["ratelimit", "retry-after"],
                secs(9),
            ),
        ];
        for &(pairs, tried, expected) in cases {
            let headers = header_map(pairs);
            assert_eq!(
                retry_after_at(&headers, &names(tried), now()),
                expected,
                "headers {pairs:?}, names {tried:?}",
            );
        }
    }

    #[test]
    fn rate_limit_table() {
        type Case<'a> = (Lines<'a>, Option<RateLimit>);
        let cases: &[Case<'_>] = &[
            (&[], None),
            (&[("Retry-After", b"5"), ("X-Request-Id", b"abc")], None),
            // the separate headers, as On-Demand documents them
            (
                &[
                    ("Ratelimit-Limit", b"150"),
                    ("Ratelimit-Remaining", b"100"),
                    ("Ratelimit-Reset", b"200"),
                ],
                Some(limits(Some(150), Some(100), Some(200))),
            ),
            (
                &[
                    ("RATELIMIT-LIMIT", b"150"),
                    ("rAtElImIt-ReMaInInG", b" 0 "),
                    ("ratelimit-reset", b"007"),
                ],
                Some(limits(Some(150), Some(0), Some(7))),
            ),
            (
                &[("RateLimit-Remaining", b"3")],
                Some(limits(None, Some(3), None)),
            ),
            // a list in a separate header: its leading number
            (
                &[("RateLimit-Limit", b"100, 100;w=60, 1000;w=3600")],
                Some(limits(Some(100), None, None)),
            ),
            (
                &[("RateLimit-Limit", b"100;w=60")],
                Some(limits(Some(100), None, None)),
            ),
            (
                &[("RateLimit-Limit", b"99999999999999999999999")],
                Some(limits(Some(u64::MAX), None, None)),
            ),
            // present but unreadable: the field is unknown, not zero
            (
                &[
                    ("RateLimit-Limit", b"-1"),
                    ("RateLimit-Remaining", b"abc"),
                    ("RateLimit-Reset", b"1.5"),
                ],
                Some(limits(None, None, None)),
            ),
            // the X- fallback, and precedence over it
            (
                &[
                    ("X-RateLimit-Limit", b"60"),
                    ("X-RateLimit-Remaining", b"59"),
                    ("X-RateLimit-Reset", b"3600"),
                ],
                Some(limits(Some(60), Some(59), Some(3600))),
            ),
            (
                &[
                    ("RateLimit-Remaining", b"5"),
                    ("X-RateLimit-Remaining", b"7"),
                    ("X-RateLimit-Limit", b"60"),
                ],
                Some(limits(Some(60), Some(5), None)),
            ),
            (
                &[
                    ("RateLimit-Remaining", b"-1"),
                    ("X-RateLimit-Remaining", b"7"),
                ],
                Some(limits(None, Some(7), None)),
            ),
            // the structured fields, draft 08 onward
            (
                &[
                    ("RateLimit", br#""default";r=50;t=30"#),
                    ("RateLimit-Policy", br#""default";q=100;w=60"#),
                ],
                Some(limits(Some(100), Some(50), Some(30))),
            ),
            (
                &[("RateLimit", br#""default";r=50;t=30"#)],
                Some(limits(None, Some(50), Some(30))),
            ),
            (
                &[("RateLimit-Policy", br#""default";q=100;w=60"#)],
                Some(limits(Some(100), None, None)),
            ),
            (
                &[("RateLimit", b"default;r=50;t=30")],
                Some(limits(None, Some(50), Some(30))),
            ),
            (
                &[("RateLimit", br#""a";r=1;t=2, "b";r=3;t=4"#)],
                Some(limits(None, Some(1), Some(2))),
            ),
            (
                &[("RateLimit", br#""d";r=5;r=6;t=1"#)],
                Some(limits(None, Some(6), Some(1))),
            ),
            (
                &[
                    ("RateLimit", br#""hour";r=5;t=60"#),
                    (
                        "RateLimit-Policy",
                        br#""minute";q=10;w=60, "hour";q=100;w=3600"#,
                    ),
                ],
                Some(limits(Some(100), Some(5), Some(60))),
            ),
            (
                &[
                    ("RateLimit", br#""day";r=5;t=60"#),
                    ("RateLimit-Policy", br#""minute";q=10;w=60, "hour";q=100"#),
                ],
                Some(limits(Some(10), Some(5), Some(60))),
            ),
            (
                &[("RateLimit", br#""d";r=-1;t=1.5"#)],
                Some(limits(None, None, None)),
            ),
            (
                &[("RateLimit", br#"("a" "b");r=1, "c";r=2"#)],
                Some(limits(None, None, None)),
            ),
            // draft 07: a Dictionary, and an Integer policy
            (
                &[("RateLimit", b"limit=100, remaining=50, reset=30")],
                Some(limits(Some(100), Some(50), Some(30))),
            ),
            (
                &[("RateLimit", b"remaining=-3, reset=(1 2), limit")],
                Some(limits(None, None, None)),
            ),
            (
                &[("RateLimit-Policy", b"100;w=60, 1000;w=3600")],
                Some(limits(Some(100), None, None)),
            ),
            // structured first, field by field; a broken one falls through
            (
                &[
                    ("RateLimit", br#""default";r=0;t=10"#),
                    ("RateLimit-Remaining", b"9"),
                    ("RateLimit-Reset", b"99"),
                    ("RateLimit-Limit", b"100"),
                ],
                Some(limits(Some(100), Some(0), Some(10))),
            ),
            (
                &[
                    ("RateLimit", br#""default;r=0;t=10"#),
                    ("RateLimit-Remaining", b"9"),
                ],
                Some(limits(None, Some(9), None)),
            ),
            (
                &[("RateLimit", b"limit=100, remaining=50, reset=30 garbage")],
                Some(limits(None, None, None)),
            ),
        ];
        for &(pairs, expected) in cases {
            let headers = header_map(pairs);
            assert_eq!(rate_limit(&headers), expected, "headers {pairs:?}");
        }
    }

    #[test]
    fn request_id_table() {
        let name = HeaderName::from_static("x-request-id");
        let cases: &[(Lines<'_>, Option<&str>)] = &[
            (&[("X-Request-Id", b"7f3a-22")], Some("7f3a-22")),
            (&[("x-request-id", b" \t7f3a-22\t ")], Some("7f3a-22")),
            (&[("X-Request-Id", b"a b")], Some("a b")),
            (&[("X-Request-Id", b"")], None),
            (&[("X-Request-Id", b" \t ")], None),
            (&[("X-Request-Id", "caf\u{e9}".as_bytes())], None),
            (&[("X-Request-Id", b"id\xff")], None),
            (
                &[("X-Request-Id", b"first"), ("X-Request-Id", b"second")],
                Some("first"),
            ),
            (&[("X-Correlation-Id", b"other")], None),
            (&[], None),
        ];
        for &(pairs, expected) in cases {
            let headers = header_map(pairs);
            assert_eq!(request_id(&headers, &name), expected, "headers {pairs:?}");
        }
    }

    #[test]
    fn rate_limit_new_and_exhaustion() {
        let announced = RateLimit::new(1, 0, Duration::from_secs(2));
        assert_eq!(announced, limits(Some(1), Some(0), Some(2)));
        assert!(announced.is_exhausted());
        assert!(!limits(Some(1), None, Some(2)).is_exhausted());
    }

    /// Bytes that make parsers take their interesting branches far more
    /// often than uniform bytes do.
    fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
        let alphabet = b" \t0123456789+-.e,;=\"()r:tq?*limt\x80\xff".to_vec();
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..48),
            proptest::collection::vec(proptest::sample::select(alphabet), 0..48),
        ]
    }

    proptest! {
        #[test]
        fn delay_seconds_is_exactly_ows_digits(value in header_bytes()) {
            let trimmed = trim_ows(&value);
            let digits = !trimmed.is_empty() && trimmed.iter().all(u8::is_ascii_digit);
            let parsed = parse_delay_seconds(&value);
            prop_assert_eq!(parsed.is_some(), digits);
            if digits {
                let text = core::str::from_utf8(trimmed).expect("ASCII digits");
                let expected = text
                    .parse::<u64>()
                    .map_or(SATURATED_WAIT, |n| Duration::from_secs(n).min(SATURATED_WAIT));
                prop_assert_eq!(parsed, Some(expected));
            }
        }

        #[test]
        fn delay_seconds_reads_any_u64_back(
            number in any::<u64>(),
            zeros in 0_usize..4,
            before in "[ \t]{0,3}",
            after in "[ \t]{0,3}",
        ) {
            let value = format!("{before}{}{number}{after}", "0".repeat(zeros));
            let expected = Duration::from_secs(number).min(SATURATED_WAIT);
            prop_assert_eq!(parse_delay_seconds(value.as_bytes()), Some(expected));
            prop_assert_eq!(parse_retry_after(value.as_bytes(), now()), Some(expected));
            // Whatever a server sends, adding the wait to a clock reading is safe.
            prop_assert!(std::time::Instant::now().checked_add(expected).is_some());
        }

        #[test]
        fn retry_after_reads_any_date_back(date in 0_u64..253_402_300_800, now in 0_u64..253_402_300_800) {
            let date = UNIX_EPOCH + Duration::from_secs(date);
            let now = UNIX_EPOCH + Duration::from_secs(now);
            let expected = date.duration_since(now).unwrap_or(Duration::ZERO).min(SATURATED_WAIT);
            let value = httpdate::fmt_http_date(date);
            prop_assert_eq!(parse_retry_after(value.as_bytes(), now), Some(expected));
        }

        #[test]
        fn structured_ratelimit_reads_back(
            remaining in -999_999_999_999_999_i64..=999_999_999_999_999,
            reset in -999_999_999_999_999_i64..=999_999_999_999_999,
            quota in -999_999_999_999_999_i64..=999_999_999_999_999,
        ) {
            let headers = header_map(&[
                ("RateLimit", format!(r#""p";r={remaining};t={reset}"#).as_bytes()),
                ("RateLimit-Policy", format!(r#""p";q={quota};w=60"#).as_bytes()),
            ]);
            let expected = limits(
                u64::try_from(quota).ok(),
                u64::try_from(remaining).ok(),
                u64::try_from(reset).ok(),
            );
            prop_assert_eq!(rate_limit(&headers), Some(expected));
        }

        #[test]
        fn every_parser_is_total_on_header_values(value in header_bytes()) {
            let Ok(header) = HeaderValue::from_bytes(&value) else {
                return Ok(());
            };
            let retry = parse_retry_after(&value, now());
            if let Some(delay) = parse_delay_seconds(&value) {
                prop_assert_eq!(retry, Some(delay));
            }

            let mut headers = HeaderMap::new();
            for name in RATE_LIMIT_HEADERS.iter().chain(&["retry-after", "x-request-id"]) {
                headers.insert(*name, header.clone());
            }
            let tried = names(&["retry-after", "ratelimit"]);
            let hint = retry_after_at(&headers, &tried, now());
            prop_assert!(retry.is_none() || hint == retry);
            let _ = retry_after_at(&headers, &tried[1..], now());
            prop_assert!(rate_limit(&headers).is_some());

            let id_name = HeaderName::from_static("x-request-id");
            if let Some(id) = request_id(&headers, &id_name) {
                prop_assert!(!id.is_empty());
                prop_assert!(!id.starts_with([' ', '\t']) && !id.ends_with([' ', '\t']));
                prop_assert!(value.windows(id.len()).any(|window| window == id.as_bytes()));
            }
        }
    }
}
