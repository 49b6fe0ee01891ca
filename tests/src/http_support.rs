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
