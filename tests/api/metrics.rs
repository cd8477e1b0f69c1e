//! GET /metrics: Prometheus text with the server's counters, local only.

use reqwest::StatusCode;

use crate::common::{TestApp, spawn};

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    response.text().await.unwrap()
}

/// The value of the sample line that starts with `series ` exactly.
fn value(text: &str, series: &str) -> f64 {
    let prefix = format!("{series} ");
    let line = text
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"));
    line[prefix.len()..].parse().unwrap()
}

#[tokio::test]
async fn counts_requests_logins_cache_and_revocations() {
    let app = spawn().await;
    let session = app.user_session("metered").await;
    assert_eq!(
        app.need_login(&session.token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.need_login(&session.token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.need_login("nope").await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.login("metered", "wrong-password").await;
    assert_eq!(app.get("/", None).await.status(), StatusCode::OK);

    let text = scrape(&app).await;
    let ok = r#"guestlist_http_requests_total{route="/need_login",status="2xx"}"#;
    assert_eq!(value(&text, ok), 2.0);
    let denied = r#"guestlist_http_requests_total{route="/need_login",status="4xx"}"#;
    assert_eq!(value(&text, denied), 1.0);
    assert_eq!(
        value(
            &text,
            r#"guestlist_http_requests_total{route="/",status="2xx"}"#
        ),
        1.0
    );
    assert_eq!(
        value(&text, r#"guestlist_logins_total{outcome="succeeded"}"#),
        1.0
    );
    assert_eq!(
        value(&text, r#"guestlist_logins_total{outcome="failed"}"#),
        1.0
    );
    assert!(
        value(&text, "guestlist_token_cache_hits_total") >= 1.0,
        "{text}"
    );
    assert_eq!(value(&text, "guestlist_live_tokens"), 1.0);
    let all = value(
        &text,
        r#"guestlist_http_request_duration_seconds_bucket{le="+Inf"}"#,
    );
    assert_eq!(
        all,
        value(&text, "guestlist_http_request_duration_seconds_count")
    );
    assert!(all >= 6.0, "signup, login x2, need_login x3, / : {all}");
    assert!(value(&text, "guestlist_group_commit_batch_size_count") >= 2.0);

    assert_eq!(app.logout(&session.token).await.status(), StatusCode::OK);
    let text = scrape(&app).await;
    assert_eq!(value(&text, "guestlist_revocations_total"), 1.0);
    assert_eq!(value(&text, "guestlist_live_tokens"), 0.0);
    assert_eq!(
        value(
            &text,
            r#"guestlist_http_requests_total{route="/metrics",status="2xx"}"#
        ),
        1.0,
        "the first scrape is counted by the second"
    );
}

#[tokio::test]
async fn relayed_requests_are_refused() {
    let app = spawn().await;
    for (name, value) in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
    ] {
        let response = app
            .client
            .get(app.url("/metrics"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}");
    }
}
