//! What the contract (docs/API.md) says responses look like.

use reqwest::header::{CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

pub const JSON: &str = "application/json; charset=utf-8";
pub const TEXT: &str = "text/plain; charset=utf-8";
pub const CHALLENGE: &str = r#"Bearer realm="guestlist""#;
pub const CHALLENGE_INVALID: &str = r#"Bearer realm="guestlist", error="invalid_token""#;
pub const CHALLENGE_SCOPE: &str = r#"Bearer realm="guestlist", error="insufficient_scope""#;

pub fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(CONTENT_TYPE)
        .map_or("", |v| v.to_str().unwrap())
}

pub fn challenge(headers: &HeaderMap) -> Option<&str> {
    headers.get(WWW_AUTHENTICATE).map(|v| v.to_str().unwrap())
}

/// Status, JSON content type and the exact body text.
pub async fn expect_json(response: Response, status: StatusCode, body: Value) {
    assert_eq!(response.status(), status, "status");
    assert_eq!(content_type(response.headers()), JSON, "content type");
    let text = response.text().await.unwrap();
    assert_eq!(text, serde_json::to_string(&body).unwrap(), "body");
}

pub async fn expect_err(response: Response, status: StatusCode, message: &str) {
    expect_json(response, status, json!({ "err": message })).await;
}

pub async fn expect_msg(response: Response, status: StatusCode, message: &str) {
    expect_json(response, status, json!({ "msg": message })).await;
}

pub async fn expect_text(response: Response, text: &str) {
    assert_eq!(response.status(), StatusCode::OK, "status");
    assert_eq!(content_type(response.headers()), TEXT, "content type");
    assert_eq!(response.text().await.unwrap(), text, "body");
}

/// 401 without credentials.
pub async fn expect_no_header(response: Response) {
    assert_eq!(challenge(response.headers()), Some(CHALLENGE));
    expect_err(
        response,
        StatusCode::UNAUTHORIZED,
        "no Authorization header found",
    )
    .await;
}

/// 401 for a token that is not live.
pub async fn expect_invalid(response: Response) {
    assert_eq!(challenge(response.headers()), Some(CHALLENGE_INVALID));
    expect_err(response, StatusCode::UNAUTHORIZED, "token is not valid").await;
}

/// 403 for a live token without the role.
pub async fn expect_forbidden(response: Response) {
    assert_eq!(challenge(response.headers()), Some(CHALLENGE_SCOPE));
    expect_err(
        response,
        StatusCode::FORBIDDEN,
        "you don't have the required roles",
    )
    .await;
}

pub const NEED_LOGIN_TEXT: &str = "if you see this, that means your token is valid";
pub const ADMIN_TEXT: &str = "if you see this, that means you are an admin";

/// RFC 3339 UTC to the second: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn is_rfc3339_seconds(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}
