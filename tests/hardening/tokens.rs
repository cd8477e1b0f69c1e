//! Forged, altered and malformed tokens and `Authorization` values: each a
//! 401 (or 400 for a malformed header) JSON error, never a 5xx. Tokens are
//! signed with the server's own secret, so each case fails on its one
//! defect, not on the signature.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use crate::common::library::delete_user_behind_the_cache;
use crate::common::*;

const SECRET: &[u8] = b"hardening-test-secret-0123456789abcdef";
const HS256: &str = r#"{"typ":"JWT","alg":"HS256"}"#;

fn sign(input: &str, secret: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

fn forge(header: &str, payload: &str, secret: &[u8]) -> String {
    let input = format!("{}.{}", B64.encode(header), B64.encode(payload));
    format!("{input}.{}", sign(&input, secret))
}

fn hs512(payload: &str) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(r#"{"typ":"JWT","alg":"HS512"}"#),
        B64.encode(payload)
    );
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(SECRET).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
}

async fn setup() -> (TestApp, Value, String) {
    let app = spawn_with(|config| config.secret = Some(SECRET.to_vec())).await;
    app.add_user("ann", "password123").await;
    let token = app.login_token("ann", "password123").await;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
    // The real token re-signed by us passes: the forging is faithful.
    let again = forge(HS256, &claims.to_string(), SECRET);
    assert_eq!(app.check(&again).await, 200, "a faithful copy passes");
    (app, claims, token)
}

fn with(claims: &Value, key: &str, value: Value) -> String {
    let mut claims = claims.clone();
    match value {
        Value::Null => claims.as_object_mut().unwrap().remove(key),
        value => claims.as_object_mut().unwrap().insert(key.into(), value),
    };
    claims.to_string()
}

async fn status(app: &TestApp, authorization: &[u8]) -> (u16, String) {
    let value = reqwest::header::HeaderValue::from_bytes(authorization).unwrap();
    let url = app.url("/need_login");
    let response = app
        .client
        .get(url)
        .header("authorization", value)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn forged_and_altered_tokens_are_refused() {
    let (app, claims, token) = setup().await;
    let now = claims["iat"].as_u64().unwrap();
    let payload = claims.to_string();
    let [h, p, s]: [&str; 3] = token.split('.').collect::<Vec<_>>().try_into().unwrap();
    let mut cases: Vec<(String, String)> = Vec::new();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = format!(r#"{{"typ":"JWT","alg":"{alg}"}}"#);
        let unsigned = format!("{}.{}.", B64.encode(&header), B64.encode(&payload));
        cases.push((format!("alg {alg}"), unsigned));
        cases.push((
            format!("alg {alg} signed"),
            forge(&header, &payload, SECRET),
        ));
    }
    cases.push(("HS512".into(), hs512(&payload)));
    for alg in ["RS256", "ES256", "PS256", "EdDSA"] {
        let header = format!(r#"{{"typ":"JWT","alg":"{alg}"}}"#);
        cases.push((alg.into(), forge(&header, &payload, SECRET)));
    }
    for extra in [
        r#""kid":"../../etc/passwd""#,
        r#""jku":"https://evil.example/keys""#,
        r#""jwk":{"kty":"oct","k":"AAAA"}"#,
        r#""crit":["exp"]"#,
    ] {
        let header = format!(r#"{{"typ":"JWT","alg":"HS256",{extra}}}"#);
        cases.push((extra.into(), forge(&header, &payload, SECRET)));
    }
    let claim_cases = [
        ("exp as a string", "exp", json!((now + 3600).to_string())),
        ("exp as a float", "exp", json!(now as f64 + 3600.5)),
        ("exp negative", "exp", json!(-1)),
        ("exp huge", "exp", json!(u64::MAX)),
        ("exp past by 1 s", "exp", json!(now - 1)),
        ("exp now", "exp", json!(now)),
        ("iat in the future", "iat", json!(now + 3600)),
        ("iat as a string", "iat", json!(now.to_string())),
        ("wrong iss", "iss", json!("guestlist2")),
        ("iss as a list", "iss", json!(["guestlist"])),
        ("other sub", "sub", json!("somebody-else")),
        ("other jti", "jti", json!("not-on-the-list")),
        ("extra claim", "admin", json!(true)),
        ("nbf in the future", "nbf", json!(now + 3600)),
    ];
    for (name, key, value) in claim_cases {
        cases.push((
            name.into(),
            forge(HS256, &with(&claims, key, value), SECRET),
        ));
    }
    for key in ["sub", "jti", "iat", "exp", "iss"] {
        cases.push((
            format!("no {key}"),
            forge(HS256, &with(&claims, key, Value::Null), SECRET),
        ));
    }
    for payload in ["[]", "null", "42", r#""x""#, "{"] {
        cases.push((format!("payload {payload}"), forge(HS256, payload, SECRET)));
    }
    cases.push((
        "other secret".into(),
        forge(HS256, &payload, b"another-secret-0123456789abcdefghijkl"),
    ));
    cases.push(("two segments".into(), format!("{h}.{p}")));
    cases.push(("four segments".into(), format!("{h}.{p}.{s}.{s}")));
    cases.push(("padded signature".into(), format!("{h}.{p}.{s}=")));
    // Standard base64 spellings: the payload always holds some '-' or '_'
    // in some segment; try each segment that does.
    for (i, part) in [h, p, s].iter().enumerate() {
        if part.contains(['-', '_']) {
            let mut parts = [h.to_owned(), p.to_owned(), s.to_owned()];
            parts[i] = part.replace('-', "+").replace('_', "/");
            cases.push((format!("standard base64 in {i}"), parts.join(".")));
        }
    }
    // The last of 43 characters carries 4 bits and 2 zero bits; setting
    // the lowest gives a spelling a lax decoder reads as the same bytes.
    const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = URL_SAFE
        .iter()
        .position(|&c| c == *s.as_bytes().last().unwrap())
        .unwrap();
    let sibling = URL_SAFE[last ^ 1] as char;
    cases.push((
        "non-canonical last char".into(),
        format!("{h}.{p}.{}{sibling}", &s[..s.len() - 1]),
    ));
    cases.push(("padded header".into(), format!("{h}=.{p}.{s}")));
    for (name, token) in cases {
        let (code, body) = status(&app, format!("Bearer {token}").as_bytes()).await;
        assert_eq!(code, 401, "{name}: {body}");
        assert!(body.starts_with(r#"{"err":"#), "{name}: {body}");
    }
    assert_eq!(app.check(&token).await, 200, "the real token still works");
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_users_token_is_refused() {
    let (app, _, token) = setup().await;
    // As `guestlist users delete` would, then a cold cache.
    delete_user_behind_the_cache(&app.state, "ann").await;
    assert_eq!(app.check(&token).await, 401);
    app.stop().await;
}

#[tokio::test]
async fn bad_authorization_values_are_4xx_and_never_decoded_when_huge() {
    let (app, _, token) = setup().await;
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), b"".to_vec()),
        ("Basic".into(), b"Basic YW5uOnBhc3N3b3JkMTIz".to_vec()),
        ("Bearer alone".into(), b"Bearer".to_vec()),
        ("Bearer and a space".into(), b"Bearer ".to_vec()),
        ("a tab".into(), format!("Bearer\t{token}").into_bytes()),
        (
            "non-ASCII".into(),
            format!("Bearer {token}\u{e9}").into_bytes(),
        ),
        (
            "raw high bytes".into(),
            [b"Bearer ".as_slice(), &[0xff, 0xfe, 0x80]].concat(),
        ),
    ];
    for kib in [8, 64, 300] {
        cases.push((
            format!("{kib} KiB"),
            format!("Bearer {}", "a".repeat(kib * 1024)).into_bytes(),
        ));
    }
    for (name, value) in cases {
        let result = std::panic::AssertUnwindSafe(status(&app, &value));
        let (code, body) = futures_util::FutureExt::catch_unwind(result)
            .await
            .unwrap_or((0, String::new()));
        // hyper may refuse a 300 KiB head itself (431); otherwise our 4xx.
        assert!(
            (400..500).contains(&code) || (code == 0 && value.len() > 64 * 1024),
            "{name}: {code} {body}"
        );
        if code != 431 && code != 0 {
            assert!(body.starts_with(r#"{"err":"#), "{name}: {body}");
        }
    }
    // Accepted by the contract (src/auth/header.rs): any case, more spaces.
    for value in [
        format!("Bearer  {token}"),
        format!("Bearer {token} "),
        format!("bearer {token}"),
        token.clone(),
    ] {
        assert_eq!(status(&app, value.as_bytes()).await.0, 200, "{value}");
    }
    // Accepted by the contract (src/auth/header.rs): any case, more spaces.
    let accepted = [
        format!("Bearer  {token}"),
        format!("Bearer {token} "),
        format!("bearer {token}"),
        token.clone(),
    ];
    for value in accepted {
        assert_eq!(status(&app, value.as_bytes()).await.0, 200, "{value}");
    }
    // In the query string: not read.
    let url = app.url(&format!("/need_login?access_token={token}"));
    assert_eq!(app.client.get(url).send().await.unwrap().status(), 401);
    assert_eq!(app.healthz_status().await, 200);
    app.stop().await;
}
