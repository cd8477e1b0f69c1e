//! The sign-in portal over plain HTTP, without a browser (tests/browser
//! drives a real one): its headers, cookies and CSRF refusals, and the
//! session cookie at `GET /api/v1/verify`.

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode, redirect};

use crate::common::*;

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A client that shows redirects instead of following them.
fn browserish() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

/// `name=value` of the `Set-Cookie` whose name starts with `prefix`.
fn set_cookie(response: &Response, prefix: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(prefix))
}

fn pair(cookie: &str) -> &str {
    cookie.split(';').next().unwrap()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.replace('%', "%25")
                    .replace('&', "%26")
                    .replace('/', "%2F")
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A browser's sign-in: the form's cookie, then the post. Answers the
/// post's response.
async fn sign_in(app: &TestApp, username: &str, password: &str, rd: &str) -> Response {
    let client = browserish();
    let page = client.get(app.url("/login")).send().await.unwrap();
    let login = set_cookie(&page, "__Host-guestlist_login=").expect("the form's cookie");
    let value = pair(&login).split_once('=').unwrap().1.to_owned();
    client
        .post(app.url("/login"))
        .header("cookie", pair(&login))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", format!("http://{}", app.addr))
        .body(form(&[
            ("csrf", &value),
            ("username", username),
            ("password", password),
            ("rd", rd),
        ]))
        .send()
        .await
        .unwrap()
}

/// The anti-CSRF token of the account page's forms, for `cookie`'s session.
async fn account_csrf(app: &TestApp, cookie: &str) -> String {
    let page = browserish()
        .get(app.url("/account"))
        .header("cookie", cookie);
    let html = page.send().await.unwrap().text().await.unwrap();
    let after = html.split("name=\"csrf\" value=\"").nth(1).expect("a form");
    after.split('"').next().unwrap().to_owned()
}

/// The session cookie (`name=value`) of a successful sign-in.
async fn session_cookie(app: &TestApp, username: &str) -> String {
    let password = match username {
        ADMIN_NAME => ADMIN_PASSWORD.to_owned(),
        _ => password_of(username),
    };
    let response = sign_in(app, username, &password, "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&response, "__Host-guestlist_session=").expect("a session");
    pair(&cookie).to_owned()
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_no_script() {
    let app = spawn().await;
    let page = browserish().get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    assert_eq!(header(&headers, "content-security-policy"), CSP);
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(&headers, "referrer-policy"), "same-origin");
    assert_eq!(header(&headers, "cache-control"), "no-store");
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("<label for=\"password\">"));
    let css = browserish()
        .get(app.url("/assets/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(css.headers(), "content-type"),
        "text/css; charset=utf-8"
    );
    // A signed-out visit of the account page is sent to sign in.
    let account = browserish().get(app.url("/account")).send().await.unwrap();
    assert_eq!(account.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(account.headers(), "location"),
        "/login?rd=%2Faccount"
    );
    assert_eq!(header(account.headers(), "content-security-policy"), CSP);
}

#[tokio::test]
async fn a_sign_in_sets_a_host_only_session_cookie_with_every_flag() {
    let app = spawn().await;
    app.new_user("alice").await;
    let response = sign_in(
        &app,
        "alice",
        &password_of("alice"),
        "https://evil.example/",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(response.headers(), "location"), "/account");
    let cookie = set_cookie(&response, "__Host-guestlist_session=").unwrap();
    for flag in [
        "; Path=/",
        "; Max-Age=172",
        "; Expires=",
        "; HttpOnly",
        "; SameSite=Lax",
        "; Secure",
    ] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
}

#[tokio::test]
async fn insecure_cookies_only_behind_the_flag() {
    let app = spawn_with(|c| {
        c.insecure_cookies = true;
        c.cookie_domain = Some("example.com".into());
    })
    .await;
    app.new_user("alice").await;
    let client = browserish();
    let page = client.get(app.url("/login")).send().await.unwrap();
    let login = set_cookie(&page, "guestlist_login=").unwrap();
    assert!(!login.contains("Secure"), "{login}");
    let value = pair(&login).split_once('=').unwrap().1.to_owned();
    let password = password_of("alice");
    let fields = [
        ("csrf", value.as_str()),
        ("username", "alice"),
        ("password", &password),
    ];
    let response = client
        .post(app.url("/login"))
        .header("cookie", pair(&login))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&fields))
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(&response, "guestlist_session=").unwrap();
    assert!(
        cookie.contains("; Domain=example.com") && !cookie.contains("Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn login_forms_from_elsewhere_or_without_their_cookie_are_refused() {
    let app = spawn().await;
    app.new_user("alice").await;
    let password = password_of("alice");
    let fields = form(&[
        ("csrf", "abcdefghijklmnopqrstuv"),
        ("username", "alice"),
        ("password", &password),
    ]);
    let post = |origin: Option<&'static str>, site: Option<&'static str>, cookie: bool| {
        let mut request = browserish()
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(fields.clone());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        if cookie {
            request = request.header("cookie", "__Host-guestlist_login=abcdefghijklmnopqrstuv");
        }
        request.send()
    };
    for (origin, site) in [
        (Some("https://evil.example"), None),
        (None, Some("cross-site")),
        (None, Some("same-site")),
    ] {
        let refused = post(origin, site, true).await.unwrap();
        assert_eq!(
            refused.status(),
            StatusCode::FORBIDDEN,
            "{origin:?} {site:?}"
        );
        assert!(refused.text().await.unwrap().contains("Request refused"));
    }
    let no_cookie = post(None, None, false).await.unwrap();
    assert_eq!(no_cookie.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&no_cookie, "__Host-guestlist_session").is_none());
    let ok = post(None, Some("same-origin"), true).await.unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_page() {
    let app = spawn().await;
    app.new_user("alice").await;
    let wrong = sign_in(&app, "alice", "wrong-password", "").await;
    let unknown = sign_in(&app, "nobody", "wrong-password", "").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let strip = |html: String, name: &str| {
        let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap()[..22].to_owned();
        html.replace(&csrf, "CSRF")
            .replace(&format!("value=\"{name}\""), "value=\"\"")
    };
    let wrong = strip(wrong.text().await.unwrap(), "alice");
    let unknown = strip(unknown.text().await.unwrap(), "nobody");
    assert_eq!(wrong, unknown);
    assert!(wrong.contains("Wrong username or password."));
}

#[tokio::test]
async fn verify_takes_the_cookie_only_without_an_authorization_header() {
    let app = spawn().await;
    app.new_user("alice").await;
    let cookie = session_cookie(&app, "alice").await;
    let verify = |auth: Option<&'static str>| {
        let mut request = browserish()
            .get(app.url("/api/v1/verify"))
            .header("cookie", cookie.clone());
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    let admitted = verify(None).await.unwrap();
    assert_eq!(admitted.status(), StatusCode::OK);
    assert_eq!(header(admitted.headers(), "x-guestlist-user"), "alice");
    // Authorization wins, even a bad one.
    expect_invalid(verify(Some("Bearer not.a.token")).await.unwrap()).await;
    // The browser's session is a device on the list.
    let api = app.login_ok("alice", &password_of("alice")).await;
    assert_eq!(app.listed_ids(&api.token).await.len(), 2);
}

#[tokio::test]
async fn verify_sends_signed_out_browsers_to_the_portal_and_api_clients_get_401() {
    let app = spawn_with(|c| c.portal_url = Some("https://auth.example.com".into())).await;
    let get = |headers: &[(&'static str, &'static str)]| {
        let mut request = browserish().get(app.url("/api/v1/verify"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let forwarded = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "app.example.com"),
        ("x-forwarded-uri", "/wiki?page=1"),
    ];
    let mut navigation = forwarded.to_vec();
    navigation.push(("accept", "text/html,application/xhtml+xml"));
    let found = get(&navigation).await.unwrap();
    assert_eq!(found.status(), StatusCode::FOUND);
    let to = "https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com%2Fwiki%3Fpage%3D1";
    assert_eq!(header(found.headers(), "location"), to);
    // A script's fetch, or no forwarded URL: the API's 401.
    let mut fetch = forwarded.to_vec();
    fetch.push(("accept", "application/json"));
    expect_no_header(get(&fetch).await.unwrap()).await;
    expect_no_header(get(&[("accept", "text/html")]).await.unwrap()).await;
    // nginx: 401, with where to sign in for its error_page.
    let nginx = get(&[
        ("sec-fetch-mode", "navigate"),
        ("x-original-url", "https://app.example.com/"),
    ]);
    let nginx = nginx.await.unwrap();
    assert_eq!(nginx.status(), StatusCode::UNAUTHORIZED);
    let to = "https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com%2F";
    assert_eq!(header(nginx.headers(), LOCATION.as_str()), to);
}

#[tokio::test]
async fn account_forms_need_the_session_token_and_sign_out_for_real() {
    let app = spawn().await;
    app.new_user("alice").await;
    let cookie = session_cookie(&app, "alice").await;
    let phone = app.login_ok("alice", &password_of("alice")).await;
    let csrf = account_csrf(&app, &cookie).await;
    let csrf = csrf.as_str();
    let post = |token: &str| {
        browserish()
            .post(app.url("/account/devices/sign-out-others"))
            .header("cookie", cookie.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={token}"))
            .send()
    };
    let forged = post("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.check(&phone.token).await, 200);
    let done = post(csrf).await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(done.headers(), "location"),
        "/account?done=others&n=1"
    );
    assert_eq!(app.check(&phone.token).await, 401);
    // Revoked from the API: the next page visit is sent to sign in.
    let api = app.login_ok("alice", &password_of("alice")).await;
    assert_eq!(
        app.delete_tokens(&api.token, true).await.status(),
        StatusCode::OK
    );
    let gone = browserish()
        .get(app.url("/account"))
        .header("cookie", cookie.clone());
    assert_eq!(gone.send().await.unwrap().status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_users_page_is_for_administrators_only() {
    let app = spawn_with_admin().await;
    app.new_user("alice").await;
    let alice = session_cookie(&app, "alice").await;
    let refused = browserish()
        .get(app.url("/admin/users"))
        .header("cookie", alice);
    assert_eq!(
        refused.send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let admin = session_cookie(&app, ADMIN_NAME).await;
    let page = browserish()
        .get(app.url("/admin/users"))
        .header("cookie", admin);
    let page = page.send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("alice@mail.com"));
}

#[tokio::test]
async fn a_browser_session_is_a_device_for_the_offline_commands_and_the_export() {
    let app = spawn().await;
    app.new_user("alice").await;
    let client = browserish();
    let page = client.get(app.url("/login")).send().await.unwrap();
    let login = set_cookie(&page, "__Host-guestlist_login=").unwrap();
    let value = pair(&login).split_once('=').unwrap().1.to_owned();
    let password = password_of("alice");
    let fields = [
        ("csrf", value.as_str()),
        ("username", "alice"),
        ("password", &password),
        ("device", "portal browser"),
    ];
    let signed_in = client
        .post(app.url("/login"))
        .header("cookie", pair(&login))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&fields))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let dir = app.stop().await;
    let listed = finish(guestlist(dir.path()).args(["tokens", "list", "alice"]));
    assert!(listed.status.success());
    assert!(String::from_utf8_lossy(&listed.stdout).contains("portal browser"));
    let exported = finish(guestlist(dir.path()).arg("export"));
    assert!(String::from_utf8_lossy(&exported.stdout).contains("portal browser"));
}

#[tokio::test]
async fn the_password_form_changes_it_and_signs_out_every_other_device() {
    let app = spawn().await;
    app.new_user("alice").await;
    let cookie = session_cookie(&app, "alice").await;
    let phone = app.login_ok("alice", &password_of("alice")).await;
    let csrf = account_csrf(&app, &cookie).await;
    let csrf = csrf.as_str();
    let change = |current: &str, new: &str, confirm: &str| {
        let body = form(&[
            ("csrf", csrf),
            ("current", current),
            ("new", new),
            ("confirm", confirm),
        ]);
        browserish()
            .post(app.url("/account/password"))
            .header("cookie", cookie.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let old = password_of("alice");
    let mismatch = change(&old, "new-password-1", "new-password-2")
        .await
        .unwrap();
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        mismatch
            .text()
            .await
            .unwrap()
            .contains("The new passwords do not match.")
    );
    let wrong = change("not-it-at-all", "new-password-1", "new-password-1")
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("The current password is wrong.")
    );
    assert_eq!(app.check(&phone.token).await, 200);
    let done = change(&old, "new-password-1", "new-password-1")
        .await
        .unwrap();
    assert_eq!(
        header(done.headers(), "location"),
        "/account?done=password&n=1"
    );
    assert_eq!(app.check(&phone.token).await, 401);
    assert_eq!(
        app.login("alice", &old).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let page = browserish()
        .get(app.url("/account?done=password&n=1"))
        .header("cookie", cookie);
    let html = page.send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Your password was changed. 1 other device was signed out."));
}

#[test]
fn malformed_portal_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        ["--cookie-domain", "bad domain"],
        ["--portal-url", "ftp://auth.example.com"],
        ["--allowed-redirect", "evil/path"],
    ] {
        let output = finish(guestlist(dir.path()).args(args).arg("check"));
        let line = assert_refused(&output, 2);
        assert!(line.contains(args[0]), "{line}");
    }
}

#[tokio::test]
async fn a_browser_session_is_a_device_for_the_admin_routes_and_survives_an_import() {
    let app = spawn_with_admin().await;
    app.new_user("alice").await;
    let cookie = session_cookie(&app, "alice").await;
    let admin = bearer(&app.admin_session().await.token);
    let listed = app.get("/api/v1/users/alice/tokens", Some(&admin)).await;
    let listed: serde_json::Value = listed.json().await.unwrap();
    assert_eq!(
        listed["tokens"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    let users = app.get("/api/v1/users", Some(&admin)).await;
    let users: serde_json::Value = users.json().await.unwrap();
    let alice = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "alice");
    assert_eq!(alice.unwrap()["tokens"], 1, "{users}");
    // Export, import into a new folder (the secret travels with it), serve.
    let dir = app.stop().await;
    let file = dir.path().join("backup.jsonl");
    let exported = finish(guestlist(dir.path()).arg("export").arg(&file));
    assert!(exported.status.success());
    let moved = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("secret"), moved.path().join("secret")).unwrap();
    let imported = finish(guestlist(moved.path()).arg("import").arg(&file));
    assert!(imported.status.success(), "{imported:?}");
    let server = Server::serve(moved.path());
    let verified = browserish()
        .get(server.url("/api/v1/verify"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        verified.status(),
        StatusCode::OK,
        "the session works after the move"
    );
    server.stop();
}
