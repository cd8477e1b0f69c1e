//! CORS for browser clients: off by default; `--cors-origin`
//! allows exactly the listed origins, with the methods and headers the API
//! uses, on preflights and on real requests.

use reqwest::{Method, StatusCode};

use crate::common::*;

const ALLOWED: &str = "https://app.example.com";
const OTHER: &str = "https://evil.example.net";

async fn app_allowing(origins: &[&str]) -> TestApp {
    let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
    spawn_with(move |config| config.cors_origins = origins).await
}

/// A browser's preflight for a protected GET from `origin`.
async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url("/need_login"))
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .expect("the server answers")
}

fn allowed_origin(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn without_origins_no_cors_header_is_ever_sent() {
    let app = spawn().await;
    let answer = preflight(&app, ALLOWED).await;
    assert_eq!(allowed_origin(&answer), None);
    let token = app.user_session("carol").await.token;
    let answer = app
        .client
        .get(app.url("/need_login"))
        .header("origin", ALLOWED)
        .header("authorization", bearer(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(allowed_origin(&answer), None);
}

#[tokio::test]
async fn a_listed_origin_passes_the_preflight_with_the_api_s_methods_and_headers() {
    let app = app_allowing(&[ALLOWED]).await;
    let answer = preflight(&app, ALLOWED).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(allowed_origin(&answer).as_deref(), Some(ALLOWED));
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .unwrap_or_default()
    };
    for method in ["get", "post", "put", "delete"] {
        assert!(header("access-control-allow-methods").contains(method));
    }
    assert!(header("access-control-allow-headers").contains("authorization"));
    assert!(header("access-control-allow-headers").contains("content-type"));
}

#[tokio::test]
async fn a_listed_origin_reads_a_protected_answer_and_its_challenge() {
    let app = app_allowing(&[ALLOWED]).await;
    let token = app.user_session("dave").await.token;
    let call = |auth: Option<String>| {
        let mut request = app
            .client
            .get(app.url("/need_login"))
            .header("origin", ALLOWED);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    let ok = call(Some(bearer(&token))).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(allowed_origin(&ok).as_deref(), Some(ALLOWED));
    let refused = call(None).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(allowed_origin(&refused).as_deref(), Some(ALLOWED));
    let exposed = refused
        .headers()
        .get("access-control-expose-headers")
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .unwrap_or_default();
    assert!(exposed.contains("www-authenticate"), "{exposed}");
}

#[tokio::test]
async fn an_unlisted_origin_is_not_allowed() {
    let app = app_allowing(&[ALLOWED]).await;
    let answer = preflight(&app, OTHER).await;
    assert_ne!(answer.status(), StatusCode::OK);
    assert_eq!(allowed_origin(&answer), None);
    assert_ne!(allowed_origin(&preflight(&app, ALLOWED).await), None);
}
