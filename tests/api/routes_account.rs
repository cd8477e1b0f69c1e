//! `GET /`, `GET /healthz`, `POST /api/v1/signup`, `POST /api/v1/login`.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_root_says_hello_world_in_plain_text() {
    let app = spawn().await;
    expect_text(app.get("/", None).await, "Hello, World!").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_status_ok() {
    let app = spawn().await;
    expect_json(
        app.healthz().await,
        StatusCode::OK,
        json!({ "status": "ok" }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_answers_201_welcome_and_a_distinct_opaque_id() {
    let app = spawn().await;
    let mut ids = Vec::new();
    for name in ["alice", "bob"] {
        let response = app
            .signup(name, &format!("{name}@mail.com"), "password1")
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(content_type(response.headers()), JSON);
        let body: Value = response.json().await.unwrap();
        let object = body.as_object().unwrap();
        assert_eq!(object.len(), 2, "{body}");
        assert_eq!(body["msg"], "welcome :-)");
        let id = body["id"].as_str().unwrap().to_owned();
        assert!(!id.is_empty() && !id.contains(name), "{id}");
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_checks_empty_fields_in_the_tutorials_order() {
    let app = spawn().await;
    let cases = [
        ("", "", "", "username is empty"),
        ("carol", "", "", "email is empty"),
        ("carol", "carol@mail.com", "", "password is empty"),
        ("", "carol@mail.com", "password1", "username is empty"),
    ];
    for (username, email, password, message) in cases {
        let response = app.signup(username, email, password).await;
        expect_err(response, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_refuses_invalid_usernames_emails_and_passwords_with_422() {
    let app = spawn().await;
    let long_name = "a".repeat(65);
    let long_email = format!("{}@mail.com", "a".repeat(246));
    let long_password = "p".repeat(129);
    let cases = [
        ("bad name", "ok@mail.com", "password1"),
        ("bad/name", "ok@mail.com", "password1"),
        ("émile", "ok@mail.com", "password1"),
        (long_name.as_str(), "ok@mail.com", "password1"),
        ("okname", "no-at-sign", "password1"),
        ("okname", "two@at@signs", "password1"),
        ("okname", "@b", "password1"),
        ("okname", long_email.as_str(), "password1"),
        ("okname", "ok@mail.com", "short77"),
        ("okname", "ok@mail.com", long_password.as_str()),
    ];
    for (username, email, password) in cases {
        let response = app.signup(username, email, password).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{username} {email}"
        );
        assert_eq!(content_type(response.headers()), JSON);
        let body: Value = response.json().await.unwrap();
        let message = body["err"].as_str().unwrap();
        assert!(
            !message.is_empty() && !message.contains(password),
            "{message}"
        );
    }
    // Nothing was created on the way.
    assert_eq!(
        app.signup("okname", "ok@mail.com", "password1")
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_accepts_the_longest_names_and_any_unicode_password() {
    let app = spawn().await;
    let name = "a.b_c-D9".repeat(8);
    let email = format!("{}@mail.com", "e".repeat(245));
    let password = "пароль🔑!".repeat(16);
    assert_eq!(password.chars().count(), 128);
    let response = app.signup(&name, &email, &password).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    app.login_ok(&name, &password).await;
    let eight = app.signup("eight", "eight@mail.com", "12345678").await;
    assert_eq!(eight.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_refuses_a_taken_username_or_email_whatever_the_case_with_409() {
    let app = spawn().await;
    app.new_user("Alice").await;
    let name = app.signup("aLiCe", "other@mail.com", "password1").await;
    expect_err(name, StatusCode::CONFLICT, "username already taken").await;
    let email = app.signup("alice2", "ALICE@MAIL.COM", "password1").await;
    expect_err(email, StatusCode::CONFLICT, "email already signed-up").await;
    let both = app.signup("ALICE", "alice@mail.com", "password1").await;
    expect_err(both, StatusCode::CONFLICT, "username already taken").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_answers_a_token_its_id_and_an_expiry_48_hours_away() {
    let app = spawn().await;
    app.new_user("dave").await;
    let response = app.login("dave", &password_of("dave")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(response.headers()), JSON);
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["expires_at", "id", "token"]);
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT");
    assert!(!body["id"].as_str().unwrap().is_empty());
    let expires_at = body["expires_at"].as_str().unwrap();
    assert!(is_rfc3339_seconds(expires_at), "{expires_at}");
    let expiry = humantime::parse_rfc3339(expires_at).unwrap();
    let ttl = expiry.duration_since(SystemTime::now()).unwrap();
    let day2 = Duration::from_secs(48 * 3600);
    assert!(
        ttl <= day2 && ttl > day2 - Duration::from_secs(600),
        "{ttl:?}"
    );
    expect_text(app.need_login(token).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_refuses_empty_fields_with_422() {
    let app = spawn().await;
    app.new_user("erin").await;
    let cases = [
        ("", "", "username is empty"),
        ("erin", "", "password is empty"),
        ("", "x", "username is empty"),
    ];
    for (username, password, message) in cases {
        let response = app.login(username, password).await;
        expect_err(response, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_answers_one_identical_401_for_an_unknown_user_and_a_wrong_password() {
    let app = spawn().await;
    app.new_user("frank").await;
    let mut answers = Vec::new();
    for (username, password) in [
        ("ghost", "frank-password"),
        ("frank", "wrong-password"),
        ("frank", "x"),
    ] {
        let response = app.login(username, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let mut headers = response.headers().clone();
        headers.remove("date");
        let body = response.bytes().await.unwrap();
        answers.push((headers, body));
    }
    assert_eq!(
        answers[0].1,
        &br#"{"err":"invalid username or password"}"#[..]
    );
    assert_eq!(content_type(&answers[0].0), JSON);
    assert_eq!(answers[0], answers[1], "unknown user and wrong password");
    assert_eq!(answers[0], answers[2], "a password too short to exist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_counts_in_full_and_exactly_as_sent() {
    let app = spawn().await;
    let long = format!("{}tail-one", "x".repeat(80));
    assert_eq!(
        app.signup("grace", "grace@mail.com", &long).await.status(),
        StatusCode::CREATED
    );
    let same_prefix = format!("{}tail-two", "x".repeat(80));
    let refused = app.login("grace", &same_prefix).await;
    expect_err(
        refused,
        StatusCode::UNAUTHORIZED,
        "invalid username or password",
    )
    .await;
    app.login_ok("grace", &long).await;

    let spaced = "  spaced out  ";
    assert_eq!(
        app.signup("heidi", "heidi@mail.com", spaced).await.status(),
        StatusCode::CREATED
    );
    let trimmed = app.login("heidi", spaced.trim()).await;
    assert_eq!(trimmed.status(), StatusCode::UNAUTHORIZED);
    app.login_ok("heidi", spaced).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_refuses_a_description_over_200_characters_with_422() {
    let app = spawn().await;
    app.new_user("ivan").await;
    let login = |description: String| json!({ "username": "ivan", "password": password_of("ivan"), "description": description });
    let too_long = app
        .post_json("/api/v1/login", &login("é".repeat(201)))
        .await;
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = too_long.json().await.unwrap();
    assert!(
        body["err"].as_str().unwrap().contains("description"),
        "{body}"
    );
    let longest = app
        .post_json("/api/v1/login", &login("é".repeat(200)))
        .await;
    session(longest).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_beyond_the_bcrypt_capacity_are_turned_away_with_retry_after() {
    // One bcrypt at a time and nobody waiting: of logins sent together,
    // those that find the slot taken are refused at once, never queued.
    let app = spawn_with(|config| {
        config.bcrypt_cost = 11;
        config.login_slots = 1;
        config.login_queue = 0;
        // One address, one account: let all six reach the bcrypt queue.
        config.max_logins_in_flight_per_address = 6;
        config.max_logins_in_flight_per_account = 6;
    })
    .await;
    app.new_user("jay").await;
    let password = password_of("jay");
    let attempts = (0..6).map(|_| app.login("jay", &password));
    let responses = futures_util::future::join_all(attempts).await;
    let mut refused = 0;
    for response in responses {
        match response.status() {
            StatusCode::OK => {
                session(response).await;
            }
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
                refused += 1;
                let retry = response.headers().get("retry-after").expect("Retry-After");
                let seconds: u64 = retry.to_str().unwrap().parse().unwrap();
                assert!(seconds >= 1);
                assert_eq!(content_type(response.headers()), JSON);
                let body: Value = response.json().await.unwrap();
                assert!(body["err"].is_string(), "{body}");
            }
            other => panic!("{other}"),
        }
    }
    assert!(
        refused >= 1,
        "six logins at once, one bcrypt slot, no queue"
    );
    app.login_ok("jay", &password).await;
}
