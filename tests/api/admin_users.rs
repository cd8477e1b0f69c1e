//! User administration (role admin): the paged user list, a user's
//! tokens, disabling and deleting; each change holds on the next request.

use std::collections::HashSet;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::accounts::shape;
use crate::common::*;

async fn as_admin(app: &TestApp, admin: &Session, method: Method, path: &str) -> Response {
    app.send(method, path, Some(&bearer(&admin.token)), None)
        .await
}

async fn set_disabled(app: &TestApp, admin: &Session, username: &str, disabled: bool) -> Response {
    let path = format!("/api/v1/users/{username}/disabled");
    let body = json!({ "disabled": disabled });
    app.send(Method::PUT, &path, Some(&bearer(&admin.token)), Some(&body))
        .await
}

async fn page(app: &TestApp, admin: &Session, query: &str) -> Value {
    let response = as_admin(app, admin, Method::GET, &format!("/api/v1/users{query}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn ids_of(page: &Value) -> Vec<String> {
    let users = page["users"].as_array().expect("users");
    users
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every user id, following `next` with pages of `limit`; `between` runs
/// after the first page.
async fn walk(
    app: &TestApp,
    admin: &Session,
    limit: usize,
    between: impl AsyncFnOnce(),
) -> Vec<String> {
    let mut all = Vec::new();
    let mut query = format!("?limit={limit}");
    let mut between = Some(between);
    loop {
        let body = page(app, admin, &query).await;
        all.extend(ids_of(&body));
        if let Some(between) = between.take() {
            between().await;
        }
        match body["next"].as_str() {
            Some(next) => query = format!("?limit={limit}&after={next}"),
            None => return all,
        }
    }
}

#[tokio::test]
async fn the_user_list_pages_through_every_user_once_in_a_stable_order() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    for n in 0..7 {
        app.new_user(&format!("paged{n}")).await;
    }
    let before = walk(&app, &admin, 3, async || {}).await;
    assert_eq!(before.len(), 8);
    let mut sorted = before.clone();
    sorted.sort();
    assert_eq!(before, sorted, "ordered by id");
    // Sign-ups during a walk do not make anyone appear twice or vanish.
    let during = walk(&app, &admin, 3, async || {
        app.new_user("late0").await;
        app.new_user("late1").await;
    })
    .await;
    let unique: HashSet<&String> = during.iter().collect();
    assert_eq!(unique.len(), during.len(), "nobody twice");
    assert!(before.iter().all(|id| unique.contains(id)), "nobody lost");
    assert_eq!(ids_of(&page(&app, &admin, "?limit=500").await).len(), 10);
    let response = as_admin(&app, &admin, Method::GET, "/api/v1/users?limit=0").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn each_listed_user_shows_roles_state_and_live_token_count() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    let id = app.new_user("counted").await;
    for _ in 0..2 {
        app.login_ok("counted", &password_of("counted")).await;
    }
    let body = page(&app, &admin, "").await;
    let users = body["users"].as_array().unwrap();
    let user = users.iter().find(|u| u["id"] == id.as_str()).unwrap();
    assert_eq!(user["username"], "counted");
    assert_eq!(user["email"], "counted@mail.com");
    assert_eq!(user["roles"], json!([]));
    assert_eq!(user["disabled"], false);
    assert_eq!(user["tokens"], 2);
    assert!(is_rfc3339_seconds(user["created_at"].as_str().unwrap()));
    let me = users.iter().find(|u| u["username"] == ADMIN_NAME).unwrap();
    assert_eq!(me["roles"], json!(["admin"]));
}

#[tokio::test]
async fn an_admin_lists_and_revokes_every_token_of_a_user() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    let first = app.user_session("lost").await;
    let second = app.login_ok("lost", &password_of("lost")).await;
    let path = "/api/v1/users/lost/tokens";
    let listed: Value = as_admin(&app, &admin, Method::GET, path)
        .await
        .json()
        .await
        .unwrap();
    let ids: HashSet<&str> = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, HashSet::from([first.id.as_str(), second.id.as_str()]));
    let revoked = as_admin(&app, &admin, Method::DELETE, path).await;
    expect_msg(
        revoked,
        StatusCode::OK,
        "every token of the user has been deleted",
    )
    .await;
    for session in [&first, &second] {
        expect_invalid(app.need_login(&session.token).await).await;
    }
    let listed: Value = as_admin(&app, &admin, Method::GET, path)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["tokens"], json!([]));
    let unknown = as_admin(&app, &admin, Method::GET, "/api/v1/users/nobody/tokens").await;
    expect_err(unknown, StatusCode::NOT_FOUND, "user not found").await;
}

#[tokio::test]
async fn a_disabled_user_is_locked_out_and_enabling_revives_no_token() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    let old = app.user_session("benched").await;
    expect_text(app.need_login(&old.token).await, NEED_LOGIN_TEXT).await;
    expect_msg(
        set_disabled(&app, &admin, "benched", true).await,
        StatusCode::OK,
        "user disabled",
    )
    .await;
    expect_invalid(app.need_login(&old.token).await).await;
    // The right password gets exactly the answer of a wrong one.
    let refused = app.login("benched", &password_of("benched")).await;
    assert_eq!(
        shape(refused).await,
        shape(app.login("benched", "wrong-password").await).await
    );
    let listed = page(&app, &admin, "").await;
    let user = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "benched")
        .cloned();
    assert_eq!(user.unwrap()["disabled"], true);
    expect_msg(
        set_disabled(&app, &admin, "benched", false).await,
        StatusCode::OK,
        "user enabled",
    )
    .await;
    expect_invalid(app.need_login(&old.token).await).await;
    let new = app.login_ok("benched", &password_of("benched")).await;
    expect_text(app.need_login(&new.token).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test]
async fn a_deleted_user_goes_with_their_role_links_and_tokens() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    let id = app.new_user("leaver").await;
    assert_eq!(
        app.create_role(&admin.token, "editor", "edits")
            .await
            .status(),
        201
    );
    assert_eq!(
        app.grant_role(&admin.token, "leaver", "editor")
            .await
            .status(),
        200
    );
    let session = app.login_ok("leaver", &password_of("leaver")).await;
    expect_text(app.need_login(&session.token).await, NEED_LOGIN_TEXT).await;
    let deleted = as_admin(&app, &admin, Method::DELETE, "/api/v1/users/leaver").await;
    expect_msg(deleted, StatusCode::OK, "user deleted").await;
    expect_invalid(app.need_login(&session.token).await).await;
    assert_eq!(
        app.login("leaver", &password_of("leaver")).await.status(),
        401
    );
    // The database keeps nothing of them: no user, role link or token line.
    let export = as_admin(&app, &admin, Method::GET, "/api/v1/admin/export").await;
    let export = export.text().await.unwrap();
    assert!(export.contains("\"editor\""), "the role itself stays");
    assert!(!export.contains(&id), "{export}");
    let again = as_admin(&app, &admin, Method::DELETE, "/api/v1/users/leaver").await;
    expect_err(again, StatusCode::NOT_FOUND, "user not found").await;
}

#[tokio::test]
async fn user_routes_are_for_admins_only() {
    let app = spawn_with_admin().await;
    let user = app.user_session("plain").await;
    let body = json!({ "disabled": true });
    let routes = [
        (Method::GET, "/api/v1/users", None),
        (Method::GET, "/api/v1/users/plain/tokens", None),
        (Method::DELETE, "/api/v1/users/plain/tokens", None),
        (Method::PUT, "/api/v1/users/plain/disabled", Some(&body)),
        (Method::DELETE, "/api/v1/users/plain", None),
    ];
    for (method, path, body) in routes {
        let auth = bearer(&user.token);
        expect_forbidden(app.send(method.clone(), path, Some(&auth), body).await).await;
        expect_no_header(app.send(method, path, None, body).await).await;
    }
    // Nothing happened to the user.
    expect_text(app.need_login(&user.token).await, NEED_LOGIN_TEXT).await;
}
