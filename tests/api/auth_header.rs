//! The `Authorization` header, and tokens that are not live on the list.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-tests";

/// A server signing with [`SECRET`], so tests can forge tokens.
async fn spawn_with_known_secret() -> TestApp {
    spawn_with(|config| config.secret = Some(SECRET.to_vec())).await
}

/// A JWT with any header and payload, signed with HMAC-SHA256 (or 384).
fn sign(header: &Value, payload: &Value, secret: &[u8], sha384: bool) -> String {
    let head = B64.encode(header.to_string());
    let body = B64.encode(payload.to_string());
    let input = format!("{head}.{body}");
    let signature = if sha384 {
        let mut mac = Hmac::<sha2::Sha384>::new_from_slice(secret).unwrap();
        mac.update(input.as_bytes());
        mac.finalize().into_bytes().to_vec()
    } else {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(input.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    format!("{input}.{}", B64.encode(signature))
}

fn hs256() -> Value {
    json!({ "alg": "HS256", "typ": "JWT" })
}

fn now() -> u64 {
    guestlist::time::now_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_in_any_case_and_the_bare_token_are_accepted() {
    let app = spawn().await;
    let user = app.user_session("ann").await;
    let t = &user.token;
    for value in [
        format!("Bearer {t}"),
        format!("bearer {t}"),
        format!("BEARER {t}"),
        format!("bEaReR {t}"),
        format!("Bearer   {t}"),
        t.clone(),
    ] {
        expect_text(app.get("/need_login", Some(&value)).await, NEED_LOGIN_TEXT).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_schemes_and_malformed_values_are_401_invalid_token() {
    let app = spawn().await;
    let user = app.user_session("ben").await;
    let t = &user.token;
    for value in [
        "Basic dXNlcjpwYXNzd29yZA==".to_string(),
        format!("Basic {t}"),
        format!("Token {t}"),
        "Bearer".to_string(),
        "Bearer ".to_string(),
        "test.test.test".to_string(),
        format!("Bearer {t} extra"),
        format!("{t}."),
        format!("{t}x"),
        format!("Bearer {}", "a".repeat(5000)),
    ] {
        let response = app.get("/need_login", Some(&value)).await;
        let shown: String = value.chars().take(40).collect();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{shown:?}");
        expect_invalid(response).await;
    }
    // The real token still works after all that.
    expect_text(app.need_login(t).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_tokens_signature_under_another_header_or_payload_is_401() {
    // Not a token that was issued, so not on the list, even though its last
    // segment is the signature of one that is (and is in the cache).
    let app = spawn().await;
    let user = app.user_session("bo").await;
    let other = app.user_session("bix").await;
    let t = &user.token;
    expect_text(app.need_login(t).await, NEED_LOGIN_TEXT).await;
    let mut parts = t.split('.');
    let (head, _, signature) = (parts.next().unwrap(), parts.next(), parts.next().unwrap());
    let other_payload = other.token.split('.').nth(1).unwrap();
    let mut accepted = Vec::new();
    for (name, value) in [
        ("\"Bearer\" glued to the token", format!("Bearer{t}")),
        ("a byte before the token", format!("x{t}")),
        (
            "another user's payload",
            format!("{head}.{other_payload}.{signature}"),
        ),
        ("junk header and payload", format!("a.b.{signature}")),
    ] {
        let response = app.get("/need_login", Some(&value)).await;
        if response.status() != StatusCode::UNAUTHORIZED {
            accepted.push((name, response.status()));
            continue;
        }
        expect_invalid(response).await;
    }
    assert!(accepted.is_empty(), "accepted: {accepted:?}");
    expect_text(app.need_login(t).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_the_query_string_is_never_accepted() {
    let app = spawn().await;
    let user = app.user_session("cid").await;
    let t = &user.token;
    let in_query = app
        .get(&format!("/need_login?access_token={t}"), None)
        .await;
    expect_no_header(in_query).await;
    let also = app
        .get(&format!("/api/v1/tokens?access_token={t}&token={t}"), None)
        .await;
    expect_no_header(also).await;
    let with_junk_header = app
        .get(
            &format!("/need_login?access_token={t}"),
            Some("test.test.test"),
        )
        .await;
    expect_invalid(with_junk_header).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_another_server_with_another_secret_is_401() {
    let ours = spawn().await;
    let theirs = spawn().await;
    let id = ours.new_user("dan").await;
    theirs.new_user("dan").await;
    let mine = ours.login_ok("dan", &password_of("dan")).await;
    let foreign = theirs.login_ok("dan", &password_of("dan")).await;
    expect_invalid(ours.need_login(&foreign.token).await).await;
    expect_invalid(theirs.need_login(&mine.token).await).await;

    // Our own claims, exactly, re-signed with another secret.
    let payload = mine.token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["sub"], id.as_str());
    assert_eq!(claims["jti"], mine.id.as_str());
    let resigned = sign(
        &hs256(),
        &claims,
        b"another secret of at least 32 bytes!!",
        false,
    );
    expect_invalid(ours.need_login(&resigned).await).await;
    expect_text(ours.need_login(&mine.token).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_strict_hs256_token_that_is_on_the_list_gets_in() {
    let app = spawn_with_known_secret().await;
    let sub = app.new_user("eve").await;
    let real = app.login_ok("eve", &password_of("eve")).await;
    let other_sub = app.new_user("fay").await;
    let now = now();
    let claims = |jti: &str| json!({ "sub": sub, "jti": jti, "iat": now, "exp": now + 3600, "iss": "guestlist" });

    // Sanity: a token forged with the right secret for the listed jti gets in,
    // so every refusal below is about the one thing changed.
    let good = sign(&hs256(), &claims(&real.id), SECRET, false);
    expect_text(app.need_login(&good).await, NEED_LOGIN_TEXT).await;

    let mut bad = Vec::new();
    bad.push((
        "jti not on the list",
        sign(&hs256(), &claims("AAAAAAAAAAAAAAAAAAAAAA"), SECRET, false),
    ));
    let mut stolen = claims(&real.id);
    stolen["sub"] = json!(other_sub);
    bad.push(("another user's sub", sign(&hs256(), &stolen, SECRET, false)));
    let hs384 = json!({ "alg": "HS384", "typ": "JWT" });
    bad.push(("HS384", sign(&hs384, &claims(&real.id), SECRET, true)));
    let none = format!(
        "{}.{}.",
        B64.encode(json!({ "alg": "none", "typ": "JWT" }).to_string()),
        B64.encode(claims(&real.id).to_string())
    );
    bad.push(("alg none", none));
    for (name, change) in [
        ("expired a second ago", json!({ "exp": now - 1 })),
        ("expired now", json!({ "exp": now })),
        ("issued in the future", json!({ "iat": now + 3600 })),
        ("another issuer", json!({ "iss": "someone-else" })),
    ] {
        let mut forged = claims(&real.id);
        for (key, value) in change.as_object().unwrap() {
            forged[key] = value.clone();
        }
        bad.push((name, sign(&hs256(), &forged, SECRET, false)));
    }
    for missing in ["sub", "jti", "iat", "exp", "iss"] {
        let mut forged = claims(&real.id);
        forged.as_object_mut().unwrap().remove(missing);
        bad.push((missing, sign(&hs256(), &forged, SECRET, false)));
    }
    for (name, token) in bad {
        let response = app.need_login(&token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        expect_invalid(response).await;
    }
    expect_text(app.need_login(&real.token).await, NEED_LOGIN_TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_logins_in_a_row_get_distinct_tokens_and_logout_kills_only_one() {
    let app = spawn().await;
    app.new_user("gus").await;
    let password = password_of("gus");
    let first = app.login_ok("gus", &password).await;
    let second = app.login_ok("gus", &password).await;
    let (third, fourth) = tokio::join!(
        app.login_ok("gus", &password),
        app.login_ok("gus", &password)
    );
    let sessions = [&first, &second, &third, &fourth];
    for (i, a) in sessions.iter().enumerate() {
        for b in &sessions[i + 1..] {
            assert_ne!(a.token, b.token);
            assert_ne!(a.id, b.id);
        }
        expect_text(app.need_login(&a.token).await, NEED_LOGIN_TEXT).await;
    }
    expect_msg(app.logout(&first.token).await, StatusCode::OK, "logged out").await;
    expect_invalid(app.need_login(&first.token).await).await;
    for other in &sessions[1..] {
        expect_text(app.need_login(&other.token).await, NEED_LOGIN_TEXT).await;
    }
    let listed: Value = app.tokens(&second.token).await.json().await.unwrap();
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 3);
}
