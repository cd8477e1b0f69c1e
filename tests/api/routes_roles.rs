//! The admin routes: roles and the roles of users. Role changes are read
//! on the user's next request, with the token they already hold.

use reqwest::{Client, Method, StatusCode};
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_a_role_with_201_and_a_second_time_gets_409() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    let created = app
        .create_role(&admin.token, "editor", "edits things")
        .await;
    expect_msg(created, StatusCode::CREATED, "role successfully created").await;
    let again = app
        .create_role(&admin.token, "editor", "another text")
        .await;
    expect_err(again, StatusCode::CONFLICT, "role already exists").await;
    let admin_again = app.create_role(&admin.token, "admin", "again").await;
    expect_err(admin_again, StatusCode::CONFLICT, "role already exists").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_role_refuses_empty_fields_with_422() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    let cases = [
        ("", "", "name is empty"),
        ("", "text", "name is empty"),
        ("editor", "", "description is empty"),
    ];
    for (name, description, message) in cases {
        let response = app.create_role(&admin.token, name, description).await;
        expect_err(response, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_role_routes_answer_403_to_a_user_who_is_not_an_admin() {
    let app = spawn_with_admin().await;
    let user = app.user_session("uma").await;
    expect_forbidden(app.create_role(&user.token, "editor", "edits").await).await;
    expect_forbidden(app.delete_role(&user.token, "admin").await).await;
    expect_forbidden(app.grant_role(&user.token, "uma", "admin").await).await;
    expect_forbidden(app.remove_role(&user.token, ADMIN_NAME, "admin").await).await;
    expect_forbidden(app.admin(&user.token).await).await;
    // None of them happened.
    let admin = app.admin_session().await;
    expect_text(app.admin(&admin.token).await, ADMIN_TEXT).await;
    let create = app.create_role(&admin.token, "editor", "edits").await;
    assert_eq!(create.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_role_answers_200_then_404() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    let create = app.create_role(&admin.token, "editor", "edits").await;
    assert_eq!(create.status(), StatusCode::CREATED);
    expect_msg(
        app.delete_role(&admin.token, "editor").await,
        StatusCode::OK,
        "role was deleted",
    )
    .await;
    expect_err(
        app.delete_role(&admin.token, "editor").await,
        StatusCode::NOT_FOUND,
        "role not found",
    )
    .await;
    expect_err(
        app.delete_role(&admin.token, "never").await,
        StatusCode::NOT_FOUND,
        "role not found",
    )
    .await;
    let recreated = app.create_role(&admin.token, "editor", "edits again").await;
    assert_eq!(recreated.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granting_or_removing_for_an_unknown_user_or_role_is_404() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    app.new_user("vic").await;
    for grant in [true, false] {
        let send = |user: &'static str, role: &'static str| {
            let token = admin.token.clone();
            let app = &app;
            async move {
                if grant {
                    app.grant_role(&token, user, role).await
                } else {
                    app.remove_role(&token, user, role).await
                }
            }
        };
        expect_err(
            send("ghost", "admin").await,
            StatusCode::NOT_FOUND,
            "user not found",
        )
        .await;
        expect_err(
            send("vic", "ghost").await,
            StatusCode::NOT_FOUND,
            "role not found",
        )
        .await;
        let both = send("ghost", "ghost").await;
        assert_eq!(both.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_granted_role_opens_admin_to_the_users_existing_token_at_once() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    let user = app.user_session("wendy").await;
    let other_connection = Client::new();
    let ask_admin = || {
        other_connection
            .get(app.url("/admin"))
            .header("authorization", bearer(&user.token))
            .send()
    };
    expect_forbidden(ask_admin().await.unwrap()).await;

    let added = "role has been successfully added to the user";
    expect_msg(
        app.grant_role(&admin.token, "wendy", "admin").await,
        StatusCode::OK,
        added,
    )
    .await;
    expect_text(ask_admin().await.unwrap(), ADMIN_TEXT).await;
    expect_msg(
        app.grant_role(&admin.token, "wendy", "admin").await,
        StatusCode::OK,
        added,
    )
    .await;
    expect_text(app.admin(&user.token).await, ADMIN_TEXT).await;
    // The new admin can use the admin routes too.
    let created = app.create_role(&user.token, "editor", "edits").await;
    assert_eq!(created.status(), StatusCode::CREATED);

    let removed = "role was removed from user";
    expect_msg(
        app.remove_role(&admin.token, "wendy", "admin").await,
        StatusCode::OK,
        removed,
    )
    .await;
    expect_forbidden(ask_admin().await.unwrap()).await;
    expect_msg(
        app.remove_role(&admin.token, "wendy", "admin").await,
        StatusCode::OK,
        removed,
    )
    .await;
    expect_forbidden(app.admin(&user.token).await).await;
    expect_text(app.need_login(&user.token).await, NEED_LOGIN_TEXT).await;
    expect_text(app.admin(&admin.token).await, ADMIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_granted_before_login_counts_and_usernames_ignore_case() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    app.new_user("Xena").await;
    let granted = app.grant_role(&admin.token, "xena", "admin").await;
    assert_eq!(granted.status(), StatusCode::OK);
    let xena = app.login_ok("Xena", &password_of("Xena")).await;
    expect_text(app.admin(&xena.token).await, ADMIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_admin_role_takes_admin_away_from_every_holder_at_once() {
    let app = spawn_with_admin().await;
    let admin = app.admin_session().await;
    let user = app.user_session("yara").await;
    assert_eq!(
        app.grant_role(&admin.token, "yara", "admin").await.status(),
        StatusCode::OK
    );
    expect_text(app.admin(&user.token).await, ADMIN_TEXT).await;
    expect_text(app.admin(&admin.token).await, ADMIN_TEXT).await;

    let deleted = app.delete_role(&user.token, "admin").await;
    expect_msg(deleted, StatusCode::OK, "role was deleted").await;
    let other_connection = Client::new();
    for token in [&user.token, &admin.token] {
        let response = other_connection
            .get(app.url("/admin"))
            .header("authorization", bearer(token))
            .send()
            .await
            .unwrap();
        expect_forbidden(response).await;
        expect_text(app.need_login(token).await, NEED_LOGIN_TEXT).await;
    }
    expect_forbidden(app.create_role(&admin.token, "admin", "back").await).await;
    let role = json!({ "name": "admin", "description": "back" });
    let again = app
        .send(
            Method::POST,
            "/api/v1/roles",
            Some(&bearer(&user.token)),
            Some(&role),
        )
        .await;
    expect_forbidden(again).await;
}
