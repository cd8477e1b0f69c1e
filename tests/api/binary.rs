//! The `guestlist` binary as a server: the listening line, SIGTERM, the
//! secret file across restarts and the lock on the data folder. The offline
//! commands and the exit codes are tested in `tests/cli/`.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_prints_its_address_serves_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let hello = server.get("/", None).await;
    expect_text(hello, "Hello, World!").await;
    let health = server.healthz().await;
    expect_json(health, StatusCode::OK, json!({ "status": "ok" })).await;
    let token = server.user_session("alma").await.token;
    expect_text(server.need_login(&token).await, NEED_LOGIN_TEXT).await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_right_after_the_listening_line_exits_0() {
    // Scripts read the line, then may stop the server at once.
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        Server::start(dir.path()).stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_binary_keeps_tokens_valid_with_its_private_secret_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let token = server.user_session("bert").await.token;
    server.stop();
    let secret = dir.path().join("secret");
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let content = std::fs::read(&secret).unwrap();

    let server = Server::start(dir.path());
    expect_text(server.need_login(&token).await, NEED_LOGIN_TEXT).await;
    assert_eq!(
        std::fs::read(&secret).unwrap(),
        content,
        "the secret is reused"
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_and_the_offline_commands_are_refused_while_a_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let token = server.user_session("cora").await.token;

    let mut second = guestlist(dir.path());
    second.args(["--listen", "127.0.0.1:0"]);
    assert_refused(&finish(&mut second), 1);
    let mut reset = guestlist(dir.path());
    reset.args(["reset-db", "--yes"]);
    assert_refused(&finish(&mut reset), 1);
    let mut admin = guestlist(dir.path());
    admin.args(["create-admin", "root", "root@mail.com", "toorpassw"]);
    assert_refused(&finish(&mut admin), 1);
    let mut prompted = guestlist(dir.path());
    prompted.args(["create-admin", "root", "root@mail.com"]);
    assert_refused(&finish(&mut prompted), 1);

    // Nothing happened to the running server or its data.
    expect_text(server.need_login(&token).await, NEED_LOGIN_TEXT).await;
    let root = server.login("root", "toorpassw").await;
    assert_eq!(root.status(), StatusCode::UNAUTHORIZED);
    server.stop();
    let server = Server::start(dir.path());
    expect_text(server.need_login(&token).await, NEED_LOGIN_TEXT).await;
    server.stop();
}
