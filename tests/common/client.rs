//! An HTTP client for one server, in this process or a child process: one
//! method per endpoint, plus the signup and login helpers.

use std::collections::HashSet;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};

use super::expect::{JSON, content_type};

/// The admin `spawn_with_admin` writes into the database.
pub const ADMIN_NAME: &str = "testadmin";
pub const ADMIN_EMAIL: &str = "testadmin@mail.com";
pub const ADMIN_PASSWORD: &str = "testadmin";

/// A client of the server at `base` (`http://ADDR`).
#[derive(Clone)]
pub struct Api {
    pub client: Client,
    pub base: String,
}

/// A logged-in device: the token and its id on the list.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub id: String,
    pub expires_at: String,
}

impl Api {
    pub fn new(base: String) -> Api {
        Api {
            client: Client::new(),
            base,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Any request; `auth` is the raw `Authorization` value. An error when
    /// no answer came (the server was killed, say).
    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::Result<Response> {
        let mut request = self.client.request(method, self.url(path));
        if let Some(auth) = auth {
            request = request.header(AUTHORIZATION, auth);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await
    }

    /// Any request, which must be answered.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let sent = self.try_send(method, path, auth, body).await;
        sent.expect("the server answers")
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

    pub async fn healthz_status(&self) -> StatusCode {
        self.healthz().await.status()
    }

    pub async fn signup(&self, username: &str, email: &str, password: &str) -> Response {
        let body = json!({ "username": username, "email": email, "password": password });
        self.post_json("/api/v1/signup", &body).await
    }

    /// A signup with the email `{username}@mail.com`.
    pub async fn signup_with(&self, username: &str, password: &str) -> Response {
        self.signup(username, &format!("{username}@mail.com"), password)
            .await
    }

    /// Signs up `username` (email `{username}@mail.com`), expects 201;
    /// answers its id.
    pub async fn add_user(&self, username: &str, password: &str) -> String {
        let response = self.signup_with(username, password).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "signup of {username}"
        );
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().expect("an id").to_owned()
    }

    /// Signs up `username` (password `{username}-password`); answers its id.
    pub async fn new_user(&self, username: &str) -> String {
        self.add_user(username, &password_of(username)).await
    }

    /// A login, or an error when no answer came.
    pub async fn try_login(&self, username: &str, password: &str) -> reqwest::Result<Response> {
        let body = json!({ "username": username, "password": password });
        self.try_send(Method::POST, "/api/v1/login", None, Some(&body))
            .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        let sent = self.try_login(username, password).await;
        sent.expect("the server answers")
    }

    /// A login as if from `address` (the tests' config trusts 127.0.0.1 as
    /// a proxy).
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

    /// Logs in `username` (password `{username}-password`) from a client
    /// calling itself `agent`, with an optional device description; expects
    /// success.
    pub async fn login_as_agent(
        &self,
        username: &str,
        agent: &str,
        description: Option<&str>,
    ) -> Session {
        let mut body = json!({ "username": username, "password": password_of(username) });
        if let Some(description) = description {
            body["description"] = json!(description);
        }
        let response = self
            .client
            .post(self.url("/api/v1/login"))
            .header(USER_AGENT, agent)
            .json(&body)
            .send()
            .await
            .unwrap();
        session(response).await
    }

    /// Logs in and expects success (200, JSON).
    pub async fn login_ok(&self, username: &str, password: &str) -> Session {
        session(self.login(username, password).await).await
    }

    /// A login as if from `address` that must succeed (200, JSON).
    pub async fn login_from_ok(&self, username: &str, password: &str, address: &str) -> Session {
        session(self.login_from(username, password, address).await).await
    }

    /// Logs in as if from the address `x` and expects success; answers the
    /// token.
    pub async fn login_token(&self, username: &str, password: &str) -> String {
        self.login_from_ok(username, password, "x").await.token
    }

    /// Signs up then logs in `username`.
    pub async fn user_session(&self, username: &str) -> Session {
        self.new_user(username).await;
        self.login_ok(username, &password_of(username)).await
    }

    /// The session of the admin `spawn_with_admin` wrote.
    pub async fn admin_session(&self) -> Session {
        self.login_ok(ADMIN_NAME, ADMIN_PASSWORD).await
    }

    pub async fn need_login(&self, token: &str) -> Response {
        self.get("/need_login", Some(&bearer(token))).await
    }

    /// The status of a check (`GET /need_login`) with `token`.
    pub async fn check(&self, token: &str) -> u16 {
        self.status_with(Method::GET, "/need_login", token).await
    }

    pub async fn admin(&self, token: &str) -> Response {
        self.get("/admin", Some(&bearer(token))).await
    }

    pub async fn logout(&self, token: &str) -> Response {
        self.send(Method::POST, "/api/v1/logout", Some(&bearer(token)), None)
            .await
    }

    pub async fn logout_status(&self, token: &str) -> u16 {
        self.status_with(Method::POST, "/api/v1/logout", token)
            .await
    }

    pub async fn tokens(&self, token: &str) -> Response {
        self.get("/api/v1/tokens", Some(&bearer(token))).await
    }

    /// The token ids of the caller's list, which must be answered 200.
    pub async fn listed_ids(&self, token: &str) -> HashSet<String> {
        token_ids(self.tokens(token).await).await
    }

    /// The status of `GET /api/v1/tokens`, a read of the database.
    pub async fn list_status(&self, token: &str) -> u16 {
        self.status_with(Method::GET, "/api/v1/tokens", token).await
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

    /// The status of `method path` with `token`.
    pub async fn status_with(&self, method: Method, path: &str, token: &str) -> u16 {
        let response = self.send(method, path, Some(&bearer(token)), None).await;
        response.status().as_u16()
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

/// The status code of a raw HTTP/1.1 answer, 0 when there was none.
pub fn status_of(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// A body that must be JSON.
pub async fn err_body(response: Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// The token ids of a `GET /api/v1/tokens` answer, which must be a 200.
pub async fn token_ids(response: Response) -> HashSet<String> {
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let tokens = body["tokens"].as_array().unwrap();
    tokens
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}
