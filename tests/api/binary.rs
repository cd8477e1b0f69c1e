//! The `guestlist` binary: the listening line, signals, the lock on the data
//! folder, the offline commands and the exit codes.

use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

use crate::helpers::*;

/// Long enough for any machine; only there so a hang fails instead of
/// blocking the suite. Never a speed assertion.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// The binary with a clean environment, on `dir`.
pub fn guestlist(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_guestlist"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("--data-dir")
        .arg(dir)
        .arg("--bcrypt-cost")
        .arg("4")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs a command that must end on its own; answers its output.
pub async fn finish(mut command: Command) -> Output {
    let run = command.output();
    tokio::time::timeout(HANG_GUARD, run)
        .await
        .expect("the command ended on its own")
        .unwrap()
}

/// A refusal: `code`, exactly one line on stderr, nothing on stdout.
pub fn assert_refused(output: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.trim().len() > 10, "a reason: {stderr:?}");
    assert!(
        output.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}

/// A running binary server.
pub struct Server {
    pub child: Child,
    pub base: String,
    stdout: BufReader<ChildStdout>,
    pub stderr: Arc<Mutex<String>>,
}

impl Server {
    pub async fn start(dir: &Path) -> Server {
        Server::start_with(guestlist(dir).args(["--listen", "127.0.0.1:0"])).await
    }

    pub async fn start_with(command: &mut Command) -> Server {
        let mut child = command.spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buffer).await {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let read = tokio::time::timeout(HANG_GUARD, stdout.read_line(&mut line)).await;
        read.expect("the listening line").unwrap();
        let address = line
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("{line:?}; stderr: {}", stderr.lock().unwrap()));
        let base = format!("http://{address}");
        Server {
            child,
            base,
            stdout,
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGTERM, then expects exit 0 and nothing more on stdout.
    /// SIGTERM once the server catches it, then expects exit 0 and
    /// nothing more on stdout.
    ///
    /// Waiting for the handler works around a bug (see
    /// `a_sigterm_right_after_the_listening_line_exits_0`): the binary
    /// installs its SIGTERM handler some time after printing its line.
    pub async fn stop(self) {
        let pid = self.child.id().unwrap();
        for _ in 0..1000 {
            if catches_sigterm(pid) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.stop_at_once().await;
    }

    /// SIGTERM now, then expects exit 0 and nothing more on stdout.
    pub async fn stop_at_once(mut self) {
        let pid = self.child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = tokio::time::timeout(HANG_GUARD, self.child.wait())
            .await
            .expect("the server stops on SIGTERM")
            .unwrap();
        let stderr = self.stderr.lock().unwrap().clone();
        use std::os::unix::process::ExitStatusExt;
        let signal = status.signal();
        assert_eq!(
            status.code(),
            Some(0),
            "killed by signal {signal:?}; stderr: {stderr}"
        );
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "", "exactly one line on stdout");
    }
}

/// Whether process `pid` has a handler for SIGTERM (Linux `SigCgt`).
fn catches_sigterm(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (15 - 1)) != 0)
}

/// Signs up and logs in through the binary; answers the token.
pub async fn user_token(server: &Server, client: &reqwest::Client, username: &str) -> String {
    let signup = json!({ "username": username, "email": format!("{username}@mail.com"), "password": password_of(username) });
    let response = client
        .post(server.url("/api/v1/signup"))
        .json(&signup)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    login_token(server, client, username, &password_of(username)).await
}

pub async fn login(
    server: &Server,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let body = json!({ "username": username, "password": password });
    client
        .post(server.url("/api/v1/login"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub async fn login_token(
    server: &Server,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> String {
    session(login(server, client, username, password).await)
        .await
        .token
}

pub async fn get(
    server: &Server,
    client: &reqwest::Client,
    path: &str,
    token: &str,
) -> reqwest::Response {
    client
        .get(server.url(path))
        .header("authorization", bearer(token))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_prints_its_address_serves_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let client = reqwest::Client::new();
    let hello = client.get(server.url("/")).send().await.unwrap();
    expect_text(hello, "Hello, World!").await;
    let health = client.get(server.url("/healthz")).send().await.unwrap();
    expect_json(health, StatusCode::OK, json!({ "status": "ok" })).await;
    let token = user_token(&server, &client, "alma").await;
    expect_text(
        get(&server, &client, "/need_login", &token).await,
        NEED_LOGIN_TEXT,
    )
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_right_after_the_listening_line_exits_0() {
    // Scripts read the line, then may stop the server at once.
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        Server::start(dir.path()).await.stop_at_once().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_binary_keeps_tokens_valid_with_its_private_secret_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let server = Server::start(dir.path()).await;
    let token = user_token(&server, &client, "bert").await;
    server.stop().await;
    let secret = dir.path().join("secret");
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let content = std::fs::read(&secret).unwrap();

    let server = Server::start(dir.path()).await;
    expect_text(
        get(&server, &client, "/need_login", &token).await,
        NEED_LOGIN_TEXT,
    )
    .await;
    assert_eq!(
        std::fs::read(&secret).unwrap(),
        content,
        "the secret is reused"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_and_the_offline_commands_are_refused_while_a_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let server = Server::start(dir.path()).await;
    let token = user_token(&server, &client, "cora").await;

    let mut second = guestlist(dir.path());
    second.args(["--listen", "127.0.0.1:0"]);
    assert_refused(&finish(second).await, 1);
    let mut reset = guestlist(dir.path());
    reset.args(["reset-db", "--yes"]);
    assert_refused(&finish(reset).await, 1);
    let mut admin = guestlist(dir.path());
    admin.args(["create-admin", "root", "root@mail.com", "toorpassw"]);
    assert_refused(&finish(admin).await, 1);
    let mut prompted = guestlist(dir.path());
    prompted.args(["create-admin", "root", "root@mail.com"]);
    assert_refused(&finish(prompted).await, 1);

    // Nothing happened to the running server or its data.
    expect_text(
        get(&server, &client, "/need_login", &token).await,
        NEED_LOGIN_TEXT,
    )
    .await;
    let root = login(&server, &client, "root", "toorpassw").await;
    assert_eq!(root.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
    let server = Server::start(dir.path()).await;
    expect_text(
        get(&server, &client, "/need_login", &token).await,
        NEED_LOGIN_TEXT,
    )
    .await;
    server.stop().await;
}
