//! Devices: what GET /api/v1/tokens shows, last-used times kept in
//! memory and written in batches, expiry and its purge, the per-user cap
//! and the idle timeout.

use std::time::Duration;

use guestlist::Config;
use guestlist::config::TokenLimit;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::library::stored_token;
use crate::common::*;

/// The caller's list, as entries keyed by id.
async fn listed(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.tokens(token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["tokens"].as_array().expect("a list").clone()
}

fn entry<'a>(list: &'a [Value], id: &str) -> Option<&'a Value> {
    list.iter().find(|t| t["id"] == id)
}

#[tokio::test]
async fn the_list_shows_each_device_and_which_one_is_calling() {
    let app = spawn().await;
    app.new_user("dev").await;
    let phone = app
        .login_as_agent("dev", "phone-app/1.0", Some("my phone"))
        .await;
    let laptop = app.login_as_agent("dev", "laptop-browser/2.0", None).await;
    let list = listed(&app, &phone.token).await;
    assert_eq!(list.len(), 2);
    let mine = entry(&list, &phone.id).expect("the phone is listed");
    assert_eq!(mine["description"], "my phone");
    assert_eq!(mine["user_agent"], "phone-app/1.0");
    assert_eq!(mine["ip"], "127.0.0.1");
    assert_eq!(mine["current"], true);
    assert_eq!(mine["expires_at"], phone.expires_at.as_str());
    // Without a description, the user agent names the device.
    let other = entry(&list, &laptop.id).expect("the laptop is listed");
    assert_eq!(other["description"], "laptop-browser/2.0");
    assert_eq!(other["current"], false);
    for time in ["created_at", "last_used_at", "expires_at"] {
        assert!(is_rfc3339_seconds(other[time].as_str().unwrap()), "{time}");
    }
}

/// The stored last-used time of `jti`, from the admin export (which reads
/// the database, not memory).
async fn exported_last_used(app: &TestApp, admin: &Session, jti: &str) -> String {
    let response = app
        .get("/api/v1/admin/export", Some(&bearer(&admin.token)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let line = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|record| record["type"] == "token" && record["jti"] == jti)
        .expect("the token is exported");
    line["last_used_at"].as_str().expect("a time").to_owned()
}

#[tokio::test]
async fn last_used_times_advance_in_memory_and_are_written_at_shutdown() {
    let tweak = |c: &mut Config| c.last_used_flush = Duration::from_secs(3600);
    let app = spawn_with_admin_and(tweak).await;
    let admin = app.admin_session().await;
    let busy = app.user_session("busy").await;
    let other = app.login_ok("busy", &password_of("busy")).await;
    let logged_in_at = exported_last_used(&app, &admin, &busy.id).await;
    // Last-used times have one-second granularity: let one pass.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..20 {
        expect_text(app.need_login(&busy.token).await, NEED_LOGIN_TEXT).await;
    }
    // Every device sees the use at once, from memory ...
    for viewer in [&busy, &other] {
        let list = listed(&app, &viewer.token).await;
        let seen = entry(&list, &busy.id).unwrap();
        assert!(seen["last_used_at"].as_str() > seen["created_at"].as_str());
    }
    // ... while twenty requests wrote nothing.
    assert_eq!(
        exported_last_used(&app, &admin, &busy.id).await,
        logged_in_at
    );
    // A graceful shutdown writes what was pending.
    let dir = app.stop().await;
    let record = stored_token(dir.path(), &busy.id)
        .await
        .expect("still stored");
    assert!(record.last_used_at > record.created_at);
}

#[tokio::test]
async fn an_expired_token_is_refused_unlisted_and_purged() {
    let app = spawn_with(|c| {
        c.token_ttl = Duration::from_secs(2);
        c.purge_interval = Duration::from_millis(200);
    })
    .await;
    app.new_user("brief").await;
    let old = app.login_ok("brief", &password_of("brief")).await;
    expect_text(app.need_login(&old.token).await, NEED_LOGIN_TEXT).await;
    // Polled rather than timed: the token dies within its two seconds.
    let mut refused = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if app.need_login(&old.token).await.status() == StatusCode::UNAUTHORIZED {
            refused = true;
            break;
        }
    }
    assert!(refused, "the token outlived its TTL");
    expect_invalid(app.need_login(&old.token).await).await;
    let new = app.login_ok("brief", &password_of("brief")).await;
    assert!(entry(&listed(&app, &new.token).await, &old.id).is_none());
    // Several purge periods pass; nothing but the purge removes the entry.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let dir = app.stop().await;
    assert!(stored_token(dir.path(), &old.id).await.is_none());
}

#[tokio::test]
async fn a_login_over_the_cap_evicts_the_least_recently_used() {
    let app = spawn_with(|c| {
        c.max_tokens_per_user = 2;
        c.last_used_flush = Duration::from_secs(3600);
    })
    .await;
    app.new_user("capped").await;
    let used = app.login_ok("capped", &password_of("capped")).await;
    let unused = app.login_ok("capped", &password_of("capped")).await;
    // `used` is used a second later, in memory only (no flush yet): the
    // eviction must see that use, not the stored login time.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    expect_text(app.need_login(&used.token).await, NEED_LOGIN_TEXT).await;
    let newest = app.login_ok("capped", &password_of("capped")).await;
    expect_invalid(app.need_login(&unused.token).await).await;
    expect_text(app.need_login(&used.token).await, NEED_LOGIN_TEXT).await;
    expect_text(app.need_login(&newest.token).await, NEED_LOGIN_TEXT).await;
    assert_eq!(listed(&app, &newest.token).await.len(), 2);
}

#[tokio::test]
async fn with_reject_a_login_over_the_cap_is_refused_with_409() {
    let app = spawn_with(|c| {
        c.max_tokens_per_user = 2;
        c.on_token_limit = TokenLimit::Reject;
    })
    .await;
    app.new_user("strict").await;
    let first = app.login_ok("strict", &password_of("strict")).await;
    let second = app.login_ok("strict", &password_of("strict")).await;
    expect_err(
        app.login("strict", &password_of("strict")).await,
        StatusCode::CONFLICT,
        "too many live tokens: log out another device first",
    )
    .await;
    // Nobody was evicted; logging out one device makes room.
    expect_text(app.need_login(&second.token).await, NEED_LOGIN_TEXT).await;
    assert_eq!(app.logout(&first.token).await.status(), StatusCode::OK);
    app.login_ok("strict", &password_of("strict")).await;
}

#[tokio::test]
async fn a_token_unused_for_the_idle_timeout_dies() {
    let app = spawn_with_admin_and(|c| c.token_idle_ttl = Some(Duration::from_secs(2))).await;
    app.new_user("napper").await;
    let awake = app.login_ok("napper", &password_of("napper")).await;
    let asleep = app.login_ok("napper", &password_of("napper")).await;
    // Over three seconds, `awake` is used every 0.4 s and `asleep` never.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        expect_text(app.need_login(&awake.token).await, NEED_LOGIN_TEXT).await;
    }
    expect_invalid(app.need_login(&asleep.token).await).await;
    let list = listed(&app, &awake.token).await;
    assert!(entry(&list, &asleep.id).is_none());
    assert!(entry(&list, &awake.id).is_some());
    // The admin's user list counts by the same rule: one live token.
    let admin = app.admin_session().await;
    let users = app.get("/api/v1/users", Some(&bearer(&admin.token))).await;
    let users: Value = users.json().await.unwrap();
    let listed = users["users"].as_array().unwrap();
    let napper = listed.iter().find(|u| u["username"] == "napper").unwrap();
    assert_eq!(napper["tokens"], 1);
}

/// Logs `username` in claiming, in `X-Forwarded-For`, to come from `hops`;
/// answers the address the list records.
async fn recorded_ip(app: &TestApp, username: &str, hops: &str) -> Value {
    let body = json!({ "username": username, "password": password_of(username) });
    let response = app
        .client
        .post(app.url("/api/v1/login"))
        .header("x-forwarded-for", hops)
        .json(&body)
        .send()
        .await
        .unwrap();
    let login = session(response).await;
    entry(&listed(app, &login.token).await, &login.id).unwrap()["ip"].clone()
}

#[tokio::test]
async fn the_address_comes_from_forwarding_headers_only_behind_a_trusted_proxy() {
    let open = spawn().await;
    open.new_user("roamer").await;
    // A client may write anything: from an untrusted peer, the socket wins.
    assert_eq!(
        recorded_ip(&open, "roamer", "203.0.113.7").await,
        "127.0.0.1"
    );
    let proxied = spawn_with(|c| c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()]).await;
    proxied.new_user("roamer").await;
    let hops = "198.51.100.1, 203.0.113.7";
    // The nearest hop that is not a trusted proxy is the client.
    assert_eq!(recorded_ip(&proxied, "roamer", hops).await, "203.0.113.7");
}
