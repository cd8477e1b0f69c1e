//! The offline commands and the command line's exit codes.

use reqwest::StatusCode;
use std::io::Write;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_makes_a_working_admin_once_the_server_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let user_token = server.user_session("dina").await.token;
    server.stop();

    let mut command = guestlist(dir.path());
    command.args(["create-admin", "root", "root@mail.com", "toorpassw"]);
    let output = finish(&mut command);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let server = Server::start(dir.path());
    let root = server.login_ok("root", "toorpassw").await.token;
    expect_text(server.admin(&root).await, ADMIN_TEXT).await;
    expect_forbidden(server.admin(&user_token).await).await;
    server.stop();

    // An existing user is made an admin; their password is unchanged.
    let mut command = guestlist(dir.path());
    command.args(["create-admin", "dina", "dina@mail.com", "ignored-password"]);
    assert_eq!(finish(&mut command).status.code(), Some(0));
    let server = Server::start(dir.path());
    expect_text(server.admin(&user_token).await, ADMIN_TEXT).await;
    let refused = server.login("dina", "ignored-password").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_reads_the_password_from_stdin_when_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = guestlist(dir.path());
    command
        .args(["create-admin", "root", "root@mail.com"])
        .stdin(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"from stdin 123\n").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let server = Server::start(dir.path());
    let root = server.login_ok("root", "from stdin 123").await.token;
    expect_text(server.admin(&root).await, ADMIN_TEXT).await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_brings_back_a_deleted_admin_role() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = guestlist(dir.path());
    command.args(["create-admin", "root", "root@mail.com", "toorpassw"]);
    assert_eq!(finish(&mut command).status.code(), Some(0));
    let server = Server::start(dir.path());
    let root = server.login_ok("root", "toorpassw").await.token;
    let deleted = server.delete_role(&root, "admin").await;
    expect_msg(deleted, StatusCode::OK, "role was deleted").await;
    expect_forbidden(server.admin(&root).await).await;
    server.stop();

    let mut command = guestlist(dir.path());
    command.args(["create-admin", "root", "root@mail.com", "toorpassw"]);
    assert_eq!(finish(&mut command).status.code(), Some(0));
    let server = Server::start(dir.path());
    expect_text(server.admin(&root).await, ADMIN_TEXT).await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_db_yes_deletes_every_user_and_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let token = server.user_session("edna").await.token;
    server.stop();

    let mut unconfirmed = guestlist(dir.path());
    unconfirmed.arg("reset-db");
    let output = finish(&mut unconfirmed);
    assert_ne!(
        output.status.code(),
        Some(0),
        "no --yes and no terminal: nothing deleted"
    );
    let server = Server::start(dir.path());
    expect_text(server.need_login(&token).await, NEED_LOGIN_TEXT).await;
    server.stop();

    let mut reset = guestlist(dir.path());
    reset.args(["reset-db", "--yes"]);
    let output = finish(&mut reset);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let server = Server::start(dir.path());
    let refused = server.login("edna", &password_of("edna")).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    expect_invalid(server.need_login(&token).await).await;
    let again = server.user_session("edna").await.token;
    expect_text(server.need_login(&again).await, NEED_LOGIN_TEXT).await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_guestlist_secret_is_refused_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let short = "only-31-bytes-long-secret-value";
    assert_eq!(short.len(), 31);
    let mut command = guestlist(dir.path());
    command
        .args(["--listen", "127.0.0.1:0"])
        .env("GUESTLIST_SECRET", short);
    let stderr = assert_refused(&finish(&mut command), 1);
    assert!(
        !stderr.contains(short),
        "the secret is not echoed: {stderr}"
    );

    let long = format!("{short}!");
    let mut command = guestlist(dir.path());
    command
        .args(["--listen", "127.0.0.1:0"])
        .env("GUESTLIST_SECRET", &long);
    let server = Server::start_with(&mut command);
    let token = server.user_session("flo").await.token;
    server.stop();
    // A configured secret signs the tokens: without it they are foreign.
    let server = Server::start(dir.path());
    expect_invalid(server.need_login(&token).await).await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_usage_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 9] = [
        &["--bcrypt-cost", "99"],
        &["--bcrypt-cost", "3"],
        &["--no-such-flag"],
        &["--token-ttl", "forever"],
        &["--listen", "not-an-address"],
        &["--log-format", "xml"],
        &["frobnicate"],
        &["create-admin", "root"],
        &["create-admin", "bad name!", "root@mail.com", "toorpassw"],
    ];
    for args in cases {
        let mut command = guestlist(dir.path());
        command.args(args);
        let output = finish(&mut command);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.trim().is_empty(), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    let mut short_password = guestlist(dir.path());
    short_password.args(["create-admin", "root", "root@mail.com", "toor"]);
    let output = finish(&mut short_password);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_come_from_the_environment_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = guestlist(dir.path());
    command
        .env("GUESTLIST_BCRYPT_COST", "99")
        .env("GUESTLIST_LISTEN", "127.0.0.1:0");
    let server = Server::start_with(&mut command);
    let hello = server.get("/", None).await;
    assert_eq!(hello.status(), StatusCode::OK);
    server.stop();

    let other = tempfile::tempdir().unwrap();
    let mut command = bare_command();
    command
        .env("GUESTLIST_DATA_DIR", other.path())
        .env("GUESTLIST_LISTEN", "127.0.0.1:0")
        .env("GUESTLIST_BCRYPT_COST", "4");
    let server = Server::start_with(&mut command);
    assert!(
        other.path().join("secret").exists(),
        "GUESTLIST_DATA_DIR is used"
    );
    server.stop();
}
