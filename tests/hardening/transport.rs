//! Request framing over a raw socket: smuggling vectors and duplicate
//! `Authorization` headers are refused with 400 (see src/api/framing.rs:
//! with both `Content-Length` and `Transfer-Encoding` hyper reads chunked,
//! we refuse the length-less body with 411 and the connection closes).

use crate::common::*;

const LOGIN: &str = r#"{"username":"ann","password":"right password"}"#;

fn request(headers: &str, body: &str) -> Vec<u8> {
    format!("POST /api/v1/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n{headers}\r\n{body}")
        .into_bytes()
}

#[tokio::test]
async fn smuggling_vectors_are_refused() {
    let app = spawn().await;
    app.add_user("ann", "right password").await;
    let n = LOGIN.len();
    let chunked = format!("{n:x}\r\n{LOGIN}\r\n0\r\n\r\n");
    let cases = [
        (
            "length and chunked",
            format!("Content-Length: {n}\r\nTransfer-Encoding: chunked\r\n"),
            chunked.clone(),
        ),
        (
            "chunked and length",
            format!("Transfer-Encoding: chunked\r\nContent-Length: {n}\r\n"),
            chunked.clone(),
        ),
        (
            "two different lengths",
            format!("Content-Length: {n}\r\nContent-Length: 5\r\n"),
            LOGIN.to_owned(),
        ),
        (
            "a length list",
            format!("Content-Length: {n}, {n}\r\n"),
            LOGIN.to_owned(),
        ),
        (
            "a signed length",
            format!("Content-Length: +{n}\r\n"),
            LOGIN.to_owned(),
        ),
        (
            "chunked not last",
            "Transfer-Encoding: chunked, identity\r\n".to_owned(),
            chunked.clone(),
        ),
        (
            "an unknown coding",
            "Transfer-Encoding: xchunked\r\n".to_owned(),
            chunked.clone(),
        ),
        (
            "a space before the colon",
            format!("Content-Length : {n}\r\n"),
            LOGIN.to_owned(),
        ),
    ];
    for (name, headers, body) in cases {
        let answer = app.raw(&request(&headers, &body)).await;
        let status = status_of(&answer);
        let expected = if name.contains("chunked and") || name.contains("and chunked") {
            411
        } else {
            400
        };
        assert_eq!(status, expected, "{name}: {answer}");
        assert!(answer.contains("connection: close"), "{name}: {answer}");
    }
    assert_eq!(app.healthz_status().await, 200);
    app.stop().await;
}

#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let app = spawn().await;
    app.add_user("ann", "right password").await;
    let token = app.login_from("ann", "right password", "x").await;
    let token: serde_json::Value = token.json().await.unwrap();
    let token = token["token"].as_str().unwrap();
    let one = format!(
        "GET /need_login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    assert_eq!(status_of(&app.raw(one.as_bytes()).await), 200);
    for second in [
        format!("Bearer {token}"),
        "Bearer nonsense".to_owned(),
        "Basic eDp5".to_owned(),
    ] {
        let two = format!(
            "GET /need_login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nAuthorization: {second}\r\n\r\n"
        );
        let answer = app.raw(two.as_bytes()).await;
        assert_eq!(status_of(&answer), 400, "{second}: {answer}");
        assert!(answer.contains(r#"{"err":"#), "a JSON error: {answer}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_slow_drip_connections_do_not_keep_a_client_out() {
    use tokio::io::AsyncWriteExt;
    // The default cap (1,000 connections) leaves room for 500 slow ones.
    let app = spawn().await;
    let mut slow = Vec::new();
    for _ in 0..500 {
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Drip: a")
            .await
            .unwrap();
        slow.push(stream);
    }
    for stream in slow.iter_mut().step_by(7) {
        let _ = stream.write_all(b"b").await;
    }
    assert_eq!(app.healthz_status().await, 200);
    let answer = app
        .raw(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    assert_eq!(status_of(&answer), 200);
    drop(slow);
    app.stop().await;
}

#[tokio::test]
async fn a_connection_without_a_full_head_is_closed_by_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app =
        spawn_with(|config| config.header_timeout = std::time::Duration::from_millis(300)).await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // A generous bound only so a missing timeout fails instead of hanging.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "the server never closed the connection");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || status_of(&answer) == 408, "{answer}");
    app.stop().await;
}
