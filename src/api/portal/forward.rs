//! The browser half of `GET /api/v1/verify`, taken only when the request
//! has no `Authorization` header (so the API's hit path never reads a
//! cookie): the portal's session cookie is admitted by the same gate, and
//! a browser navigation without a live session is sent to sign in.
//!
//! - Caddy `forward_auth` and Traefik `ForwardAuth` send the original
//!   request as `X-Forwarded-Proto`/`-Host`/`-Uri` and pass a 302 on to
//!   the browser: the answer is that 302 (Authelia's approach).
//! - nginx `auth_request` can only pass 2xx/401/403 (anything else is its
//!   500), so for nginx (which the README's snippet has send
//!   `X-Original-URL`) the answer stays 401 and carries the sign-in URL in
//!   `Location`, which the snippet's `error_page 401` turns into the 302.
//!
//! API clients (no `text/html` in `Accept`, no `Sec-Fetch-Mode: navigate`)
//! keep getting 401 JSON.

use std::sync::Arc;

use warp::Filter;
use warp::http::header::{CACHE_CONTROL, HeaderValue, LOCATION};
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use super::{Portal, cookie};
use crate::api::error::ApiError;
use crate::gate::Denied;
use crate::state::AppState;

/// What the proxy forwarded about a request that had no `Authorization`.
pub struct Browser {
    portal: Arc<Portal>,
    headers: HeaderMap,
}

/// The headers of the request, read only on this branch.
pub fn browser(
    state: &AppState,
) -> impl Filter<Extract = (Browser,), Error = std::convert::Infallible> + Clone + use<> {
    let portal = Portal::new(state);
    warp::header::headers_cloned().map(move |headers| Browser {
        portal: portal.clone(),
        headers,
    })
}

impl Browser {
    /// 200 with who the session is; or a sign-in redirect for a browser
    /// navigation; or the API's 401/403.
    pub async fn answer(self, state: &AppState, role: Option<&str>) -> Result<Response, Denied> {
        let denied = match self.session_token() {
            Some(token) => match state.gate.admit(Some(token.as_bytes()), role).await {
                Ok(caller) => return Ok(crate::api::verify::identify(&caller)),
                Err(denied) => denied,
            },
            None => Denied::NoCredentials,
        };
        let signed_out = matches!(denied, Denied::NoCredentials | Denied::Invalid);
        if !signed_out || !self.navigates() {
            return Err(denied);
        }
        if let Some(back) = self.forwarded_url() {
            return Ok(found(&self.portal.sign_in_url(&back)));
        }
        let Some(back) = self.original_url() else {
            return Err(denied);
        };
        let mut response = ApiError::from(denied).into_response();
        if let Ok(to) = HeaderValue::from_str(&self.portal.sign_in_url(&back)) {
            response.headers_mut().insert(LOCATION, to);
        }
        Ok(response)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn session_token(&self) -> Option<&str> {
        cookie::value_of(self.header("cookie")?, self.portal.jar.session)
    }

    /// A page the browser is navigating to, not a script's fetch.
    fn navigates(&self) -> bool {
        let html = self
            .header("accept")
            .is_some_and(|a| a.contains("text/html"));
        let navigate = self.header("sec-fetch-mode") == Some("navigate");
        html || navigate
    }

    /// The URL asked for, from Caddy's or Traefik's `X-Forwarded-*`.
    fn forwarded_url(&self) -> Option<String> {
        let first = |name| {
            self.header(name)
                .and_then(|v| v.split(',').next())
                .map(str::trim)
        };
        let host = first("x-forwarded-host")?;
        let proto = first("x-forwarded-proto").unwrap_or("https");
        let uri = self.header("x-forwarded-uri").unwrap_or("/");
        let host_ok = !host.is_empty()
            && host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        let uri_ok = uri.starts_with('/') && uri.bytes().all(|b| b.is_ascii_graphic());
        let proto_ok = matches!(proto, "https" | "http");
        (host_ok && uri_ok && proto_ok).then(|| format!("{proto}://{host}{uri}"))
    }

    /// The URL asked for, from nginx's `X-Original-URL`.
    fn original_url(&self) -> Option<String> {
        let url = url::Url::parse(self.header("x-original-url")?).ok()?;
        matches!(url.scheme(), "https" | "http").then(|| url.to_string())
    }
}

/// 302 Found to the portal, for a proxy to pass on.
fn found(location: &str) -> Response {
    let mut response = Response::new(Default::default());
    *response.status_mut() = StatusCode::FOUND;
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(location) {
        headers.insert(LOCATION, location);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn browser(pairs: &[(&'static str, &str)]) -> Browser {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        let portal = Arc::new(Portal {
            jar: cookie::Jar::new(&crate::Config::new("x")),
            csrf: super::super::csrf::Tokens::new([0; 32]),
            rules: Default::default(),
            base: "https://auth.example.com".into(),
            authority: None,
            login_csp: String::new(),
        });
        Browser { portal, headers }
    }

    #[test]
    fn navigations_are_told_from_fetches() {
        assert!(browser(&[("accept", "text/html,application/xhtml+xml")]).navigates());
        assert!(browser(&[("sec-fetch-mode", "navigate")]).navigates());
        assert!(!browser(&[("accept", "application/json")]).navigates());
        assert!(!browser(&[]).navigates());
    }

    #[test]
    fn the_original_url_is_rebuilt_from_the_proxy_headers() {
        let forwarded = browser(&[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "app.example.com"),
            ("x-forwarded-uri", "/a?b=1&c=2"),
        ]);
        let url = forwarded.forwarded_url().unwrap();
        assert_eq!(url, "https://app.example.com/a?b=1&c=2");
        assert_eq!(
            forwarded.portal.sign_in_url(&url),
            "https://auth.example.com/login?rd=https%3A%2F%2Fapp.example.com%2Fa%3Fb%3D1%26c%3D2"
        );
        assert!(
            browser(&[("x-forwarded-host", "evil/x")])
                .forwarded_url()
                .is_none()
        );
        let nginx = browser(&[("x-original-url", "https://app.example.com/x")]);
        assert_eq!(nginx.original_url().unwrap(), "https://app.example.com/x");
    }
}
