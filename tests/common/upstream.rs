//! An upstream app for the proxy tests: it answers every request with the
//! `X-Guestlist-User` the proxy gave it, as text or as a small HTML page.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves on a free port until the test ends; `html` wraps the answer in a
/// page (for a browser), else it is the bare text.
pub async fn spawn_upstream(html: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, html));
        }
    });
    addr
}

async fn answer(mut stream: TcpStream, html: bool) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let user = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("x-guestlist-user"))
        .map_or("", |(_, value)| value.trim());
    let text = format!("upstream reached by [{user}]");
    // Usernames are plain by the rules; the page escapes nothing else.
    let (kind, body) = match html {
        true => (
            "Content-Type: text/html\r\n",
            format!("<!doctype html><title>app</title><p id=who>{text}</p>"),
        ),
        false => ("", text),
    };
    let reply = format!(
        "HTTP/1.1 200 OK\r\n{kind}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
}
