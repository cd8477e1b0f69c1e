//! Passwords and usernames at and past their limits (API.md: passwords of
//! 8 to 128 characters of any Unicode, never truncated), and a tampered
//! stored hash: always a 4xx, never a panic.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::library::{overwrite_stored_user, stored_user};
use crate::common::*;

#[tokio::test]
async fn password_lengths_follow_the_contract_and_count_in_full() {
    let app = spawn().await;
    let emoji = "\u{1f600}".repeat(64);
    let cases = [
        (0, "".to_owned(), StatusCode::UNPROCESSABLE_ENTITY),
        (7, "p".repeat(7), StatusCode::UNPROCESSABLE_ENTITY),
        (8, "p".repeat(8), StatusCode::CREATED),
        (72, "p".repeat(72), StatusCode::CREATED),
        (73, "p".repeat(73), StatusCode::CREATED),
        (128, "p".repeat(128), StatusCode::CREATED),
        (129, "p".repeat(129), StatusCode::UNPROCESSABLE_ENTITY),
        (64, emoji, StatusCode::CREATED),
    ];
    for (n, (chars, password, expected)) in cases.into_iter().enumerate() {
        let username = format!("user{n}");
        let status = app.signup_with(&username, &password).await.status();
        assert_eq!(status, expected, "{chars} characters");
        if status == StatusCode::CREATED {
            app.login_token(&username, &password).await;
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn passwords_sharing_their_first_72_bytes_are_different_passwords() {
    let app = spawn().await;
    let prefix = "s".repeat(72);
    assert_eq!(
        app.signup_with("ann", &format!("{prefix}-right"))
            .await
            .status(),
        StatusCode::CREATED
    );
    for wrong in [
        format!("{prefix}-wrong"),
        prefix.clone(),
        format!("{prefix}x"),
    ] {
        let response = app.login_from("ann", &wrong, "x").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{}",
            wrong.len()
        );
    }
    // Same for multi-byte characters straddling byte 72.
    let wide = "\u{e9}".repeat(40); // 80 bytes
    assert_eq!(
        app.signup_with("bob", &format!("{wide}1")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.login_from("bob", &format!("{wide}2"), "x")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    app.login_token("ann", &format!("{prefix}-right")).await;
    app.stop().await;
}

#[tokio::test]
async fn huge_passwords_are_refused_without_hashing() {
    let app = spawn().await;
    app.add_user("ann", "password123").await;
    let megabyte = "p".repeat(1 << 20);
    let response = app.login_from("ann", &megabyte, "x").await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(err_body(response).await["err"].is_string());
    assert_eq!(
        app.signup_with("big", &megabyte).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // Under the body limit but over 128 characters: the generic 401.
    let long = format!("password123{}", "p".repeat(10_000));
    assert_eq!(
        app.login_from("ann", &long, "x").await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

#[tokio::test]
async fn odd_usernames_are_refused_and_case_does_not_make_a_new_name() {
    let app = spawn().await;
    app.add_user("Ann", "password123").await;
    for name in [
        "a\u{0}b",
        "ann\u{202e}gpj.exe",
        "a b",
        "\u{200b}ann",
        "ann\n",
        "\u{1f600}",
    ] {
        assert_eq!(
            app.signup_with(name, "password123").await.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}"
        );
    }
    let body = json!({"username": "aNN", "email": "other@mail.com", "password": "password123"});
    let response = app
        .client
        .post(app.url("/api/v1/signup"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(err_body(response).await["err"], "username already taken");
    app.stop().await;
}

#[tokio::test]
async fn a_tampered_stored_hash_is_the_generic_401() {
    let app = spawn().await;
    app.add_user("ann", "password123").await;
    let user = stored_user(&app.state, "ann");
    let good = user.password_hash.clone();
    let tampered = [
        String::new(),
        "not a hash".to_owned(),
        good[..good.len() - 5].to_owned(),
        good.replacen("$04$", "$99$", 1),
        good.replacen("$2b$", "$9z$", 1),
        format!("{good}extra"),
    ];
    for hash in tampered {
        let mut record = user.clone();
        record.password_hash = hash.clone();
        overwrite_stored_user(&app.state, record).await;
        let response = app.login_from("ann", "password123", "x").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{hash:?}");
        assert_eq!(
            err_body(response).await["err"],
            "invalid username or password"
        );
    }
    assert_eq!(app.healthz_status().await, StatusCode::OK);
    app.stop().await;
}
