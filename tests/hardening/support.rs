//! A server in the test process (bcrypt cost 4) plus raw-socket helpers.

use std::net::SocketAddr;

use guestlist::{AppState, Config};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct App {
    pub addr: SocketAddr,
    pub client: Client,
    pub state: AppState,
    pub dir: TempDir,
    shutdown: oneshot::Sender<()>,
    handle: JoinHandle<()>,
}

pub async fn spawn(tweak: impl FnOnce(&mut Config)) -> App {
    spawn_in(tempfile::tempdir().unwrap(), tweak).await
}

/// A server on `dir`, which may hold a database from an earlier server
/// (whose writer thread may still hold the file for a moment).
pub async fn spawn_in(dir: TempDir, tweak: impl FnOnce(&mut Config)) -> App {
    let mut config = Config::for_tests(dir.path());
    tweak(&mut config);
    let state = loop {
        match AppState::open(&config) {
            Err(guestlist::StartError::Store(guestlist::store::StoreError::Locked(_))) => {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            opened => break opened.expect("the state opens"),
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (shutdown, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(guestlist::run(listener, state.clone(), async {
        let _ = rx.await;
    }));
    App {
        addr,
        client: Client::new(),
        state,
        dir,
        shutdown,
        handle,
    }
}

impl App {
    pub async fn stop(self) -> TempDir {
        let _ = self.shutdown.send(());
        self.handle.await.expect("the server task ends cleanly");
        self.dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn signup(&self, username: &str, password: &str) {
        let status = signup_at(&self.client, &self.url(""), username, password).await;
        assert_eq!(status, StatusCode::CREATED, "signup of {username}");
    }

    /// A login as if from `address` (the test trusts 127.0.0.1 as a proxy).
    pub async fn login_from(&self, username: &str, password: &str, address: &str) -> Response {
        let body = json!({"username": username, "password": password});
        self.client
            .post(self.url("/api/v1/login"))
            .header("x-forwarded-for", address)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Logs in and returns the token.
    pub async fn login_ok(&self, username: &str, password: &str) -> String {
        let response = self.login_from(username, password, "x").await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// The status of a check (`GET /need_login`) with `token`.
    pub async fn check(&self, token: &str) -> u16 {
        self.status_with(Method::GET, "/need_login", token).await
    }

    /// The status of `GET /api/v1/tokens`, a read of the database.
    pub async fn list_status(&self, token: &str) -> u16 {
        self.status_with(Method::GET, "/api/v1/tokens", token).await
    }

    pub async fn logout(&self, token: &str) -> u16 {
        self.status_with(Method::POST, "/api/v1/logout", token)
            .await
    }

    async fn status_with(&self, method: Method, path: &str, token: &str) -> u16 {
        let request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        request.send().await.unwrap().status().as_u16()
    }

    /// (users, token entries) in the database, to show it is unchanged.
    pub fn counts(&self) -> (usize, u64) {
        use guestlist::store::{tokens, users};
        self.state
            .store
            .read_now(|txn| Ok((users::page(txn, None, 100_000)?.len(), tokens::count(txn)?)))
            .unwrap()
    }

    /// A POST with a raw body and an optional content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Response {
        let mut request = self.client.post(self.url(path)).body(body);
        if let Some(kind) = content_type {
            request = request.header("content-type", kind);
        }
        request.send().await.unwrap()
    }

    pub async fn healthz(&self) -> StatusCode {
        self.client
            .get(self.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Sends raw bytes on a fresh connection; returns everything read until
    /// the server closes (send `Connection: close` on a valid request).
    pub async fn raw(&self, request: &[u8]) -> String {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The status code of a raw HTTP/1.1 answer, 0 when there was none.
pub fn status_of(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

pub async fn err_body(response: Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// `POST {base}/api/v1/signup` with the email `{username}@mail.com`; for
/// servers in this process and in child processes alike.
pub async fn signup_at(client: &Client, base: &str, username: &str, password: &str) -> StatusCode {
    let body = json!({"username": username, "email": format!("{username}@mail.com"), "password": password});
    let url = format!("{base}/api/v1/signup");
    client.post(url).json(&body).send().await.unwrap().status()
}

/// The token ids of a `GET /api/v1/tokens` answer, which must be a 200.
pub async fn token_ids(response: Response) -> std::collections::HashSet<String> {
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let tokens = body["tokens"].as_array().unwrap();
    tokens
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}
