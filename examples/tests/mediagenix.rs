//! Mediagenix On-Demand end to end: the real client over real HTTP on
//! loopback against the emulator, under tokio's paused clock. For every
//! documented status: retried or not as documented, the documented waits,
//! and the right variant with its fields.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use apifault::{ApiError, RateLimit, Retry, Throttle};
use apifault_examples::emulator::Quota;
use apifault_examples::mediagenix::{
    DEMO_PASSWORD, DEMO_USER, MAX_RATE_LIMIT_WAIT, NewTitle, OnDemandClient, OnDemandEmulator,
    OnDemandError, RESTRICTED, ValidationErrors, documented_policy, restricted_character, start,
    start_bebanjo,
};
use http::StatusCode;
use tokio::time::Instant;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A client that has answered the emulator's Digest challenge before, so
/// that the emulator's log holds only the calls a test makes.
fn signed_in(base: &str, api: &OnDemandEmulator, policy: apifault::RetryPolicy) -> OnDemandClient {
    OnDemandClient::new(base, policy).with_challenge(api.challenge().clone())
}

/// An `Authorization` header that answers the emulator's challenge.
fn digest(api: &OnDemandEmulator, method: &str, uri: &str) -> String {
    api.challenge()
        .authorize(DEMO_USER, DEMO_PASSWORD, method, uri, 1)
}

async fn setup() -> (OnDemandClient, Arc<OnDemandEmulator>) {
    let (base, api) = start().await.expect("emulator");
    (signed_in(&base, &api, documented_policy()), api)
}

fn server(code: u16) -> OnDemandError {
    OnDemandError::Server {
        status: StatusCode::from_u16(code).unwrap(),
        request_id: Some(format!("r{code}")),
    }
}

fn statuses(api: &OnDemandEmulator) -> Vec<u16> {
    api.emulator.statuses()
}

#[tokio::test(start_paused = true)]
async fn documented_4xx_are_never_retried_and_keep_their_request_id() {
    let (client, api) = setup().await;
    let id = |code: u16| Some(format!("r{code}"));
    let cases: Vec<(OnDemandError, u16)> = vec![
        (
            OnDemandError::BadRequest {
                body: "body is not valid XML".into(),
                request_id: id(400),
            },
            400,
        ),
        (
            OnDemandError::Unauthorized {
                body: "Bad or missing credentials".into(),
                request_id: id(401),
            },
            401,
        ),
        (
            OnDemandError::NotFound {
                body: "Not found".into(),
                request_id: id(404),
            },
            404,
        ),
        (
            OnDemandError::MethodNotAllowed {
                body: "Method not supported by the resource".into(),
                request_id: id(405),
            },
            405,
        ),
        (
            OnDemandError::NotAcceptable {
                body: "Unsupported Accept header".into(),
                request_id: id(406),
            },
            406,
        ),
        (
            OnDemandError::UnsupportedMediaType {
                body: "Unsupported Content-Type".into(),
                request_id: id(415),
            },
            415,
        ),
        (
            OnDemandError::Invalid {
                body: ValidationErrors {
                    errors: vec!["Year is not a number".into()],
                },
                request_id: id(422),
            },
            422,
        ),
    ];
    for (error, code) in cases {
        api.emulator.clear_hits();
        api.emulator.script("GET /titles/{id}", [error]);
        let started = Instant::now();
        let e = client.get_title(1).await.unwrap_err();
        assert_eq!(e.status().map(|s| s.as_u16()), Some(code), "{e:?}");
        assert_eq!(e.retry(), Retry::Never);
        assert_eq!(
            e.request_id(),
            id(code).as_deref(),
            "support asks for the id"
        );
        assert_eq!(statuses(&api), [code], "{code} was not retried");
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}

#[tokio::test(start_paused = true)]
async fn undocumented_statuses_follow_the_documented_rules() {
    let (client, api) = setup().await;
    // Never a 4xx but 429, even a 408; back off on every 5xx, even 501/505.
    api.emulator.script(
        "GET /titles/{id}",
        [OnDemandError::Other {
            status: StatusCode::REQUEST_TIMEOUT,
            body: String::new(),
            request_id: None,
        }],
    );
    let e = client.get_title(1).await.unwrap_err();
    assert_eq!(
        (e.status().map(|s| s.as_u16()), e.retry()),
        (Some(408), Retry::Never)
    );
    assert_eq!(statuses(&api), [408]);
    api.emulator.clear_hits();
    api.emulator
        .script("GET /titles/{id}", [server(501), server(505)]);
    let started = Instant::now();
    assert!(client.get_title(1).await.is_ok());
    assert_eq!(
        statuses(&api),
        [501, 505, 200],
        "501 and 505 back off like any 5xx"
    );
    assert_eq!(started.elapsed(), secs(2 + 4));
}

#[tokio::test(start_paused = true)]
async fn an_unsupported_method_is_a_405_with_a_request_id() {
    let (base, api) = start().await.unwrap();
    let response = reqwest::Client::new()
        .put(format!("{base}/titles"))
        .header("authorization", digest(&api, "PUT", "/titles"))
        .send()
        .await
        .unwrap();
    let e: OnDemandError = apifault::reqwest::Decoder::default().error(response).await;
    assert!(
        matches!(&e, OnDemandError::MethodNotAllowed { request_id: Some(id), .. } if id.starts_with("req-")),
        "{e:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn fields_of_each_variant_survive_the_wire() {
    let (client, api) = setup().await;
    api.emulator.script(
        "GET /titles/{id}",
        [OnDemandError::BadRequest {
            body: "body is not valid XML".into(),
            request_id: Some("r400".into()),
        }],
    );
    let e = client.get_title(1).await.unwrap_err();
    assert!(
        matches!(&e, OnDemandError::BadRequest { body, request_id: Some(id) } if body == "body is not valid XML" && id == "r400"),
        "{e:?}"
    );

    let e = client
        .create_title(&NewTitle { name: "".into() })
        .await
        .unwrap_err();
    let OnDemandError::Invalid { body, request_id } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(body.errors, ["Name can't be blank"]);
    assert!(
        request_id
            .as_deref()
            .is_some_and(|id| id.starts_with("req-"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_waits_exactly_ratelimit_reset_then_succeeds() {
    let (client, api) = setup().await;
    api.emulator.script(
        "GET /titles/{id}",
        [OnDemandError::RateLimited {
            body: "Rate limit exceeded".into(),
            wait: Some(secs(200)),
            rate_limit: Some(RateLimit::new(150, 0, secs(200))),
            request_id: Some("r429".into()),
        }],
    );
    let started = Instant::now();
    assert_eq!(client.get_title(1).await.unwrap().name, "Heat");
    assert_eq!(
        started.elapsed(),
        secs(200),
        "no exponential backoff for 429"
    );
    assert_eq!(statuses(&api), [429, 200]);
}

#[tokio::test(start_paused = true)]
async fn a_429_surfaces_its_wait_its_rate_limit_and_its_request_id() {
    let (base, api) = start().await.unwrap();
    // A 429 is not a failure: it is max_server_waits that stops it here.
    let client = signed_in(
        &base,
        &api,
        documented_policy().max_retries(0).max_server_waits(0),
    );
    api.emulator.script(
        "GET /titles/{id}",
        [OnDemandError::RateLimited {
            body: "Rate limit exceeded".into(),
            wait: Some(secs(200)),
            rate_limit: Some(RateLimit::new(150, 0, secs(200))),
            request_id: Some("r429".into()),
        }],
    );
    let e = client.get_title(1).await.unwrap_err();
    let OnDemandError::RateLimited {
        body,
        wait,
        rate_limit,
        request_id,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*wait, Some(secs(200)));
    assert_eq!(*rate_limit, Some(RateLimit::new(150, 0, secs(200))));
    assert_eq!(request_id.as_deref(), Some("r429"));
    assert_eq!(body, "Rate limit exceeded", "the 429 keeps its reason");
    assert_eq!(statuses(&api), [429]);
}

#[tokio::test(start_paused = true)]
async fn a_429_reset_beyond_the_policy_cap_gives_up_at_once() {
    let (client, api) = setup().await;
    api.emulator.script(
        "GET /titles/{id}",
        [OnDemandError::RateLimited {
            body: "Rate limit exceeded".into(),
            wait: Some(secs(3_600)),
            rate_limit: None,
            request_id: None,
        }],
    );
    let started = Instant::now();
    let e = client.get_title(1).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(secs(3_600)));
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(statuses(&api), [429]);
}

#[tokio::test(start_paused = true)]
async fn five_hundreds_back_off_2_4_16_16_then_give_up() {
    let (client, api) = setup().await;
    api.emulator
        .script("GET /titles/{id}", [500, 502, 503, 504, 500].map(server));
    let started = Instant::now();
    let e = client.get_title(1).await.unwrap_err();
    assert!(
        matches!(&e, OnDemandError::Server { status, request_id: Some(id) } if status.as_u16() == 500 && id == "r500"),
        "{e:?}"
    );
    // The page's 2, 4, 16 s, the last repeating.
    assert_eq!(started.elapsed(), secs(2 + 4 + 16 + 16));
    assert_eq!(
        statuses(&api),
        [500, 502, 503, 504, 500],
        "four retries, then give up"
    );
}

#[tokio::test(start_paused = true)]
async fn maintenance_backs_off_until_it_ends() {
    let (base, api) = start().await.unwrap();
    api.emulator.maintenance_for(secs(5));
    let once = signed_in(&base, &api, documented_policy().max_retries(0));
    let e = once.get_title(1).await.unwrap_err();
    assert!(
        matches!(&e, OnDemandError::Maintenance { request_id: Some(id) } if id.starts_with("req-")),
        "{e:?}"
    );
    assert_eq!(e.retry(), Retry::Backoff);
    api.emulator.clear_hits();
    let client = signed_in(&base, &api, documented_policy());
    let started = Instant::now();
    assert!(client.get_title(1).await.is_ok());
    assert_eq!(statuses(&api), [503, 503, 200]);
    assert_eq!(started.elapsed(), secs(6));
}

#[tokio::test(start_paused = true)]
async fn an_atomic_post_is_resent_after_a_5xx() {
    let (client, api) = setup().await;
    api.emulator
        .script("POST /titles", [server(500), server(502)]);
    let title = client
        .create_title(&NewTitle {
            name: "Heat 2".into(),
        })
        .await
        .unwrap();
    assert_eq!(title.name, "Heat 2");
    assert_eq!(statuses(&api), [500, 502, 201]);
    assert!(server(500).safe_to_resend(), "the API is atomic");
}

#[tokio::test(start_paused = true)]
async fn restricted_file_names_are_rejected_before_sending() {
    let (client, api) = setup().await;
    // The documentation's list, spelled out here rather than read back from
    // the constant the client uses, and whitespace of several kinds.
    let documented = "&$+,/:;=?@<>[]{}|\\^~%#()";
    assert_eq!(RESTRICTED, documented);
    for character in documented.chars().chain([' ', '\t', '\n', '\u{a0}']) {
        let name = format!("sub{character}title.srt");
        let e = client.add_subtitle(1, &name).await.unwrap_err();
        assert!(
            matches!(&e, OnDemandError::InvalidFileName { character: c, .. } if *c == character),
            "{name:?}: {e:?}"
        );
        assert!(
            e.to_string().contains(&format!("{character:?}")),
            "the error names the character"
        );
    }
    assert_eq!(
        api.emulator.hits_of("POST /titles/{id}/subtitles"),
        0,
        "nothing was sent"
    );
    assert!(client.add_subtitle(1, "heat.en-GB.srt").await.is_ok());
    assert_eq!(restricted_character("fine_name-1.srt"), None);
}

#[tokio::test(start_paused = true)]
async fn a_restricted_name_that_reaches_the_server_is_a_malformed_syntax_400() {
    // Bypass the client's check, as a careless client would.
    let (url, api) = start().await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("{url}/titles/1/subtitles"))
        .header("authorization", digest(&api, "POST", "/titles/1/subtitles"))
        .header("content-type", "application/xml")
        .body("<subtitle><file_name>a b.srt</file_name></subtitle>")
        .send()
        .await
        .unwrap();
    let e: OnDemandError = apifault::reqwest::Decoder::default().error(response).await;
    assert!(
        matches!(&e, OnDemandError::BadRequest { body, .. } if body.contains("malformed syntax")),
        "{e:?}"
    );
    assert_eq!(statuses(&api), [400]);
}

#[tokio::test(start_paused = true)]
async fn any_2xx_is_success() {
    let (client, api) = setup().await;
    let title = client
        .create_title(&NewTitle { name: "New".into() })
        .await
        .unwrap();
    client.publish(title.id).await.unwrap();
    client.delete_title(title.id).await.unwrap();
    assert_eq!(statuses(&api), [201, 202, 204]);
}

#[tokio::test(start_paused = true)]
async fn a_sequence_of_dependent_calls_stops_at_the_first_error_and_notifies() {
    let (client, api) = setup().await;
    let notified = Arc::new(AtomicU32::new(0));
    let seen = Arc::clone(&notified);
    let client = client.on_give_up(move |event| {
        if event.reason.exhausted() && event.error.request_id() == Some("r500") {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    api.emulator
        .script("POST /titles/{id}/subtitles", (0..5).map(|_| server(500)));
    let started = Instant::now();
    let e = client
        .create_and_publish("Heat 3", "heat3.srt")
        .await
        .unwrap_err();
    assert!(matches!(e, OnDemandError::Server { .. }));
    assert_eq!(api.emulator.hits_of("POST /titles"), 1);
    assert_eq!(
        api.emulator.hits_of("POST /titles/{id}/subtitles"),
        5,
        "retried, then given up"
    );
    assert_eq!(
        api.emulator.hits_of("POST /titles/{id}/publication"),
        0,
        "the sequence stopped"
    );
    assert_eq!(started.elapsed(), secs(2 + 4 + 16 + 16));
    assert_eq!(
        notified.load(Ordering::SeqCst),
        1,
        "notified once, with the request id"
    );
}

#[tokio::test(start_paused = true)]
async fn a_throttled_client_never_sees_a_429() {
    let (base, api) = start().await.unwrap();
    api.emulator.enforce(Quota {
        limit: 150,
        window: secs(60),
    });
    let client = signed_in(&base, &api, documented_policy()).with_throttle(Throttle::new());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let client = client.clone();
        tasks.spawn(async move {
            for _ in 0..100 {
                client.get_title(1).await.expect("no error at all");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let seen = statuses(&api);
    assert_eq!(seen.len(), 400);
    assert!(
        seen.iter().all(|&s| s == 200),
        "{} rejected",
        seen.iter().filter(|&&s| s == 429).count()
    );
}

#[tokio::test(start_paused = true)]
async fn a_throttled_client_whose_calls_fail_never_sees_a_429_either() {
    let (base, api) = start().await.unwrap();
    api.emulator.enforce(Quota {
        limit: 3,
        window: secs(10),
    });
    let client = signed_in(&base, &api, documented_policy()).with_throttle(Throttle::new());
    let started = Instant::now();
    for id in [99, 1, 98, 97, 1, 96, 95] {
        let _ = client.get_title(id).await;
    }
    assert_eq!(
        statuses(&api),
        [404, 200, 404, 404, 200, 404, 404],
        "rate-limit headers come on errors too"
    );
    assert!(started.elapsed() >= secs(20), "it waited out two windows");
}

#[tokio::test(start_paused = true)]
async fn an_unthrottled_client_is_rate_limited_and_waits_the_reset() {
    let (base, api) = start().await.unwrap();
    api.emulator.enforce(Quota {
        limit: 3,
        window: secs(60),
    });
    let client = signed_in(&base, &api, documented_policy());
    let started = Instant::now();
    for _ in 0..4 {
        client.get_title(1).await.unwrap();
    }
    assert_eq!(statuses(&api), [200, 200, 200, 429, 200]);
    assert_eq!(
        started.elapsed(),
        secs(60),
        "waited exactly what Ratelimit-Reset said"
    );
}

#[tokio::test(start_paused = true)]
async fn missing_or_wrong_digest_credentials_are_a_401_with_a_challenge() {
    let (base, api) = start().await.unwrap();
    // No Authorization at all: the emulator's 401 states its challenge.
    let response = reqwest::Client::new()
        .get(format!("{base}/titles/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .and_then(apifault_examples::digest::Challenge::parse);
    assert_eq!(challenge.as_ref(), Some(api.challenge()));
    let e: OnDemandError = apifault::reqwest::Decoder::default().error(response).await;
    assert!(
        matches!(&e, OnDemandError::Unauthorized { body, request_id: Some(_) } if body == "Bad or missing credentials"),
        "{e:?}"
    );
    assert_eq!(e.retry(), Retry::Never);

    // A client without credentials: one 401, not retried.
    api.emulator.clear_hits();
    let anonymous = OnDemandClient::without_credentials(base.clone(), documented_policy());
    assert!(matches!(
        anonymous.get_title(1).await,
        Err(OnDemandError::Unauthorized { .. })
    ));
    assert_eq!(statuses(&api), [401]);

    // A wrong password: the challenge is answered once, the answer refused.
    api.emulator.clear_hits();
    let intruder =
        OnDemandClient::new(base.clone(), documented_policy()).with_credentials(DEMO_USER, "guess");
    assert!(matches!(
        intruder.get_title(1).await,
        Err(OnDemandError::Unauthorized { .. })
    ));
    assert_eq!(statuses(&api), [401, 401]);
    api.emulator.clear_hits();
    assert!(intruder.get_title(1).await.is_err());
    assert_eq!(
        statuses(&api),
        [401],
        "a known challenge is not answered again"
    );

    // The right credentials: the challenge, then every call signed.
    api.emulator.clear_hits();
    let client = OnDemandClient::new(base, documented_policy());
    assert_eq!(client.get_title(1).await.unwrap().name, "Heat");
    assert_eq!(client.get_title(1).await.unwrap().name, "Heat");
    assert_eq!(statuses(&api), [401, 200, 200]);
}

#[tokio::test(start_paused = true)]
async fn an_accept_that_admits_no_xml_is_a_406() {
    let (base, api) = start().await.unwrap();
    for accept in ["application/json", "text/html, text/plain;q=0.5"] {
        api.emulator.clear_hits();
        let client = signed_in(&base, &api, documented_policy()).with_accept(accept);
        let e = client.get_title(1).await.unwrap_err();
        assert!(
            matches!(&e, OnDemandError::NotAcceptable { body, .. } if body.contains("Accept")),
            "{accept}: {e:?}"
        );
        assert_eq!(statuses(&api), [406], "{accept}: never retried");
    }
    for accept in [
        "application/xml",
        "text/xml",
        "*/*",
        "application/*;q=0.9, text/html",
    ] {
        let client = signed_in(&base, &api, documented_policy()).with_accept(accept);
        assert!(client.get_title(1).await.is_ok(), "{accept}");
    }
}

#[tokio::test(start_paused = true)]
async fn every_4xx_keeps_the_reason_its_body_gives() {
    let (client, api) = setup().await;
    let reasons = [
        (401, "Digest credentials expired"),
        (404, "Title 1 was removed"),
        (405, "Titles cannot be patched"),
        (406, "Only XML here"),
        (415, "Send application/xml"),
        (429, "150 requests per 200 seconds"),
    ];
    for (code, reason) in reasons {
        let body = reason.to_owned();
        let request_id = Some(format!("r{code}"));
        let error = match code {
            401 => OnDemandError::Unauthorized { body, request_id },
            404 => OnDemandError::NotFound { body, request_id },
            405 => OnDemandError::MethodNotAllowed { body, request_id },
            406 => OnDemandError::NotAcceptable { body, request_id },
            415 => OnDemandError::UnsupportedMediaType { body, request_id },
            _ => OnDemandError::RateLimited {
                body,
                wait: None,
                rate_limit: None,
                request_id,
            },
        };
        api.emulator.script("GET /titles/{id}", [error]);
        let once = signed_in(
            &client_base(&client),
            &api,
            documented_policy().max_retries(0).max_server_waits(0),
        );
        let e = once.get_title(1).await.unwrap_err();
        assert_eq!(e.status().map(|s| s.as_u16()), Some(code));
        assert!(e.to_string().contains(reason), "{code}: {e}");
    }
}

/// The base URL a client was made for.
fn client_base(client: &OnDemandClient) -> String {
    client.base().to_owned()
}

#[tokio::test(start_paused = true)]
async fn rate_limits_use_up_none_of_the_four_retries() {
    let (client, api) = setup().await;
    let rate_limited = |reset: u64| OnDemandError::RateLimited {
        body: "Rate limit exceeded".into(),
        wait: Some(secs(reset)),
        rate_limit: Some(RateLimit::new(150, 0, secs(reset))),
        request_id: None,
    };
    api.emulator.script(
        "GET /titles/{id}",
        [
            rate_limited(200),
            server(500),
            rate_limited(200),
            server(502),
            server(503),
            rate_limited(10),
            server(504),
        ],
    );
    let started = Instant::now();
    assert!(client.get_title(1).await.is_ok());
    assert_eq!(statuses(&api), [429, 500, 429, 502, 503, 429, 504, 200]);
    assert_eq!(
        started.elapsed(),
        secs(200 + 2 + 200 + 4 + 16 + 10 + 16),
        "resets exactly, and the 5xx backoff grows with 5xx only"
    );
}

#[tokio::test(start_paused = true)]
async fn a_reset_over_the_cap_gives_up_and_says_why() {
    assert!(
        MAX_RATE_LIMIT_WAIT >= secs(200),
        "the page's own example resets in 200 s"
    );
    let (base, api) = start().await.unwrap();
    let reasons = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&reasons);
    let client = signed_in(&base, &api, documented_policy())
        .on_give_up(move |event| seen.lock().unwrap().push(event.reason));
    let reset = MAX_RATE_LIMIT_WAIT + secs(1);
    api.emulator.script(
        "GET /titles/{id}",
        [OnDemandError::RateLimited {
            body: "Rate limit exceeded".into(),
            wait: Some(reset),
            rate_limit: None,
            request_id: None,
        }],
    );
    let e = client.get_title(1).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(reset));
    let reasons = reasons.lock().unwrap().clone();
    assert_eq!(
        reasons,
        [apifault::StopReason::ServerWaitTooLong { asked: reset }]
    );
    assert_eq!(
        reasons[0].to_string(),
        "the server asked to wait 301s, over max_server_wait"
    );
    assert_eq!(statuses(&api), [429]);
}

#[tokio::test(start_paused = true)]
async fn the_bebanjo_emulator_sends_no_ratelimit_headers() {
    let (base, api) = start_bebanjo().await.unwrap();
    api.emulator.enforce(Quota {
        limit: 1,
        window: secs(10),
    });
    let http = reqwest::Client::new();
    for expected in [200, 429] {
        let response = http
            .get(format!("{base}/titles/1"))
            .header("authorization", digest(&api, "GET", "/titles/1"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected);
        let names: Vec<&str> = response.headers().keys().map(|k| k.as_str()).collect();
        assert!(
            names.iter().all(|name| !name.starts_with("ratelimit")),
            "{names:?}"
        );
        assert!(names.contains(&"x-request-id"));
    }
}

#[tokio::test(start_paused = true)]
async fn one_client_works_with_and_without_ratelimit_headers() {
    for (bebanjo, waits) in [
        (false, vec![secs(10)]),
        (true, vec![secs(2), secs(4), secs(16)]),
    ] {
        let (base, api) = if bebanjo {
            start_bebanjo().await.unwrap()
        } else {
            start().await.unwrap()
        };
        api.emulator.enforce(Quota {
            limit: 2,
            window: secs(10),
        });
        let recorder = apifault_examples::tour::Recorder::default();
        let client = signed_in(&base, &api, recorder.attach(documented_policy()));
        for _ in 0..3 {
            client.get_title(1).await.unwrap();
        }
        // Mediagenix: the 429 says when the window resets, and the client
        // waits exactly that. BeBanjo: nothing says it, so the client backs
        // off on the page's schedule until the window has reset
        // (2 + 4 + 16 s > 10 s).
        assert_eq!(recorder.take(), waits, "bebanjo: {bebanjo}");
        let seen = statuses(&api);
        assert_eq!(seen.first(), Some(&200));
        assert_eq!(seen.last(), Some(&200));
        // And a throttled client never meets a 429 where the headers come.
        if !bebanjo {
            api.emulator.clear_hits();
            let throttled =
                signed_in(&base, &api, documented_policy()).with_throttle(Throttle::new());
            for _ in 0..5 {
                throttled.get_title(1).await.unwrap();
            }
            assert!(statuses(&api).iter().all(|&s| s == 200));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_api_speaks_xml_and_a_422_body_is_its_xml_errors() {
    let (base, api) = start().await.unwrap();
    let post = |body: &'static str, content_type: &'static str| {
        reqwest::Client::new()
            .post(format!("{base}/titles"))
            .header("authorization", digest(&api, "POST", "/titles"))
            .header("accept", "application/xml")
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let response = post("<title><name>Ronin</name></title>", "application/xml")
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], "application/xml");
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("<title><id>") && text.contains("<name>Ronin</name>"),
        "{text}"
    );

    let response = post("<title><name> </name></title>", "application/xml")
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(response.headers()["content-type"], "application/xml");
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("<?xml") && text.contains("<errors><error>Name can"),
        "{text}"
    );

    let response = post(r#"{"name": "Ronin"}"#, "application/json")
        .await
        .unwrap();
    assert_eq!(response.status(), 415, "the API takes XML only");
}

#[tokio::test(start_paused = true)]
async fn a_typed_xml_error_body_decodes_into_its_variant() {
    let (client, api) = setup().await;
    let errors = vec![
        "Name can't be blank".to_owned(),
        "Year <1900> & earlier is \"not\" allowed".to_owned(),
    ];
    api.emulator.script(
        "GET /titles/{id}",
        [OnDemandError::Invalid {
            body: ValidationErrors {
                errors: errors.clone(),
            },
            request_id: Some("r422".into()),
        }],
    );
    let e = client.get_title(1).await.unwrap_err();
    let OnDemandError::Invalid { body, request_id } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(body.errors, errors, "escaped text survives the wire");
    assert_eq!(request_id.as_deref(), Some("r422"));
    assert_eq!(statuses(&api), [422]);
}

/// A server that answers every `GET /titles/1` with a 422 and `body`,
/// counting the requests.
async fn answering_422(body: &'static str) -> (String, Arc<AtomicU32>) {
    let hits = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&hits);
    let app = axum::Router::new().route(
        "/titles/1",
        axum::routing::get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    [("content-type", "application/xml")],
                    body,
                )
            }
        }),
    );
    let addr = apifault_examples::emulator::serve(app).await.unwrap();
    (format!("http://{addr}"), hits)
}

/// A body the enum cannot read goes to `Other` with its status and text,
/// never retried: a malformed XML 422 goes where a malformed JSON 422 went
/// when the emulator spoke JSON, and a JSON 422 is now such a body too.
#[tokio::test(start_paused = true)]
async fn a_malformed_xml_error_body_goes_where_a_malformed_json_one_goes() {
    let cases = [
        "<errors><error>Name can't be blank</error>",
        "<errors><error>Name can't be blank</errors></error>",
        r#"{"errors": ["Name can't be blank"]}"#,
        "{\"errors\": [",
        "",
    ];
    for body in cases {
        let (base, hits) = answering_422(body).await;
        let client = OnDemandClient::without_credentials(base, documented_policy());
        let started = Instant::now();
        let e = client.get_title(1).await.unwrap_err();
        assert!(
            matches!(&e, OnDemandError::Other { status, body: kept, .. }
                if *status == StatusCode::UNPROCESSABLE_ENTITY && kept == body),
            "{body:?}: {e:?}"
        );
        assert_eq!(e.retry(), Retry::Never, "{body:?}");
        assert_eq!(hits.load(Ordering::SeqCst), 1, "{body:?}: not retried");
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
