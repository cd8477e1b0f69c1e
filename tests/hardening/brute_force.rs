//! Failed logins are limited per account, per address and per device,
//! with 429 and `Retry-After`, without locking a known device out.

use std::sync::atomic::Ordering;

use reqwest::StatusCode;

use crate::common::*;

async fn trusting_proxy() -> TestApp {
    spawn_with(|config| config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await
}

async fn expect_throttled(app: &TestApp, user: &str, password: &str, address: &str) {
    let response = app.login_from(user, password, address).await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "from {address}"
    );
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "Retry-After {retry}");
    let body = err_body(response).await;
    assert_eq!(body["err"], "too many failed logins, try again later");
}

#[tokio::test]
async fn an_account_takes_at_most_100_failures_an_hour_but_its_known_device_gets_in() {
    let app = trusting_proxy().await;
    app.add_user("victim", "right password").await;
    let home = "10.0.0.1";
    assert_eq!(
        app.login_from("victim", "right password", home)
            .await
            .status(),
        StatusCode::OK
    );
    // 100 failures, each from another address: no per-address budget helps.
    for n in 0..100 {
        let address = format!("10.1.{}.{}", n / 200, n % 200);
        let response = app.login_from("Victim", "wrong password", &address).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "failure {n}");
    }
    // The 101st guess is refused before bcrypt, even with the right password.
    expect_throttled(&app, "victim", "wrong password", "10.2.0.1").await;
    expect_throttled(&app, "victim", "right password", "10.2.0.2").await;
    // The owner's known device is not locked out; other accounts are fine.
    assert_eq!(
        app.login_from("victim", "right password", home)
            .await
            .status(),
        StatusCode::OK
    );
    app.add_user("other", "right password").await;
    assert_eq!(
        app.login_from("other", "right password", "10.2.0.1")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.state.metrics.logins_throttled.load(Ordering::Relaxed),
        2
    );
    app.stop().await;
}

#[tokio::test]
async fn one_address_gets_ten_guesses_per_account_and_a_success_resets_them() {
    let app = trusting_proxy().await;
    app.add_user("ann", "right password").await;
    for _ in 0..9 {
        let response = app.login_from("ann", "wrong password", "10.0.0.9").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.login_from("ann", "right password", "10.0.0.9")
            .await
            .status(),
        StatusCode::OK
    );
    for _ in 0..10 {
        let response = app.login_from("ann", "wrong password", "10.0.0.9").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    expect_throttled(&app, "ann", "right password", "10.0.0.9").await;
    // Another address still has its own budget.
    assert_eq!(
        app.login_from("ann", "right password", "10.0.0.10")
            .await
            .status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn spraying_many_accounts_from_one_address_is_limited() {
    let app = spawn_with(|config| {
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        config.max_login_failures_per_address = 20;
    })
    .await;
    for n in 0..20 {
        let response = app
            .login_from(&format!("nobody{n}"), "some password", "10.9.9.9")
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    expect_throttled(&app, "nobody99", "some password", "10.9.9.9").await;
    app.stop().await;
}
