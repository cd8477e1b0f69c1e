//! The caller's own account: GET /api/v1/me and
//! PUT /api/v1/me/password, which signs out every other device.

use reqwest::header::WWW_AUTHENTICATE;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

async fn me(app: &TestApp, token: &str) -> Response {
    app.get("/api/v1/me", Some(&bearer(token))).await
}

async fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> Response {
    let body = json!({ "current_password": current, "new_password": new });
    let path = "/api/v1/me/password";
    app.send(Method::PUT, path, Some(&bearer(token)), Some(&body))
        .await
}

/// Status, challenge and exact body bytes, to compare two refusals.
pub async fn shape(response: Response) -> (StatusCode, Option<String>, Vec<u8>) {
    let status = response.status();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    (status, challenge, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn me_shows_who_the_caller_is() {
    let app = spawn_with_admin().await;
    let id = app.new_user("meg").await;
    let meg = app.login_ok("meg", &password_of("meg")).await;
    let response = me(&app, &meg.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(response.headers()), JSON);
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys.len(), 5, "{body}");
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["username"], "meg");
    assert_eq!(body["email"], "meg@mail.com");
    assert_eq!(body["roles"], json!([]));
    assert!(is_rfc3339_seconds(body["created_at"].as_str().unwrap()));
    // The admin sees their role; nobody is anybody without a token.
    let admin = app.admin_session().await;
    let body: Value = me(&app, &admin.token).await.json().await.unwrap();
    assert_eq!(body["roles"], json!(["admin"]));
    expect_no_header(app.get("/api/v1/me", None).await).await;
}

#[tokio::test]
async fn a_wrong_current_password_gets_the_logins_generic_401_and_changes_nothing() {
    let app = spawn().await;
    let first = app.user_session("forgetful").await;
    let second = app.login_ok("forgetful", &password_of("forgetful")).await;
    let refused = change_password(&app, &first.token, "not-my-password", "brand-new-pw").await;
    let failed_login = app.login("forgetful", "not-my-password").await;
    assert_eq!(shape(refused).await, shape(failed_login).await);
    // Both devices live on and the old password still works.
    expect_text(app.need_login(&first.token).await, NEED_LOGIN_TEXT).await;
    expect_text(app.need_login(&second.token).await, NEED_LOGIN_TEXT).await;
    app.login_ok("forgetful", &password_of("forgetful")).await;
    assert_eq!(app.login("forgetful", "brand-new-pw").await.status(), 401);
}

#[tokio::test]
async fn a_password_change_keeps_the_caller_and_signs_out_every_other_device() {
    let app = spawn().await;
    let caller = app.user_session("mover").await;
    let mut others = Vec::new();
    for _ in 0..2 {
        let other = app.login_ok("mover", &password_of("mover")).await;
        // Warm: the check must not answer from a stale cached entry.
        expect_text(app.need_login(&other.token).await, NEED_LOGIN_TEXT).await;
        others.push(other);
    }
    let new = "moved-to-a-new-password";
    expect_msg(
        change_password(&app, &caller.token, &password_of("mover"), new).await,
        StatusCode::OK,
        "password changed; your other devices are signed out",
    )
    .await;
    for other in &others {
        expect_invalid(app.need_login(&other.token).await).await;
    }
    expect_text(app.need_login(&caller.token).await, NEED_LOGIN_TEXT).await;
    let list: Value = app.tokens(&caller.token).await.json().await.unwrap();
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(list["tokens"][0]["id"], caller.id.as_str());
    // The old password is refused, the new one logs in.
    expect_err(
        app.login("mover", &password_of("mover")).await,
        StatusCode::UNAUTHORIZED,
        "invalid username or password",
    )
    .await;
    app.login_ok("mover", new).await;
}

#[tokio::test]
async fn a_new_password_breaking_the_rules_is_422_and_changes_nothing() {
    let app = spawn().await;
    let caller = app.user_session("short").await;
    let other = app.login_ok("short", &password_of("short")).await;
    expect_err(
        change_password(&app, &caller.token, &password_of("short"), "tiny").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "password must be 8 to 128 characters",
    )
    .await;
    expect_text(app.need_login(&other.token).await, NEED_LOGIN_TEXT).await;
    app.login_ok("short", &password_of("short")).await;
}
