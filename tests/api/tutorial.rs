//! The Flask tutorial's test flow (steps 2–8), run in order against one
//! database, with guestlist's documented differences. Tokens are sent bare,
//! as the tutorial's clients send them.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorial_flow_passes_with_the_documented_differences() {
    let app = spawn_with_admin().await;

    // 2. hello
    let hello = app.get("/", None).await;
    assert_eq!(hello.status(), StatusCode::OK);
    assert!(hello.text().await.unwrap().contains("Hello, World!"));

    // 3. signup: empty fields 422, success 201 (tutorial: 200), same again 409
    let cases = [
        ("testuser", "test_user@mail.com", "", "password is empty"),
        ("", "test_user@mail.com", "test_user", "username is empty"),
        ("testuser", "", "test_user", "email is empty"),
    ];
    for (username, email, password, message) in cases {
        let response = app.signup(username, email, password).await;
        expect_err(response, StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
    let created = app
        .signup("testuser", "test_user@mail.com", "test_user")
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["msg"], "welcome :-)");
    assert!(body["id"].is_string());
    let again = app
        .signup("testuser", "test_user@mail.com", "test_user")
        .await;
    expect_err(again, StatusCode::CONFLICT, "username already taken").await;

    // 4. login: empty fields 422, user and admin 200, unknown user and wrong
    //    password both 401 with one body (tutorial: 404 and 401)
    let empty_password = app.login("testuser", "").await;
    expect_err(
        empty_password,
        StatusCode::UNPROCESSABLE_ENTITY,
        "password is empty",
    )
    .await;
    let empty_username = app.login("", "test_user").await;
    expect_err(
        empty_username,
        StatusCode::UNPROCESSABLE_ENTITY,
        "username is empty",
    )
    .await;
    let user = app.login_ok("testuser", "test_user").await;
    let admin = app.login_ok(ADMIN_NAME, ADMIN_PASSWORD).await;
    let unknown = app.login("nobody", "test_user").await;
    let wrong = app.login("testuser", "not_the_password").await;
    for response in [unknown, wrong] {
        assert_eq!(challenge(response.headers()), Some(CHALLENGE));
        expect_err(
            response,
            StatusCode::UNAUTHORIZED,
            "invalid username or password",
        )
        .await;
    }

    // 5. /need_login: the token 200, no header 401 (tutorial: 400), junk 401
    expect_text(
        app.get("/need_login", Some(&user.token)).await,
        NEED_LOGIN_TEXT,
    )
    .await;
    expect_no_header(app.get("/need_login", None).await).await;
    expect_invalid(app.get("/need_login", Some("test.test.test")).await).await;

    // 6. log in again, log out with that token, then it is refused
    let old = app.login_ok("testuser", "test_user").await;
    let logout = app
        .send(Method::POST, "/api/v1/logout", Some(&old.token), None)
        .await;
    expect_msg(logout, StatusCode::OK, "logged out").await;
    expect_invalid(app.get("/need_login", Some(&old.token)).await).await;
    expect_text(
        app.get("/need_login", Some(&user.token)).await,
        NEED_LOGIN_TEXT,
    )
    .await;

    // 7. /admin: the user 403 (tutorial: 401), the admin 200
    expect_forbidden(app.get("/admin", Some(&user.token)).await).await;
    expect_text(app.get("/admin", Some(&admin.token)).await, ADMIN_TEXT).await;

    // 8. token list, delete an unknown id, delete the listed id, delete all
    let listed = app.get("/api/v1/tokens", Some(&user.token)).await;
    assert_eq!(listed.status(), StatusCode::OK);
    assert_eq!(content_type(listed.headers()), JSON);
    let listed: Value = listed.json().await.unwrap();
    let ids: Vec<&str> = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [user.id.as_str()],
        "only the user's live token is listed"
    );
    assert!(
        !listed.to_string().contains(&user.token),
        "never the token itself"
    );

    let spare = app.login_ok("testuser", "test_user").await;
    let unknown = app
        .send(
            Method::DELETE,
            "/api/v1/tokens/unknown",
            Some(&user.token),
            None,
        )
        .await;
    expect_err(unknown, StatusCode::NOT_FOUND, "404 token not found").await;
    let path = format!("/api/v1/tokens/{}", spare.id);
    let deleted = app
        .send(Method::DELETE, &path, Some(&user.token), None)
        .await;
    expect_msg(deleted, StatusCode::OK, "the token has been deleted").await;
    expect_invalid(app.get("/need_login", Some(&spare.token)).await).await;

    let all = app
        .send(Method::DELETE, "/api/v1/tokens", Some(&user.token), None)
        .await;
    expect_msg(
        all,
        StatusCode::OK,
        "you are now disconnected for every device",
    )
    .await;
    expect_invalid(app.get("/need_login", Some(&user.token)).await).await;
    expect_text(app.get("/admin", Some(&admin.token)).await, ADMIN_TEXT).await;

    // and the admin can still use the role routes of v10
    let role = app
        .create_role(&admin.token, "editor", "edits things")
        .await;
    expect_msg(role, StatusCode::CREATED, "role successfully created").await;
}
