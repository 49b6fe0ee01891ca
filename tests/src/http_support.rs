//! Real servers on 127.0.0.1 for the HTTP tests: an axum app, and raw TCP
//! peers that misbehave (reset mid-body, never answer).

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `app` on a fresh loopback port until the runtime ends.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    addr
}

/// An address where nothing listens (bound, then released).
pub async fn refused_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    listener.local_addr().expect("local addr")
}

/// Reads one request's head (up to the blank line).
async fn read_head(stream: &mut tokio::net::TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Answers every request with `status`, promises a 1,000-byte body, sends
/// 10 bytes of it and resets the connection.
pub async fn resets_mid_body(status: u16) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            read_head(&mut stream).await;
            let head = format!(
                "HTTP/1.1 {status} Whatever\r\ncontent-type: text/plain\r\nx-request-id: cut-1\r\ncontent-length: 1000\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(b"0123456789").await;
            let _ = stream.flush().await;
            // A zero linger makes the close a reset (RST) at once; it does
            // not block, which is what the deprecation warns about.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(std::time::Duration::ZERO));
            drop(stream);
        }
    });
    addr
}

/// Accepts connections and reads requests, but never answers.
pub async fn never_answers() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            read_head(&mut stream).await;
            held.push(stream);
        }
    });
    addr
}

/// Serves every connection with `answer`, spawned per connection once the
/// request's head is read: for peers that misbehave in their own way
/// (endless bodies, slow heads, broken status lines).
pub async fn raw_peer<F, Fut>(answer: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = std::sync::Arc::clone(&answer);
            tokio::spawn(async move {
                read_head(&mut stream).await;
                answer(stream).await;
            });
        }
    });
    addr
}

/// Answers `status` with a chunked body that never ends: a chunk every
/// 10 ms for as long as the client reads (at most 30 s).
pub async fn endless_chunked(status: u16) -> SocketAddr {
    raw_peer(move |mut stream| async move {
        let head = format!(
            "HTTP/1.1 {status} Whatever\r\ncontent-type: text/plain\r\nx-request-id: endless-1\r\ntransfer-encoding: chunked\r\n\r\n"
        );
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for _ in 0..3_000 {
            if stream.write_all(b"5\r\nhello\r\n").await.is_err() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
}

/// Answers `status`, promises a 1,000-byte body and sends it one byte
/// every `every`.
pub async fn trickles(status: u16, every: std::time::Duration) -> SocketAddr {
    raw_peer(move |mut stream| async move {
        let head = format!(
            "HTTP/1.1 {status} Whatever\r\ncontent-type: text/plain\r\nx-request-id: trickle-1\r\ncontent-length: 1000\r\n\r\n"
        );
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for _ in 0..1_000 {
            if stream.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
    })
    .await
}

/// A server at `/` allowing `limit` requests per fixed `window` on tokio's
/// clock (so a paused clock runs its windows too), announcing them in
/// `Ratelimit-*` headers with the reset in whole seconds rounded up, and
/// counting what it served and rejected (429).
pub struct FixedWindow {
    limit: u32,
    window: std::time::Duration,
    state: std::sync::Mutex<(Option<tokio::time::Instant>, u32)>,
    served: std::sync::atomic::AtomicU32,
    rejected: std::sync::atomic::AtomicU32,
}

impl FixedWindow {
    /// Starts the server; the handle reads its counts.
    pub async fn serve(
        limit: u32,
        window: std::time::Duration,
    ) -> (SocketAddr, std::sync::Arc<FixedWindow>) {
        use axum::extract::State;
        use std::sync::Arc;

        let server = Arc::new(FixedWindow {
            limit,
            window,
            state: std::sync::Mutex::new((None, 0)),
            served: 0.into(),
            rejected: 0.into(),
        });
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|State(server): State<Arc<FixedWindow>>| async move {
                    server.answer()
                }),
            )
            .with_state(Arc::clone(&server));
        (serve(app).await, server)
    }

    /// Requests answered 200.
    pub fn served(&self) -> u32 {
        self.served.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Requests answered 429.
    pub fn rejected(&self) -> u32 {
        self.rejected.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn answer(&self) -> axum::response::Response {
        use axum::response::IntoResponse;
        use std::sync::atomic::Ordering;

        let now = tokio::time::Instant::now();
        let (remaining, reset) = {
            let mut state = self.state.lock().unwrap();
            let start = match state.0 {
                Some(start) if now < start + self.window => start,
                _ => {
                    *state = (Some(now), 0);
                    now
                }
            };
            state.1 += 1;
            let left = (start + self.window).saturating_duration_since(now);
            // Whole seconds, rounded up, as a server must.
            let reset = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            (self.limit.checked_sub(state.1), reset)
        };
        let mut response = match remaining {
            Some(_) => {
                self.served.fetch_add(1, Ordering::SeqCst);
                "ok".into_response()
            }
            None => {
                self.rejected.fetch_add(1, Ordering::SeqCst);
                http::StatusCode::TOO_MANY_REQUESTS.into_response()
            }
        };
        let headers = response.headers_mut();
        headers.insert("Ratelimit-Limit", self.limit.into());
        headers.insert("Ratelimit-Remaining", remaining.unwrap_or(0).into());
        headers.insert("Ratelimit-Reset", reset.into());
        response
    }
}
