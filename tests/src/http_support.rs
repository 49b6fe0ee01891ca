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
