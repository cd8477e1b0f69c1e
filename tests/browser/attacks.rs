//! The attacks of issue 13, in chromium through nginx.

use fantoccini::Locator;

use crate::common::*;
use crate::rig::{DOMAIN, Proxy, Rig, programs};

const SCRIPT_NAME: &str = "<script>alert(1)</script>";
const HOSTILE_AGENT: &str = "\"><img src=x onerror=alert(2)><script>alert(3)</script>";

#[tokio::test]
async fn hostile_values_forged_forms_open_redirects_and_guessing_all_fail() {
    let Some(programs) = programs() else { return };
    let rig = Rig::start(&programs, Proxy::Nginx).await;
    rig.app.new_user("mallory").await;
    let planted = rig
        .app
        .login_as_agent("mallory", HOSTILE_AGENT, Some(SCRIPT_NAME))
        .await;

    // Signing in with a return URL on another site lands on the account page.
    rig.open(&rig.url("auth", "/login?rd=https%3A%2F%2Fevil.test%2F"))
        .await;
    rig.sign_in("mallory", &password_of("mallory"), None).await;
    assert_eq!(rig.at().await, rig.url("auth", "/account"));

    hostile_values_render_as_text(&rig).await;
    the_session_cookie_carries_its_flags(&rig).await;
    open_redirects_land_on_the_account_page(&rig).await;
    forms_from_other_origins_are_refused(&rig).await;
    assert_eq!(
        rig.app.check(&planted.token).await,
        200,
        "nothing was signed out"
    );
    wrong_passwords_and_unknown_users_look_alike(&rig).await;
    guessing_is_throttled_on_the_portal_too(&rig).await;
    rig.finish().await;
}

async fn hostile_values_render_as_text(rig: &Rig) {
    let page = rig.text().await;
    assert!(page.contains(SCRIPT_NAME), "the name is shown as text");
    assert!(page.contains(HOSTILE_AGENT), "the agent is shown as text");
    let count = |tag: &'static str| async move {
        rig.browser.find_all(Locator::Css(tag)).await.unwrap().len()
    };
    assert_eq!(count("script").await, 0, "no script element was made");
    assert_eq!(count("img").await, 0, "no image element was made");
    assert!(
        rig.browser.get_alert_text().await.is_err(),
        "no alert is open"
    );
    rig.screenshot("account-hostile-values").await;
}

async fn the_session_cookie_carries_its_flags(rig: &Rig) {
    let cookie = rig
        .browser
        .get_named_cookie("__Secure-guestlist_session")
        .await;
    let cookie = cookie.expect("the session cookie is set for the domain");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.secure(), Some(true));
    assert_eq!(
        cookie.same_site().map(|s| s.to_string()).as_deref(),
        Some("Lax")
    );
    assert_eq!(cookie.path(), Some("/"));
    let domain = cookie.domain().unwrap_or_default().trim_start_matches('.');
    assert_eq!(domain, DOMAIN);
    assert!(cookie.expires().is_some(), "it expires with the token");
}

async fn open_redirects_land_on_the_account_page(rig: &Rig) {
    let port = rig.port;
    let tricks = [
        "https://evil.test/".to_owned(),
        format!("https://evil.test:{port}/"),
        format!("//evil.test:{port}/"),
        "https:evil.test".to_owned(),
        "/\\evil.test".to_owned(),
        "\\\\evil.test".to_owned(),
        format!("https://app.{DOMAIN}:{port}@evil.test:{port}/"),
        format!("https://app.{DOMAIN}:{port}\\@evil.test:{port}/"),
        format!("https://evil.test:{port}/?.{DOMAIN}"),
        format!("https://{DOMAIN}.evil.test:{port}/"),
        "%2F%2Fevil.test".to_owned(),
        "javascript:alert(1)".to_owned(),
        format!("http://app.{DOMAIN}:{port}/"),
    ];
    for trick in tricks {
        let rd: String = url_encode(&trick);
        rig.open(&rig.url("auth", &format!("/login?rd={rd}"))).await;
        assert_eq!(rig.at().await, rig.url("auth", "/account"), "rd={trick}");
    }
    // A return URL on the cookie domain is followed.
    let fine = rig.url("app", "/fine");
    rig.open(&rig.url("auth", &format!("/login?rd={}", url_encode(&fine))))
        .await;
    assert_eq!(rig.at().await, fine);
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn forms_from_other_origins_are_refused(rig: &Rig) {
    // A sibling subdomain (same site: the cookie goes along) and another
    // site post the portal's forms: neither is acted on.
    for page in [rig.url("evil", "/"), rig.other_site("/")] {
        rig.open(&page).await;
        rig.click("#go").await;
        let text = rig.text().await;
        let refused = text.contains("Request refused") || rig.at().await.contains("/login");
        assert!(refused, "a forged post from {page} was served:\n{text}");
        rig.open(&page).await;
        rig.click("#login-go").await;
        assert!(
            rig.text().await.contains("Request refused"),
            "login CSRF from {page}"
        );
    }
    rig.open(&rig.url("auth", "/account")).await;
    assert!(rig.text().await.contains("This device"), "still signed in");
}

async fn wrong_passwords_and_unknown_users_look_alike(rig: &Rig) {
    rig.click("form[action='/logout'] button").await;
    rig.sign_in("mallory", "not-the-password", None).await;
    let wrong = rig.browser.source().await.unwrap();
    rig.screenshot("sign-in-failed").await;
    rig.sign_in("nobody-at-all", "not-the-password", None).await;
    let unknown = rig.browser.source().await.unwrap();
    assert!(wrong.contains("Wrong username or password."));
    let wrong = wrong.replace("value=\"mallory\"", "value=\"NAME\"");
    let unknown = unknown.replace("value=\"nobody-at-all\"", "value=\"NAME\"");
    assert_eq!(
        wrong, unknown,
        "the two failures differ beyond the username"
    );
}

async fn guessing_is_throttled_on_the_portal_too(rig: &Rig) {
    // The per-device limit (10 a quarter window): the first failure above
    // counted, then nine more, then even the right password is refused.
    for _ in 0..9 {
        rig.sign_in("mallory", "guess-again", None).await;
    }
    rig.sign_in("mallory", &password_of("mallory"), None).await;
    let text = rig.text().await;
    assert!(text.contains("Too many failed sign-ins"), "{text}");
    assert!(rig.at().await.contains("/login"));
}
