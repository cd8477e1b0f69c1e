//! Bad bodies on sign-up and login: each a 4xx JSON error, never a 5xx;
//! the server keeps serving and the database is unchanged.

use reqwest::StatusCode;

use crate::common::library::user_and_token_counts;
use crate::common::*;

const JSON: &str = "application/json";

fn deep(depth: usize) -> Vec<u8> {
    let mut body = "[".repeat(depth).into_bytes();
    body.extend(std::iter::repeat_n(b']', depth));
    body
}

fn cases() -> Vec<(&'static str, Option<&'static str>, Vec<u8>)> {
    let big = "x".repeat(1 << 20);
    vec![
        (
            "over the limit",
            Some(JSON),
            format!(r#"{{"username":"{big}","password":"p"}}"#).into_bytes(),
        ),
        (
            "no content type",
            None,
            br#"{"username":"a","password":"password1"}"#.to_vec(),
        ),
        (
            "text/plain",
            Some("text/plain"),
            br#"{"username":"a","password":"password1"}"#.to_vec(),
        ),
        (
            "form",
            Some("application/x-www-form-urlencoded"),
            b"username=a&password=b".to_vec(),
        ),
        ("malformed", Some(JSON), br#"{"username":"a","#.to_vec()),
        ("empty", Some(JSON), Vec::new()),
        ("an array", Some(JSON), b"[1,2]".to_vec()),
        ("a string", Some(JSON), br#""hello""#.to_vec()),
        ("null", Some(JSON), b"null".to_vec()),
        ("a number", Some(JSON), b"42".to_vec()),
        (
            "wrong types",
            Some(JSON),
            br#"{"username":1,"password":true,"email":[]}"#.to_vec(),
        ),
        (
            "null fields",
            Some(JSON),
            br#"{"username":null,"password":null,"email":null}"#.to_vec(),
        ),
        (
            "unknown field",
            Some(JSON),
            br#"{"username":"a","password":"password1","email":"a@b","admin":true}"#.to_vec(),
        ),
        (
            "duplicate field",
            Some(JSON),
            br#"{"username":"a","username":"b","password":"password1","email":"a@b"}"#.to_vec(),
        ),
        (
            "invalid UTF-8",
            Some(JSON),
            b"{\"username\":\"\xff\xfe\",\"password\":\"password1\",\"email\":\"a@b\"}".to_vec(),
        ),
        (
            "lone surrogate",
            Some(JSON),
            br#"{"username":"\ud800","password":"password1","email":"a@b"}"#.to_vec(),
        ),
        ("10,000 deep", Some(JSON), deep(10_000)),
        (
            "deep in a field",
            Some(JSON),
            [br#"{"username":"#.to_vec(), deep(10_000), b"}".to_vec()].concat(),
        ),
        (
            "NUL in a name",
            Some(JSON),
            br#"{"username":"a\u0000b","password":"password1","email":"a@b.c"}"#.to_vec(),
        ),
        (
            "controls in a name",
            Some(JSON),
            br#"{"username":"a\u0007\u001b[31m","password":"password1","email":"a@b.c"}"#.to_vec(),
        ),
        (
            "raw control byte",
            Some(JSON),
            b"{\"username\":\"a\x01\",\"password\":\"password1\",\"email\":\"a@b.c\"}".to_vec(),
        ),
        (
            "trailing garbage",
            Some(JSON),
            br#"{"username":"a","password":"password1","email":"a@b.c"} x"#.to_vec(),
        ),
    ]
}

async fn expect_4xx(app: &TestApp, path: &str, name: &str, kind: Option<&str>, body: Vec<u8>) {
    let response = app.post_raw(path, kind, body).await;
    let status = response.status();
    assert!(status.is_client_error(), "{path} {name}: {status}");
    let body = err_body(response).await;
    assert!(body["err"].is_string(), "{path} {name}: {body}");
}

#[tokio::test]
async fn every_bad_body_is_a_4xx_json_error_and_changes_nothing() {
    let app = spawn().await;
    app.add_user("ann", "password123").await;
    let before = user_and_token_counts(&app.state).await;
    for (name, kind, body) in cases() {
        expect_4xx(&app, "/api/v1/signup", name, kind, body.clone()).await;
        expect_4xx(&app, "/api/v1/login", name, kind, body).await;
    }
    assert_eq!(
        user_and_token_counts(&app.state).await,
        before,
        "the database is unchanged"
    );
    assert_eq!(app.healthz_status().await, StatusCode::OK);
    app.login_token("ann", "password123").await;
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_without_reading_it() {
    let app = spawn().await;
    // Announce 1 GiB, send nothing: the answer must come from the length alone.
    let answer = app
        .raw(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n")
        .await;
    assert_eq!(status_of(&answer), 413, "{answer}");
    // Chunked without a length: refused, not read.
    let answer = app
        .raw(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        .await;
    assert_eq!(status_of(&answer), 411, "{answer}");
    assert_eq!(app.healthz_status().await, StatusCode::OK);
    app.stop().await;
}
