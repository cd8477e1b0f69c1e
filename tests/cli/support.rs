//! Running the built binary against a temporary data folder, and a real
//! server on a free port for the HTTP side.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_guestlist");

/// A data folder of its own, removed at the end of the test.
pub struct Data {
    dir: TempDir,
}

/// What a finished command left behind.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Asserts success; answers stdout.
    #[track_caller]
    pub fn ok(self) -> String {
        assert_eq!(self.code, 0, "{self:?}");
        self.stdout
    }

    /// Asserts exit `code` with one line on stderr; answers that line.
    #[track_caller]
    pub fn fails(self, code: i32) -> String {
        assert_eq!(self.code, code, "{self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "{self:?}");
        assert!(self.stderr.starts_with("guestlist: error: "), "{self:?}");
        self.stderr.trim_end().to_owned()
    }
}

fn command(data_dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--bcrypt-cost", "4"]);
    command
}

impl Data {
    pub fn new() -> Data {
        Data {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Outcome {
        let output = command(self.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `--json` output of a command, parsed.
    pub fn json(&self, args: &[&str]) -> Value {
        let text = self.run(args).ok();
        serde_json::from_str(&text).expect("JSON output")
    }

    /// Starts a server on a free port and waits for its address line.
    pub fn serve(&self) -> Server {
        let mut child = command(self.path())
            .args(["--listen", "127.0.0.1:0", "serve"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout).read_line(&mut line).expect("a line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server { child, base: addr }
    }
}

/// A running `guestlist serve`, stopped with SIGTERM.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Stops the server gracefully and waits until it has released the data folder.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let exit = self.child.wait().expect("the server exits");
        assert!(exit.success(), "the server exited with {exit}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Logs in; answers (token, token id).
    pub async fn login(&self, username: &str, password: &str) -> (String, String) {
        let response = self.try_login(username, password).await;
        assert_eq!(response.status(), 200, "login of {username}");
        let body: Value = response.json().await.expect("a JSON body");
        let token = body["token"].as_str().expect("a token").to_owned();
        (token, body["id"].as_str().expect("an id").to_owned())
    }

    pub async fn try_login(&self, username: &str, password: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url("/api/v1/login"))
            .header("Content-Type", "application/json")
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn signup(&self, username: &str, password: &str) {
        let email = format!("{username}@example.com");
        let response = reqwest::Client::new()
            .post(self.url("/api/v1/signup"))
            .json(&json!({ "username": username, "email": email, "password": password }))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 201, "signup of {username}");
    }

    /// GET `path` with the token; answers the response.
    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new().get(self.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        request.send().await.expect("the server answers")
    }

    /// The status of `GET /need_login` with the token.
    pub async fn check(&self, token: &str) -> u16 {
        self.get("/need_login", Some(token)).await.status().as_u16()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only when a test failed before `stop`: do not leave it running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
