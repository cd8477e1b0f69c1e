//! A guestlist server in the test process, and one method per endpoint.

use std::net::SocketAddr;

use guestlist::store::{RoleRecord, StoreError, UserRecord, roles, users};
use guestlist::{AppState, Config, StartError};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::expect::*;

pub const ADMIN_NAME: &str = "testadmin";
pub const ADMIN_EMAIL: &str = "testadmin@mail.com";
pub const ADMIN_PASSWORD: &str = "testadmin";

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub dir: TempDir,
    shutdown: oneshot::Sender<()>,
    handle: JoinHandle<()>,
}

/// A logged-in device: the token and its id on the list.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub id: String,
    pub expires_at: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_in(tempfile::tempdir().unwrap()).await
}

/// A server on `dir` (which may hold a database from an earlier server).
pub async fn spawn_app_in(dir: TempDir) -> TestApp {
    spawn_configured(dir, |_| {}, false).await
}

/// A server whose database holds `testadmin` with role `admin`.
pub async fn spawn_app_with_admin() -> TestApp {
    spawn_configured(tempfile::tempdir().unwrap(), |_| {}, true).await
}

/// Stops `app` and starts a new server on its folder.
///
/// Works around a bug: after `run` returned and the state was dropped, the
/// store's writer thread still holds the database for a few milliseconds
/// (see `the_data_folder_can_be_opened_again_as_soon_as_the_server_has_returned`),
/// so opening waits, boundedly, for that lock alone.
pub async fn restart(app: TestApp) -> TestApp {
    let dir = app.stop().await;
    let config = Config::for_tests(dir.path());
    for _ in 0..1000 {
        match AppState::open(&config) {
            Err(StartError::Store(StoreError::Locked(_))) => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            opened => return serve(dir, opened.expect("the state opens")).await,
        }
    }
    panic!("the database was never released");
}

pub async fn spawn_configured(
    dir: TempDir,
    tweak: impl FnOnce(&mut Config),
    admin: bool,
) -> TestApp {
    let mut config = Config::for_tests(dir.path());
    tweak(&mut config);
    let state = AppState::open(&config).expect("the state opens");
    if admin {
        seed_admin(&state, ADMIN_NAME, ADMIN_EMAIL, ADMIN_PASSWORD);
    }
    serve(dir, state).await
}

async fn serve(dir: TempDir, state: AppState) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (shutdown, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(guestlist::run(listener, state, async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        client: Client::new(),
        dir,
        shutdown,
        handle,
    }
}

/// Writes a user holding role `admin`, before any request was served.
fn seed_admin(state: &AppState, username: &str, email: &str, password: &str) {
    let user = UserRecord {
        id: guestlist::auth::ids::random_id().unwrap(),
        username: username.into(),
        email: email.into(),
        password_hash: guestlist::auth::password::hash(password, 4).unwrap(),
        created_at: guestlist::auth::now_secs(),
        disabled: false,
    };
    let role = RoleRecord {
        name: "admin".into(),
        description: "administrators".into(),
        created_at: guestlist::auth::now_secs(),
    };
    let linked = state
        .store
        .write_now(|txn| {
            roles::ensure(txn, &role)?;
            users::insert(txn, &user)?.expect("a fresh database");
            roles::set_link(txn, username, "admin", true)
        })
        .unwrap();
    assert_eq!(linked, Ok(user.id));
}

impl TestApp {
    /// Stops the server, waits for it to finish, and hands back its folder.
    pub async fn stop(self) -> TempDir {
        let _ = self.shutdown.send(());
        self.handle.await.expect("the server task ends cleanly");
        self.dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Any request; `auth` is the raw `Authorization` value.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(auth) = auth {
            request = request.header(AUTHORIZATION, auth);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("the server answers")
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
            request = request.header(CONTENT_TYPE, kind);
        }
        request.send().await.expect("the server answers")
    }

    pub async fn get(&self, path: &str, auth: Option<&str>) -> Response {
        self.send(Method::GET, path, auth, None).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send(Method::POST, path, None, Some(body)).await
    }

    pub async fn healthz(&self) -> Response {
        self.get("/healthz", None).await
    }

    pub async fn signup(&self, username: &str, email: &str, password: &str) -> Response {
        let body = json!({ "username": username, "email": email, "password": password });
        self.post_json("/api/v1/signup", &body).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        let body = json!({ "username": username, "password": password });
        self.post_json("/api/v1/login", &body).await
    }

    pub async fn need_login(&self, token: &str) -> Response {
        self.get("/need_login", Some(&bearer(token))).await
    }

    pub async fn admin(&self, token: &str) -> Response {
        self.get("/admin", Some(&bearer(token))).await
    }

    pub async fn logout(&self, token: &str) -> Response {
        self.send(Method::POST, "/api/v1/logout", Some(&bearer(token)), None)
            .await
    }

    pub async fn tokens(&self, token: &str) -> Response {
        self.get("/api/v1/tokens", Some(&bearer(token))).await
    }

    pub async fn delete_token(&self, token: &str, id: &str) -> Response {
        let path = format!("/api/v1/tokens/{id}");
        self.send(Method::DELETE, &path, Some(&bearer(token)), None)
            .await
    }

    pub async fn delete_tokens(&self, token: &str, keep_current: bool) -> Response {
        let path = if keep_current {
            "/api/v1/tokens?keep_current=true"
        } else {
            "/api/v1/tokens"
        };
        self.send(Method::DELETE, path, Some(&bearer(token)), None)
            .await
    }

    pub async fn create_role(&self, token: &str, name: &str, description: &str) -> Response {
        let body = json!({ "name": name, "description": description });
        self.send(
            Method::POST,
            "/api/v1/roles",
            Some(&bearer(token)),
            Some(&body),
        )
        .await
    }

    pub async fn delete_role(&self, token: &str, name: &str) -> Response {
        let path = format!("/api/v1/roles/{name}");
        self.send(Method::DELETE, &path, Some(&bearer(token)), None)
            .await
    }

    pub async fn grant_role(&self, token: &str, username: &str, role: &str) -> Response {
        let path = format!("/api/v1/users/{username}/roles/{role}");
        self.send(Method::POST, &path, Some(&bearer(token)), None)
            .await
    }

    pub async fn remove_role(&self, token: &str, username: &str, role: &str) -> Response {
        let path = format!("/api/v1/users/{username}/roles/{role}");
        self.send(Method::DELETE, &path, Some(&bearer(token)), None)
            .await
    }

    /// Signs up `username` (password `{username}-password`); answers its id.
    pub async fn new_user(&self, username: &str) -> String {
        let response = self
            .signup(
                username,
                &format!("{username}@mail.com"),
                &password_of(username),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().expect("an id").to_owned()
    }

    /// Logs in and expects success.
    pub async fn login_ok(&self, username: &str, password: &str) -> Session {
        session(self.login(username, password).await).await
    }

    /// Signs up then logs in `username`.
    pub async fn user_session(&self, username: &str) -> Session {
        self.new_user(username).await;
        self.login_ok(username, &password_of(username)).await
    }

    pub async fn admin_session(&self) -> Session {
        self.login_ok(ADMIN_NAME, ADMIN_PASSWORD).await
    }
}

pub fn password_of(username: &str) -> String {
    format!("{username}-password")
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The session of a successful login response.
pub async fn session(response: Response) -> Session {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(response.headers()), JSON);
    let body: Value = response.json().await.unwrap();
    let text = |key: &str| {
        body[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {body}"))
            .to_owned()
    };
    Session {
        token: text("token"),
        id: text("id"),
        expires_at: text("expires_at"),
    }
}
