//! The conventions every route follows: 404, 405, 413, 415, 400, never 500.

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use crate::common::*;

/// A JSON error with a non-empty message; answers the message.
async fn json_err(response: Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status);
    assert_eq!(content_type(response.headers()), JSON);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    let message = body["err"].as_str().expect("an err message").to_owned();
    assert!(!message.is_empty());
    message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_is_404_not_found() {
    let app = spawn().await;
    for (method, path) in [
        (Method::GET, "/nope"),
        (Method::GET, "/api/v1"),
        (Method::POST, "/api/v1/signup/extra"),
        (Method::GET, "/api/v1/tokens/a/b"),
        (Method::DELETE, "/api/v1/users/x/roles"),
        (Method::GET, "/API/V1/TOKENS"),
    ] {
        let response = app.send(method, path, None, None).await;
        expect_err(response, StatusCode::NOT_FOUND, "not found").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_path_with_the_wrong_method_is_405() {
    let app = spawn().await;
    for (method, path) in [
        (Method::POST, "/"),
        (Method::DELETE, "/need_login"),
        (Method::POST, "/admin"),
        (Method::POST, "/healthz"),
        (Method::GET, "/api/v1/signup"),
        (Method::PUT, "/api/v1/login"),
        (Method::GET, "/api/v1/logout"),
        (Method::POST, "/api/v1/tokens"),
        (Method::PATCH, "/api/v1/tokens/some-id"),
        (Method::GET, "/api/v1/roles"),
        (Method::PUT, "/api/v1/roles/admin"),
        (Method::GET, "/api/v1/users/x/roles/y"),
    ] {
        let response = app.send(method.clone(), path, None, None).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        json_err(response, StatusCode::METHOD_NOT_ALLOWED).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_16_kib_is_413_and_one_of_16_kib_is_read() {
    let app = spawn().await;
    app.new_user("zoe").await;
    let login = format!(
        r#"{{"username":"zoe","password":"{}"}}"#,
        password_of("zoe")
    );
    let padded = |size: usize| {
        let mut body = login.clone().into_bytes();
        body.resize(size, b' ');
        body
    };
    let too_big = app
        .post_raw(
            "/api/v1/login",
            Some("application/json"),
            padded(16 * 1024 + 1),
        )
        .await;
    json_err(too_big, StatusCode::PAYLOAD_TOO_LARGE).await;
    let huge = app
        .post_raw("/api/v1/signup", None, vec![b' '; 1024 * 1024])
        .await;
    json_err(huge, StatusCode::PAYLOAD_TOO_LARGE).await;
    let just_fits = app
        .post_raw("/api/v1/login", Some("application/json"), padded(16 * 1024))
        .await;
    session(just_fits).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_as_anything_but_json_is_415() {
    let app = spawn().await;
    let body = br#"{"username":"amy","email":"amy@mail.com","password":"password1"}"#.to_vec();
    for kind in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .post_raw("/api/v1/signup", Some(kind), body.clone())
            .await;
        json_err(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    }
    let form = app
        .post_raw(
            "/api/v1/login",
            Some("application/x-www-form-urlencoded"),
            b"username=amy".to_vec(),
        )
        .await;
    json_err(form, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    // application/json with parameters, in any case, or no content type at all: read.
    let charset = app
        .post_raw(
            "/api/v1/signup",
            Some("Application/JSON; charset=utf-8"),
            body.clone(),
        )
        .await;
    assert_eq!(charset.status(), StatusCode::CREATED);
    let untyped = br#"{"username":"bea","email":"bea@mail.com","password":"password1"}"#.to_vec();
    assert_eq!(
        app.post_raw("/api/v1/signup", None, untyped).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_not_one_well_typed_object_are_400_naming_the_problem() {
    let app = spawn().await;
    let cases: [(&[u8], &str); 12] = [
        (b"", ""),
        (b"null", ""),
        (b"[]", ""),
        (br#"["amy","amy@mail.com","password1"]"#, ""),
        (b"\"amy\"", ""),
        (b"42", ""),
        (br#"{"username":"amy","email":"amy@mail.com""#, ""),
        (b"{username: amy}", ""),
        (
            br#"{"username":1,"email":"amy@mail.com","password":"password1"}"#,
            "field `username` must be a string",
        ),
        (
            br#"{"username":"amy","email":null,"password":"password1"}"#,
            "field `email` must be a string",
        ),
        (
            br#"{"username":"amy","email":"amy@mail.com","password":"password1","admin":true}"#,
            "admin",
        ),
        (br#"{"username":"amy","email":"amy@mail.com"}"#, "password"),
    ];
    for (body, named) in cases {
        for kind in [None, Some("application/json")] {
            let response = app.post_raw("/api/v1/signup", kind, body.to_vec()).await;
            let message = json_err(response, StatusCode::BAD_REQUEST).await;
            assert!(message.contains(named), "{message:?} should name {named:?}");
        }
    }
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
    let response = app.post_raw("/api/v1/login", None, deep.into_bytes()).await;
    json_err(response, StatusCode::BAD_REQUEST).await;
    let bad_utf8 = b"{\"username\":\"\xff\",\"password\":\"password1\"}".to_vec();
    json_err(
        app.post_raw("/api/v1/login", None, bad_utf8).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let wrong_type = br#"{"username":"amy","password":"password1","description":7}"#.to_vec();
    let message = json_err(
        app.post_raw("/api/v1/login", None, wrong_type).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        message.contains("description") || message.contains("type"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_role_body_follows_the_same_rules() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    for body in [
        &b"null"[..],
        b"[]",
        br#"{"name":"x"}"#,
        br#"{"name":"x","description":"y","z":1}"#,
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/roles"))
            .header("authorization", bearer(&admin.token))
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        json_err(response, StatusCode::BAD_REQUEST).await;
    }
    let typed = app
        .client
        .post(app.url("/api/v1/roles"))
        .header("authorization", bearer(&admin.token))
        .header("content-type", "text/plain")
        .body(r#"{"name":"x","description":"y"}"#)
        .send()
        .await
        .unwrap();
    json_err(typed, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_keep_current_value_is_400_not_405_nor_500() {
    let app = spawn().await;
    let user = app.user_session("cleo").await;
    let path = "/api/v1/tokens?keep_current=banana";
    let response = app
        .send(Method::DELETE, path, Some(&bearer(&user.token)), None)
        .await;
    json_err(response, StatusCode::BAD_REQUEST).await;
    expect_text(app.need_login(&user.token).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_bodies_never_echo_the_password_or_the_token() {
    let app = spawn().await;
    let user = app.user_session("dora").await;
    let wrong = app
        .login("dora", "Secret-Guess-123")
        .await
        .text()
        .await
        .unwrap();
    assert!(!wrong.contains("Secret-Guess-123"), "{wrong}");
    let forged = format!("{}x", &user.token[..user.token.len() - 1]);
    let invalid = app.need_login(&forged).await.text().await.unwrap();
    assert!(!invalid.contains(&forged[forged.len() - 20..]), "{invalid}");
    let signature = user.token.rsplit('.').next().unwrap();
    let tampered = user
        .token
        .replace(signature, &signature.chars().rev().collect::<String>());
    let invalid = app.need_login(&tampered).await;
    assert!(!invalid.text().await.unwrap().contains("signature"));
}
