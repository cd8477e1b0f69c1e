//! Small extractors shared by the routes.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use warp::http::{HeaderValue, StatusCode};
use warp::{Filter, Rejection};

use super::rejection::BadBody;
use crate::state::AppState;

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

/// The `Authorization` value, if any. A refcount bump, not a copy.
pub fn authorization() -> impl Filter<Extract = (Option<HeaderValue>,), Error = Infallible> + Clone
{
    warp::header::value("authorization")
        .map(Some)
        .or(warp::any().map(|| None))
        .unify()
}

/// Who is calling: user agent and socket address.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub user_agent: String,
    pub ip: String,
}

pub fn client(
    trusted: std::sync::Arc<[ipnet::IpNet]>,
) -> impl Filter<Extract = (Client,), Error = Infallible> + Clone {
    optional_value("user-agent")
        .and(optional_value("forwarded"))
        .and(optional_value("x-forwarded-for"))
        .and(warp::ext::optional::<PeerAddr>())
        .map(move |agent: Option<HeaderValue>, forwarded, xff, peer: Option<PeerAddr>| {
            let text = |v: &Option<HeaderValue>| v.as_ref().and_then(|v| v.to_str().ok()).map(str::to_owned);
            let ip = peer.map(|peer| {
                let (fwd, xff) = (text(&forwarded), text(&xff));
                super::client_ip::resolve(peer.0.ip(), &trusted, fwd.as_deref(), xff.as_deref())
            });
            Client {
                user_agent: agent
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).chars().take(512).collect())
                    .unwrap_or_default(),
                ip: ip.map(|ip| ip.to_string()).unwrap_or_default(),
            }
        })
}

fn optional_value(
    name: &'static str,
) -> impl Filter<Extract = (Option<HeaderValue>,), Error = Infallible> + Clone {
    warp::header::value(name).map(Some).or(warp::any().map(|| None)).unify()
}

/// One JSON object of at most [`MAX_BODY`] bytes, as `application/json` or
/// without a content type. Refused before reading when too large.
pub fn json_body<T: DeserializeOwned + Send + 'static>()
-> impl Filter<Extract = (T,), Error = Rejection> + Clone {
    warp::header::optional::<String>("content-type")
        .and(warp::header::optional::<u64>("content-length"))
        .and(warp::header::optional::<String>("transfer-encoding"))
        .and_then(|kind, length, encoding| async move { check_head(kind, length, encoding) })
        .untuple_one()
        .and(warp::body::bytes())
        .and_then(|body: Bytes| async move { parse_object::<T>(&body) })
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
            return Err(BadBody::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message));
        }
    }
    match (length, encoding) {
        (Some(n), _) if n > MAX_BODY => Err(BadBody::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than 16 KiB",
        )),
        (None, Some(_)) => Err(BadBody::new(
            StatusCode::LENGTH_REQUIRED,
            "a Content-Length is required",
        )),
        _ => Ok(()),
    }
}

/// Parses a body that must be one JSON object into `T`.
pub fn parse_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, Rejection> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(BadBody::new(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|err| BadBody::new(StatusCode::BAD_REQUEST, describe(&err)))
}

/// serde's reason, short and printable (it may quote the client's input).
fn describe(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let reason: String = err
        .to_string()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(160)
        .collect();
    match err.classify() {
        Category::Data => format!("invalid body: {reason}"),
        Category::Syntax | Category::Eof | Category::Io => format!("malformed JSON: {reason}"),
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
        assert!(reason(br#"{"username":1}"#).starts_with("invalid body: invalid type"));
        assert!(reason(br#"{"username":"a","x":1}"#).contains("unknown field `x`"));
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
