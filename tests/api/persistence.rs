//! What survives a restart of the server on the same data folder.

use guestlist::{AppState, Config};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::library::{open_store, refused_as_locked};
use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_tokens_roles_and_revocations_survive_a_restart() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    let kept = app.user_session("ray").await;
    let dead = app.login_ok("ray", &password_of("ray")).await;
    let described = serde_json::json!({ "username": "ray", "password": password_of("ray"), "description": "ray's phone" });
    let phone = session(app.post_json("/api/v1/login", &described).await).await;
    assert_eq!(app.logout(&dead.token).await.status(), StatusCode::OK);
    assert_eq!(
        app.grant_role(&admin.token, "ray", "admin").await.status(),
        StatusCode::OK
    );
    let created = app.create_role(&admin.token, "editor", "edits").await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let before: Value = app.tokens(&kept.token).await.json().await.unwrap();

    let app = app.restart().await;

    expect_text(app.need_login(&kept.token).await, NEED_LOGIN_TEXT).await;
    expect_text(app.admin(&kept.token).await, ADMIN_TEXT).await;
    expect_text(app.admin(&admin.token).await, ADMIN_TEXT).await;
    expect_invalid(app.need_login(&dead.token).await).await;
    let after: Value = app.tokens(&kept.token).await.json().await.unwrap();
    let ids = |list: &Value| -> Vec<String> {
        let mut ids: Vec<String> = list["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&before), ids(&after));
    let phone_view = after["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == phone.id.as_str())
        .unwrap();
    assert_eq!(phone_view["description"], "ray's phone");
    assert_eq!(phone_view["expires_at"], phone.expires_at.as_str());

    let again = app.signup("ray", "ray2@mail.com", "password1").await;
    expect_err(again, StatusCode::CONFLICT, "username already taken").await;
    app.login_ok("ray", &password_of("ray")).await;
    let role = app.create_role(&admin.token, "editor", "edits").await;
    expect_err(role, StatusCode::CONFLICT, "role already exists").await;

    // A revocation after the restart is as final as one before it.
    assert_eq!(app.logout(&phone.token).await.status(), StatusCode::OK);
    let app = app.restart().await;
    expect_invalid(app.need_login(&phone.token).await).await;
    expect_text(app.need_login(&kept.token).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_secret_is_private_and_reused_after_a_restart() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn().await;
    let user = app.user_session("sue").await;
    let secret = app.dir.path().join("secret");
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let content = std::fs::read(&secret).unwrap();
    let app = app.restart().await;
    assert_eq!(std::fs::read(&secret).unwrap(), content);
    expect_text(app.need_login(&user.token).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_state_on_a_folder_in_use_is_refused_as_locked() {
    let app = spawn().await;
    let user = app.user_session("tom").await;
    let refused = AppState::open(&Config::for_tests(app.dir.path())).await;
    assert!(refused_as_locked(&refused), "{:?}", refused.err());
    expect_text(app.need_login(&user.token).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_folder_can_be_opened_again_as_soon_as_the_server_has_returned() {
    // `run` has returned and the state is dropped: redb must be closed now,
    // so a restart (or an offline command) in the same process can open it.
    for round in 0..5 {
        let app = spawn().await;
        app.user_session(&format!("una{round}")).await;
        let dir = app.stop().await;
        let reopened = AppState::open(&Config::for_tests(dir.path())).await;
        assert!(reopened.is_ok(), "round {round}: {:?}", reopened.err());
    }
}

#[test]
fn a_dropped_store_releases_the_database_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..20 {
        let store = open_store(dir.path());
        assert!(store.is_ok(), "round {round}: {:?}", store.err());
    }
}
