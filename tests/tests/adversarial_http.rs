//! Attacks from a lying or broken server over real loopback HTTP
//! (127.0.0.1 only), each against what the docs promise:
//!
//! - an error body that never ends, or trickles, is cut by the decoder's
//!   time cap and decoded from what arrived (nothing hangs);
//! - a head that comes slowly, a connection closed mid-status line, a head
//!   with thousands of headers: a transport error, classified as documented
//!   (retried with backoff, not safe to resend once the request may have
//!   been read), never a panic or a hang;
//! - hostile header bytes: decoding stays total and a hint that cannot be
//!   read is no hint.

use std::time::Duration;

use apifault::reqwest::Decoder;
use apifault::{ApiError, Retry, TransportError};
use apifault_tests::http_support::{endless_chunked, raw_peer, trickles};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

#[derive(Debug, thiserror::Error, ApiError)]
enum E {
    #[error("unavailable")]
    #[api(status = 503)]
    Unavailable {
        #[api(body)]
        body: String,
        #[api(request_id)]
        request_id: Option<String>,
        #[api(retry_after)]
        wait: Option<Duration>,
    },
    #[error(transparent)]
    #[api(transport)]
    Transport(#[from] reqwest::Error),
    #[error("unexpected {status}")]
    #[api(other)]
    Other {
        #[api(status)]
        status: http::StatusCode,
        #[api(body)]
        body: String,
    },
}

const CAP: Duration = Duration::from_millis(200);

#[tokio::test]
async fn an_endless_chunked_503_is_cut_at_the_time_cap() {
    let addr = endless_chunked(503).await;
    let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
    let started = Instant::now();
    let error: E = Decoder::default()
        .error_body_timeout(CAP)
        .error(response)
        .await;
    let took = started.elapsed();
    assert!(took >= CAP && took < CAP * 5, "took {took:?}");
    match error {
        E::Unavailable {
            body, request_id, ..
        } => {
            assert!(body.starts_with("hellohello"), "what arrived: {body:?}");
            assert_eq!(request_id.as_deref(), Some("endless-1"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_trickling_503_is_cut_at_the_time_cap() {
    let addr = trickles(503, Duration::from_millis(20)).await;
    let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
    let started = Instant::now();
    let result: Result<(), E> = Decoder::default()
        .error_body_timeout(CAP)
        .no_content(response)
        .await;
    let took = started.elapsed();
    assert!(took >= CAP && took < CAP * 5, "took {took:?}");
    match result {
        Err(E::Unavailable { body, .. }) => {
            assert!(
                !body.is_empty() && body.len() < 1_000,
                "{} bytes",
                body.len()
            );
            assert!(body.bytes().all(|b| b == b'x'));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_default_time_cap_is_ten_seconds() {
    // The paused clock runs the server's 10 ms chunks and the cap alike.
    let addr = endless_chunked(503).await;
    let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
    let started = Instant::now();
    let error: E = apifault::reqwest::no_content::<E>(response)
        .await
        .unwrap_err();
    assert!(matches!(error, E::Unavailable { .. }), "{error:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(10) && took < Duration::from_secs(11),
        "{took:?}"
    );
}

#[tokio::test]
async fn an_endless_body_also_stops_at_the_size_cap() {
    let addr = endless_chunked(418).await;
    let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
    let error: E = Decoder::default()
        .error_body_limit(100)
        .error_body_timeout(Duration::from_secs(30))
        .error(response)
        .await;
    assert!(
        matches!(&error, E::Other { body, .. } if body.len() == 100),
        "{error:?}"
    );
}

/// What a transport failure must look like: retried with backoff, and not
/// safe to resend (the server may have read the request).
fn assert_transport_after_send(error: &E) {
    let E::Transport(inner) = error else {
        panic!("expected a transport error, got {error:?}");
    };
    assert_eq!(TransportError::retry(inner), Retry::Backoff, "{inner:?}");
    assert!(!TransportError::safe_to_resend(inner), "{inner:?}");
    assert_eq!(error.retry(), Retry::Backoff);
    assert!(!error.safe_to_resend());
}

async fn get(http: &reqwest::Client, addr: std::net::SocketAddr) -> Result<(), E> {
    apifault::reqwest::no_content(http.get(format!("http://{addr}/")).send().await?).await
}

#[tokio::test]
async fn a_slow_head_ends_with_the_clients_timeout_as_a_transport_error() {
    let addr = raw_peer(|mut stream| async move {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n").await;
        for _ in 0..100 {
            if stream.write_all(b"x-slow: 1\r\n").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let http = reqwest::Client::builder().timeout(CAP).build().unwrap();
    let started = Instant::now();
    let error = get(&http, addr).await.unwrap_err();
    assert!(started.elapsed() < CAP * 5);
    assert_transport_after_send(&error);
}

#[tokio::test]
async fn a_connection_closed_mid_status_line_is_a_transport_error() {
    for partial in [
        &b"HTTP/1.1 50"[..],
        b"HTTP/1.1 ",
        b"HTT",
        b"HTTP/1.1 503 Unavail",
    ] {
        let addr = raw_peer(move |mut stream| async move {
            let _ = stream.write_all(partial).await;
            let _ = stream.shutdown().await;
        })
        .await;
        let error = get(&reqwest::Client::new(), addr).await.unwrap_err();
        assert_transport_after_send(&error);
    }
}

#[tokio::test]
async fn garbage_instead_of_a_status_line_is_a_transport_error() {
    let addr = raw_peer(|mut stream| async move {
        let _ = stream.write_all(b"\x00\xff\xfe garbage \r\n\r\n").await;
        let _ = stream.shutdown().await;
    })
    .await;
    let error = get(&reqwest::Client::new(), addr).await.unwrap_err();
    assert!(matches!(error, E::Transport(_)), "{error:?}");
    assert!(!error.safe_to_resend());
}

#[tokio::test]
async fn a_head_with_ten_thousand_headers_is_refused_not_a_hang() {
    let addr = raw_peer(|mut stream| async move {
        let mut head = String::from("HTTP/1.1 503 Busy\r\ncontent-length: 0\r\n");
        for i in 0..10_000 {
            head.push_str(&format!("x-h-{i}: {i}\r\n"));
        }
        head.push_str("\r\n");
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
    let started = Instant::now();
    let error = get(&reqwest::Client::new(), addr).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_transport_after_send(&error);
}

#[tokio::test]
async fn ninety_headers_are_decoded_and_the_hint_found_among_them() {
    let addr = raw_peer(|mut stream| async move {
        let mut head = String::from("HTTP/1.1 503 Busy\r\ncontent-length: 4\r\n");
        for i in 0..90 {
            head.push_str(&format!("retry-after-not-{i}: 999\r\n"));
        }
        head.push_str("retry-after: 7\r\nx-request-id: many-1\r\n\r\nbusy");
        let _ = stream.write_all(head.as_bytes()).await;
    })
    .await;
    let error = get(&reqwest::Client::new(), addr).await.unwrap_err();
    match &error {
        E::Unavailable {
            body,
            request_id,
            wait,
        } => {
            assert_eq!(body, "busy");
            assert_eq!(request_id.as_deref(), Some("many-1"));
            assert_eq!(*wait, Some(Duration::from_secs(7)));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn hostile_header_bytes_give_no_hint_and_no_panic() {
    let hostile: [&[u8]; 9] = [
        b"retry-after: \xff\xfe\x80",
        b"retry-after: -1",
        b"retry-after: 1e3",
        b"retry-after: 0x10",
        b"retry-after: 7 7",
        b"retry-after: \t",
        b"retry-after: Wed, 99 Foo 2026 25:61:61 GMT",
        b"retry-after: 5\r\nretry-after: 6",
        b"x-request-id: \xc3\x28\xa0\xa1",
    ];
    for line in hostile {
        let addr = raw_peer(move |mut stream| async move {
            let mut head = b"HTTP/1.1 503 Busy\r\ncontent-length: 0\r\n".to_vec();
            head.extend_from_slice(line);
            head.extend_from_slice(b"\r\n\r\n");
            let _ = stream.write_all(&head).await;
        })
        .await;
        let error = get(&reqwest::Client::new(), addr).await.unwrap_err();
        let E::Unavailable {
            wait, request_id, ..
        } = &error
        else {
            panic!("{:?}: {error:?}", String::from_utf8_lossy(line));
        };
        // Two `Retry-After` values disagree: neither is trusted over the other,
        // but whatever is read must be one of them.
        assert!(
            wait.is_none() || matches!(wait, Some(d) if d.as_secs() == 5 || d.as_secs() == 6),
            "{:?} read as {wait:?}",
            String::from_utf8_lossy(line)
        );
        assert!(request_id.is_none() || request_id.as_deref().is_some_and(|id| id.is_ascii()));
        assert_eq!(error.retry(), Retry::Backoff);
    }
}

#[tokio::test]
async fn a_time_cap_of_zero_decodes_the_head_alone_at_once() {
    let addr = endless_chunked(503).await;
    let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
    let started = Instant::now();
    let error: E = Decoder::default()
        .error_body_timeout(Duration::ZERO)
        .error(response)
        .await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        matches!(&error, E::Unavailable { request_id, .. } if request_id.as_deref() == Some("endless-1")),
        "{error:?}"
    );
}
