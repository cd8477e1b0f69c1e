//! `/need_login`, `/admin`, logout and the token routes.

use reqwest::header::USER_AGENT;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

/// Every route that needs a live token, with its method.
const PROTECTED: [(&str, &str); 8] = [
    ("GET", "/need_login"),
    ("GET", "/admin"),
    ("POST", "/api/v1/logout"),
    ("GET", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/some-id"),
    ("DELETE", "/api/v1/tokens"),
    ("DELETE", "/api/v1/roles/admin"),
    ("POST", "/api/v1/users/testadmin/roles/admin"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_protected_route_answers_401_without_a_header_and_with_a_bad_token() {
    let app = spawn_with_admin().await;
    for (method, path) in PROTECTED {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        expect_no_header(app.send(method.clone(), path, None, None).await).await;
        expect_invalid(app.send(method, path, Some("test.test.test"), None).await).await;
    }
    let role = json!({ "name": "editor", "description": "edits" });
    let no_header = app
        .send(Method::POST, "/api/v1/roles", None, Some(&role))
        .await;
    expect_no_header(no_header).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn need_login_and_admin_answer_plain_text_to_the_right_token() {
    let app = spawn_with_admin().await;
    let user = app.user_session("judy").await;
    let admin = app.admin_session().await;
    expect_text(app.need_login(&user.token).await, NEED_LOGIN_TEXT).await;
    expect_text(app.need_login(&admin.token).await, NEED_LOGIN_TEXT).await;
    expect_forbidden(app.admin(&user.token).await).await;
    expect_text(app.admin(&admin.token).await, ADMIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_answers_logged_out_and_the_token_is_dead_after() {
    let app = spawn().await;
    let user = app.user_session("kim").await;
    expect_msg(app.logout(&user.token).await, StatusCode::OK, "logged out").await;
    expect_invalid(app.logout(&user.token).await).await;
    expect_invalid(app.need_login(&user.token).await).await;
    expect_invalid(app.tokens(&user.token).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_list_shows_every_field_and_marks_the_calling_token() {
    let app = spawn().await;
    app.new_user("leo").await;
    let described =
        json!({ "username": "leo", "password": password_of("leo"), "description": "leo's laptop" });
    let laptop = app
        .client
        .post(app.url("/api/v1/login"))
        .header(USER_AGENT, "curl/8.5.0")
        .json(&described)
        .send()
        .await
        .unwrap();
    let laptop = session(laptop).await;
    let plain = json!({ "username": "leo", "password": password_of("leo") });
    let browser_agent = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0";
    let phone = app
        .client
        .post(app.url("/api/v1/login"))
        .header(USER_AGENT, browser_agent)
        .json(&plain)
        .send()
        .await
        .unwrap();
    let phone = session(phone).await;

    let response = app.tokens(&laptop.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(response.headers()), JSON);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    let tokens = body["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2, "{body}");
    let find = |id: &str| tokens.iter().find(|t| t["id"] == id).unwrap().clone();
    let (laptop_view, phone_view) = (find(&laptop.id), find(&phone.id));

    for view in [&laptop_view, &phone_view] {
        let keys: Vec<&String> = view.as_object().unwrap().keys().collect();
        let expected = [
            "created_at",
            "current",
            "description",
            "expires_at",
            "id",
            "ip",
            "last_used_at",
            "user_agent",
        ];
        assert_eq!(keys, expected, "{view}");
        for time in ["created_at", "last_used_at", "expires_at"] {
            assert!(is_rfc3339_seconds(view[time].as_str().unwrap()), "{view}");
        }
        assert!(view["last_used_at"].as_str() >= view["created_at"].as_str());
        assert_eq!(view["ip"], "127.0.0.1");
    }
    assert_eq!(laptop_view["description"], "leo's laptop");
    assert_eq!(laptop_view["user_agent"], "curl/8.5.0");
    assert_eq!(laptop_view["current"], true);
    assert_eq!(laptop_view["expires_at"], laptop.expires_at.as_str());
    let derived = phone_view["description"].as_str().unwrap();
    assert!(
        derived.contains("TestBrowser"),
        "derived from the user agent: {derived}"
    );
    assert_eq!(phone_view["user_agent"], browser_agent);
    assert_eq!(phone_view["current"], false);

    let from_phone: Value = app.tokens(&phone.token).await.json().await.unwrap();
    let current: Vec<&Value> = from_phone["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], phone.id.as_str());
    let text = from_phone.to_string();
    assert!(!text.contains(&laptop.token) && !text.contains(&phone.token));
}

/// Logs in `count` times as `username`; answers the sessions in login order.
async fn log_in_repeatedly(app: &TestApp, username: &str, count: usize) -> Vec<Session> {
    let mut sessions = Vec::new();
    for _ in 0..count {
        sessions.push(app.login_ok(username, &password_of(username)).await);
    }
    sessions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_list_is_newest_first_even_within_one_second() {
    let app = spawn().await;
    app.new_user("mia").await;
    let sessions = log_in_repeatedly(&app, "mia", 8).await;
    let body: Value = app.tokens(&sessions[0].token).await.json().await.unwrap();
    let listed: Vec<&str> = body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    let newest_first: Vec<&str> = sessions.iter().rev().map(|s| s.id.as_str()).collect();
    assert_eq!(listed, newest_first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_one_token_by_id_kills_only_that_token() {
    let app = spawn().await;
    app.new_user("ned").await;
    let sessions = log_in_repeatedly(&app, "ned", 3).await;
    let (caller, victim, bystander) = (&sessions[0], &sessions[1], &sessions[2]);
    let deleted = app.delete_token(&caller.token, &victim.id).await;
    expect_msg(deleted, StatusCode::OK, "the token has been deleted").await;
    expect_invalid(app.need_login(&victim.token).await).await;
    expect_text(app.need_login(&bystander.token).await, NEED_LOGIN_TEXT).await;
    expect_text(app.need_login(&caller.token).await, NEED_LOGIN_TEXT).await;
    let again = app.delete_token(&caller.token, &victim.id).await;
    expect_err(again, StatusCode::NOT_FOUND, "404 token not found").await;
    let unknown = app
        .delete_token(&caller.token, "AAAAAAAAAAAAAAAAAAAAAA")
        .await;
    expect_err(unknown, StatusCode::NOT_FOUND, "404 token not found").await;
    let own = app.delete_token(&caller.token, &caller.id).await;
    expect_msg(own, StatusCode::OK, "the token has been deleted").await;
    expect_invalid(app.need_login(&caller.token).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_token_id_is_not_found_and_that_token_keeps_working() {
    let app = spawn().await;
    let olga = app.user_session("olga").await;
    let pete = app.user_session("pete").await;
    let response = app.delete_token(&olga.token, &pete.id).await;
    expect_err(response, StatusCode::NOT_FOUND, "404 token not found").await;
    expect_text(app.need_login(&pete.token).await, NEED_LOGIN_TEXT).await;
    let listed: Value = app.tokens(&pete.token).await.json().await.unwrap();
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 1);
    let olgas: Value = app.tokens(&olga.token).await.json().await.unwrap();
    assert!(
        !olgas.to_string().contains(&pete.id),
        "only the caller's tokens are listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_all_tokens_kills_every_device_of_the_caller_only() {
    let app = spawn().await;
    app.new_user("quinn").await;
    let sessions = log_in_repeatedly(&app, "quinn", 3).await;
    let other = app.user_session("rita").await;
    let response = app.delete_tokens(&sessions[1].token, false).await;
    expect_msg(
        response,
        StatusCode::OK,
        "you are now disconnected for every device",
    )
    .await;
    for session in &sessions {
        expect_invalid(app.need_login(&session.token).await).await;
    }
    expect_text(app.need_login(&other.token).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_all_tokens_with_keep_current_keeps_only_the_calling_one() {
    let app = spawn().await;
    app.new_user("sam").await;
    let sessions = log_in_repeatedly(&app, "sam", 3).await;
    let keeper = &sessions[1];
    let response = app.delete_tokens(&keeper.token, true).await;
    expect_msg(
        response,
        StatusCode::OK,
        "you are now disconnected for every device",
    )
    .await;
    expect_invalid(app.need_login(&sessions[0].token).await).await;
    expect_invalid(app.need_login(&sessions[2].token).await).await;
    let listed: Value = app.tokens(&keeper.token).await.json().await.unwrap();
    let tokens = listed["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1, "{listed}");
    assert_eq!(tokens[0]["id"], keeper.id.as_str());
    assert_eq!(tokens[0]["current"], true);
    let path = "/api/v1/tokens?keep_current=false";
    let all = app
        .send(Method::DELETE, path, Some(&bearer(&keeper.token)), None)
        .await;
    expect_msg(
        all,
        StatusCode::OK,
        "you are now disconnected for every device",
    )
    .await;
    expect_invalid(app.need_login(&keeper.token).await).await;
}
