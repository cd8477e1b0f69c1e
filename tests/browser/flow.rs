//! The whole flow of issue 13 through chromium, nginx and guestlist.

use fantoccini::Locator;
use serde_json::Value;

use crate::common::*;
use crate::rig::{Proxy, Rig, programs};

/// The id of the device described `description` in `token`'s list.
async fn device_id(app: &TestApp, token: &str, description: &str) -> String {
    let body: Value = app.tokens(token).await.json().await.unwrap();
    let tokens = body["tokens"].as_array().unwrap();
    let device = tokens.iter().find(|t| t["description"] == description);
    let device = device.unwrap_or_else(|| panic!("no {description:?} in {body}"));
    device["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_browser_signs_in_through_the_proxy_and_is_a_device_like_any_other() {
    let Some(programs) = programs() else { return };
    let rig = Rig::start(&programs, Proxy::Nginx).await;
    rig.app.new_user("alice").await;
    let protected = rig.url("app", "/private/page?x=1&y=two");

    // Signed out: the protected URL sends the browser to the portal.
    rig.open(&protected).await;
    let at = rig.at().await;
    assert!(at.starts_with(&rig.url("auth", "/login?rd=")), "{at}");
    assert!(
        rig.text()
            .await
            .contains("to continue to app.guestlist.test")
    );
    rig.browser.set_window_size(390, 844).await.unwrap();
    rig.screenshot("sign-in-phone").await;
    rig.browser.set_window_size(1280, 900).await.unwrap();
    rig.screenshot("sign-in").await;

    // Signed in: back to the URL asked for, and the upstream knows who.
    rig.sign_in("alice", &password_of("alice"), Some("Test browser"))
        .await;
    assert_eq!(rig.at().await, protected);
    assert!(rig.text().await.contains("upstream reached by [alice]"));

    // The devices page lists this browser and a token made by an API client.
    let api = rig
        .app
        .login_as_agent("alice", "curl/8.5.0", Some("build server"))
        .await;
    rig.open(&rig.url("auth", "/account")).await;
    let page = rig.text().await;
    for expected in [
        "alice",
        "Test browser",
        "build server",
        "This device",
        "curl 8",
        "Headless Chrome",
    ] {
        assert!(
            page.contains(expected),
            "{expected:?} not on the page:\n{page}"
        );
    }
    rig.screenshot("account").await;

    // Signing out the API token from the page: its next request is refused.
    assert_eq!(rig.app.check(&api.token).await, 200);
    let button = format!("//input[@name='id' and @value='{}']/../button", api.id);
    let button = rig.browser.find(Locator::XPath(&button)).await.unwrap();
    rig.submit_with(button).await;
    assert!(rig.at().await.ends_with("/account?done=device"));
    assert!(rig.text().await.contains("The device was signed out."));
    assert_eq!(rig.app.check(&api.token).await, 401);

    // Revoking the browser's session from the API: its next navigation
    // lands on the portal again.
    let other = rig
        .app
        .login_as_agent("alice", "curl/8.5.0", Some("laptop"))
        .await;
    let browser_id = device_id(&rig.app, &other.token, "Test browser").await;
    let revoked = rig.app.delete_token(&other.token, &browser_id).await;
    assert_eq!(revoked.status(), 200);
    rig.open(&protected).await;
    assert!(rig.at().await.starts_with(&rig.url("auth", "/login?rd=")));

    // An administrator's users page: disabling alice signs her out.
    rig.sign_in(ADMIN_NAME, ADMIN_PASSWORD, None).await;
    assert!(rig.text().await.contains("upstream reached by [testadmin]"));
    rig.open(&rig.url("auth", "/admin/users")).await;
    assert!(rig.text().await.contains("alice@mail.com"));
    rig.screenshot("admin-users").await;
    let disable = "//input[@name='username' and @value='alice']/../button[text()='Disable']";
    let disable = rig.browser.find(Locator::XPath(disable)).await.unwrap();
    rig.submit_with(disable).await;
    assert!(rig.text().await.contains("The user was disabled"));
    assert_eq!(rig.app.check(&other.token).await, 401);

    // Signing out in the top bar ends this browser's session too.
    rig.click("form[action='/logout'] button").await;
    assert!(rig.text().await.contains("You have signed out."));
    rig.open(&protected).await;
    assert!(rig.at().await.starts_with(&rig.url("auth", "/login?rd=")));
    rig.finish().await;
}

/// The same flow through Caddy's `forward_auth`, which passes guestlist's
/// 302 on to the browser.
#[tokio::test]
async fn caddy_forward_auth_sends_browsers_to_the_portal_and_back() {
    let Some(programs) = programs() else { return };
    if !programs.has_caddy() {
        return;
    }
    let rig = Rig::start(&programs, Proxy::Caddy).await;
    rig.app.new_user("carol").await;
    let protected = rig.url("app", "/docs/index.html?q=1");
    rig.open(&protected).await;
    let at = rig.at().await;
    assert!(at.starts_with(&rig.url("auth", "/login?rd=")), "{at}");
    rig.sign_in("carol", &password_of("carol"), Some("Caddy browser"))
        .await;
    assert_eq!(rig.at().await, protected);
    assert!(rig.text().await.contains("upstream reached by [carol]"));
    let api = rig.app.login_as_agent("carol", "curl/8.5.0", None).await;
    let browser_id = device_id(&rig.app, &api.token, "Caddy browser").await;
    assert_eq!(
        rig.app.delete_token(&api.token, &browser_id).await.status(),
        200
    );
    rig.open(&protected).await;
    assert!(rig.at().await.starts_with(&rig.url("auth", "/login?rd=")));
    rig.finish().await;
}
