//! Small extractors shared by the routes.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::{Either, ready};
use serde::de::DeserializeOwned;
use warp::http::{HeaderValue, StatusCode};
use warp::{Filter, Rejection};

use super::rejection::{BadBody, Refused};
use crate::cache::LiveToken;
use crate::state::AppState;
pub use crate::usecases::Client;

/// Largest accepted request body.
pub const MAX_BODY: u64 = 16 * 1024;

/// The address of the peer, put on each request by the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

pub fn with_state(
    state: AppState,
) -> impl Filter<Extract = (AppState,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// The caller, admitted by the gate: a live token and, when `role` is
/// given, a user who holds that role now. Otherwise a rejection that the
/// one `recover` answers with 401 or 403. Place it after the path and the
/// method, so an unknown path is still 404 and a wrong method 405.
pub fn caller(
    state: &AppState,
    role: Option<&'static str>,
) -> impl Filter<Extract = (Arc<LiveToken>,), Error = Rejection> + Clone + use<> {
    checked(state, role, Arc::clone)
}

/// [`caller`] with `f` applied to the caller's entry, for a route that
/// needs less than the entry itself (or nothing: `|_| ()`).
pub fn checked<R: Send + 'static>(
    state: &AppState,
    role: Option<&'static str>,
    f: fn(&Arc<LiveToken>) -> R,
) -> impl Filter<Extract = (R,), Error = Rejection> + Clone + use<R> {
    let state = state.clone();
    optional_value("authorization").and_then(move |auth| check(&state, auth, role, f))
}

/// The check behind [`checked`], for a route whose role comes from the
/// request (`/api/v1/verify?role=`). A cache hit is answered in place: no
/// future of its own, no clone of the state; only a miss awaits.
pub fn check<R: Send + 'static, Role: AsRef<str> + Send + 'static>(
    state: &AppState,
    auth: Option<HeaderValue>,
    role: Option<Role>,
    f: fn(&Arc<LiveToken>) -> R,
) -> impl Future<Output = Result<R, Rejection>> + Send + use<R, Role> {
    let presented = auth.as_ref().map(HeaderValue::as_bytes);
    let role_name = role.as_ref().map(AsRef::as_ref);
    match state.gate.admit_cached(presented, role_name, f) {
        Some(verdict) => Either::Left(ready(verdict.map_err(refused))),
        None => {
            let state = state.clone();
            Either::Right(async move {
                let role = role.as_ref().map(AsRef::as_ref);
                admit(&state, auth, role).await.map(|live| f(&live))
            })
        }
    }
}

fn refused(denied: crate::gate::Denied) -> Rejection {
    warp::reject::custom(Refused(denied))
}

/// The check behind [`caller`], hit and miss path alike.
pub async fn admit(
    state: &AppState,
    auth: Option<HeaderValue>,
    role: Option<&str>,
) -> Result<Arc<LiveToken>, Rejection> {
    let presented = auth.as_ref().map(HeaderValue::as_bytes);
    state.gate.admit(presented, role).await.map_err(refused)
}

/// The whole `Client` at once (a route that decides nothing before it).
#[allow(dead_code)]
pub fn client(
    trusted: std::sync::Arc<[ipnet::IpNet]>,
) -> impl Filter<Extract = (Client,), Error = Infallible> + Clone {
    optional_value("user-agent")
        .and(client_address(trusted))
        .map(|agent: Option<HeaderValue>, ip: String| Client {
            user_agent: user_agent(agent),
            ip,
        })
}

/// The client's address as text (the peer, or what a trusted proxy says;
/// see `client_ip`), empty when unknown.
pub fn client_address(
    trusted: std::sync::Arc<[ipnet::IpNet]>,
) -> impl Filter<Extract = (String,), Error = Infallible> + Clone {
    optional_value("forwarded")
        .and(optional_value("x-forwarded-for"))
        .and(warp::ext::optional::<PeerAddr>())
        .map(move |forwarded, xff, peer: Option<PeerAddr>| {
            let ip = peer.map(|peer| {
                let (fwd, xff) = (text(&forwarded), text(&xff));
                super::client_ip::resolve(peer.0.ip(), &trusted, fwd, xff)
            });
            ip.map(|ip| ip.to_string()).unwrap_or_default()
        })
}

fn text(value: &Option<HeaderValue>) -> Option<&str> {
    value.as_ref().and_then(|v| v.to_str().ok())
}

/// A `User-Agent` as stored with a token: at most 512 characters.
pub fn user_agent(agent: Option<HeaderValue>) -> String {
    agent
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(512)
                .collect()
        })
        .unwrap_or_default()
}

pub fn optional_value(
    name: &'static str,
) -> impl Filter<Extract = (Option<HeaderValue>,), Error = Infallible> + Clone {
    warp::header::value(name)
        .map(Some)
        .or(warp::any().map(|| None))
        .unify()
}

/// One JSON object of at most [`MAX_BODY`] bytes, as `application/json` or
/// without a content type. Refused before reading when too large.
pub fn json_body<T: DeserializeOwned + Send + 'static>()
-> impl Filter<Extract = (T,), Error = Rejection> + Clone {
    raw_json_body().and_then(|body: Bytes| async move { parse_object::<T>(&body) })
}

/// The bytes of what [`json_body`] would parse, the head checked, for a
/// route that decides something before parsing them.
pub fn raw_json_body() -> impl Filter<Extract = (Bytes,), Error = Rejection> + Clone {
    warp::header::optional::<String>("content-type")
        .and(warp::header::optional::<u64>("content-length"))
        .and(warp::header::optional::<String>("transfer-encoding"))
        .and_then(|kind, length, encoding| async move { check_head(kind, length, encoding) })
        .untuple_one()
        .and(warp::body::bytes())
}

fn check_head(
    kind: Option<String>,
    length: Option<u64>,
    encoding: Option<String>,
) -> Result<(), Rejection> {
    if let Some(kind) = kind {
        let essence = kind.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            let message = "the body must be sent as application/json";
            return Err(BadBody::rejection(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message,
            ));
        }
    }
    match (length, encoding) {
        (Some(n), _) if n > MAX_BODY => Err(BadBody::rejection(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than 16 KiB",
        )),
        (None, Some(_)) => Err(BadBody::rejection(
            StatusCode::LENGTH_REQUIRED,
            "a Content-Length is required",
        )),
        _ => Ok(()),
    }
}

/// Parses a body that must be one JSON object into `T`.
pub fn parse_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, Rejection> {
    parse_body(body).map_err(warp::reject::custom)
}

/// [`parse_object`] for a handler, which answers the refusal itself.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, BadBody> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(BadBody {
            status: StatusCode::BAD_REQUEST,
            message: "the body must be a JSON object".into(),
        });
    }
    let mut json = serde_json::Deserializer::from_slice(body);
    let parsed = serde_path_to_error::deserialize(&mut json)
        .map_err(|err| describe(&err.path().to_string(), err.inner()))?;
    json.end().map_err(|err| describe(".", &err))?;
    Ok(parsed)
}

/// Names the problem without echoing the client's values.
fn describe(path: &str, err: &serde_json::Error) -> BadBody {
    use serde_json::error::Category;
    let text = err.to_string();
    let reason = text.split(" at line ").next().unwrap_or_default();
    let message = match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => format!("malformed JSON: {reason}"),
        Category::Data
            if reason.starts_with("unknown field") || reason.starts_with("missing field") =>
        {
            let field = reason.split(", expected").next().unwrap_or(reason);
            format!(
                "invalid body: {}",
                field.chars().take(100).collect::<String>()
            )
        }
        Category::Data => match reason.split_once(", expected ") {
            Some((_, expected)) => format!("invalid body: field `{path}` must be {expected}"),
            None => format!("invalid body: field `{path}` is not acceptable"),
        },
    };
    BadBody {
        status: StatusCode::BAD_REQUEST,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        username: String,
    }

    fn reason(body: &[u8]) -> String {
        let rejection = parse_object::<Login>(body).unwrap_err();
        rejection.find::<BadBody>().unwrap().message.clone()
    }

    #[test]
    fn only_objects_with_known_fields_of_the_right_type_pass() {
        assert!(parse_object::<Login>(br#"{"username":"a"}"#).is_ok());
        assert_eq!(reason(b"null"), "the body must be a JSON object");
        assert_eq!(reason(b"[1]"), "the body must be a JSON object");
        assert_eq!(reason(b""), "the body must be a JSON object");
        assert_eq!(
            reason(br#"{"username":1}"#),
            "invalid body: field `username` must be a string"
        );
        assert_eq!(
            reason(br#"{"username":"a"} x"#),
            "malformed JSON: trailing characters"
        );
        assert_eq!(
            reason(br#"{"username":"a","x":1}"#),
            "invalid body: unknown field `x`"
        );
        assert_eq!(reason(br#"{}"#), "invalid body: missing field `username`");
        assert!(reason(br#"{"username":"#).starts_with("malformed JSON"));
        assert!(reason(b"{\"username\":\"\xff\"}").starts_with("malformed JSON"));
        assert!(reason(br#"{"username":"\ud800"}"#).starts_with("malformed JSON"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        let rejection = parse_object::<serde_json::Value>(deep.as_bytes()).unwrap_err();
        let message = &rejection.find::<BadBody>().unwrap().message;
        assert!(message.contains("recursion limit"), "{message}");
    }
}
