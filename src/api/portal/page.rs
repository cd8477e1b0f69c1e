//! How the portal answers: HTML pages, redirects and refusals, every one
//! with the same security headers, and the one stylesheet.

use std::borrow::Cow;

use askama::Template;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use warp::Filter;
use warp::http::StatusCode;
use warp::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, RETRY_AFTER, SET_COOKIE,
};
use warp::reply::Response;

use super::views::{MessagePage, Nav};
use crate::api::Route;
use crate::gate::Denied;
use crate::state::AppState;
use crate::usecases::Error;

/// No script at all, styles and images from the portal only, forms only
/// to the portal, never in a frame, no `<base>` games.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// [`CSP`] for the sign-in page, whose form may end on the cookie domain
/// (and its subdomains) and the allowed hosts, on any port.
pub fn login_csp(domain: Option<&str>, allowed: &[String], insecure: bool) -> String {
    let schemes: &[&str] = if insecure {
        &["https", "http"]
    } else {
        &["https"]
    };
    let mut hosts: Vec<String> = allowed.to_vec();
    if let Some(domain) = domain {
        hosts.push(domain.to_owned());
        hosts.push(format!("*.{domain}"));
    }
    let mut sources = String::from("'self'");
    for host in &hosts {
        for scheme in schemes {
            sources.push_str(&format!(" {scheme}://{host}:*"));
        }
    }
    CSP.replace("form-action 'self'", &format!("form-action {sources}"))
}

/// Largest form accepted.
const MAX_FORM: u64 = 16 * 1024;

const STYLESHEET: &str = include_str!("../../../assets/app.css");

/// The headers of every portal answer: pages hold a session's CSRF
/// token and personal data, so nothing is cached, sniffed, framed or
/// leaked in a `Referer`.
fn protect(headers: &mut HeaderMap) {
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// A page with `status` and a `Content-Security-Policy` other than [`CSP`].
pub fn html_with_csp(status: StatusCode, page: &impl Template, csp: &str) -> Response {
    let mut response = html(status, page);
    if let Ok(csp) = HeaderValue::from_str(csp) {
        response
            .headers_mut()
            .insert("content-security-policy", csp);
    }
    response
}

/// A page with `status`.
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    let body = page.render().unwrap_or_else(|err| {
        tracing::error!(%err, "a page could not be rendered");
        "<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned()
    });
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    protect(headers);
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// 303 See Other to `location` (a path, or a URL `redirect` checked): after
/// a form, the browser fetches the next page with GET.
pub fn see_other(location: &str) -> Response {
    let mut response = Response::new(Default::default());
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    protect(headers);
    let fallback = HeaderValue::from_static(super::redirect::DEFAULT);
    let location = HeaderValue::from_str(location).unwrap_or(fallback);
    headers.insert(LOCATION, location);
    response
}

/// Adds a `Set-Cookie` (several may be added).
pub fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// A short page saying what happened and where to go next.
pub fn message(
    status: StatusCode,
    heading: &'static str,
    text: impl Into<Cow<'static, str>>,
    nav: Option<Nav>,
) -> Response {
    let (link_href, link_text) = match nav {
        Some(_) => ("/account", "Back to your account"),
        None => ("/login", "Go to sign-in"),
    };
    let page = MessagePage {
        title: heading,
        nav,
        active: "",
        width: "narrow",
        heading,
        text: text.into(),
        link_href,
        link_text,
    };
    html(status, &page)
}

/// Why a form or page was not served as asked.
pub enum Refusal {
    /// The post came from another site (or origin).
    CrossSite,
    /// The anti-CSRF token is missing or not this session's.
    Forged,
    /// No live session: sign in (and come back to this path).
    SignIn(String),
    /// Signed in, but not an administrator.
    NotAdmin,
    /// The body is not a form we understand.
    BadForm,
    /// A use case failed for a reason the visitor cannot fix.
    Failed(Error),
}

impl Refusal {
    /// How a failed session check is answered on a page at `path`.
    pub fn of_denied(denied: Denied, path: &str) -> Refusal {
        match denied {
            Denied::Forbidden => Refusal::NotAdmin,
            Denied::Unavailable => Refusal::Failed(Error::Denied(Denied::Unavailable)),
            Denied::NoCredentials | Denied::Invalid => Refusal::SignIn(path.to_owned()),
        }
    }

    pub fn into_response(self) -> Response {
        match self {
            Refusal::CrossSite => message(
                StatusCode::FORBIDDEN,
                "Request refused",
                "This form was sent from another site, so it was not acted on.",
                None,
            ),
            Refusal::Forged => message(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "It does not belong to your current session. Reload the page and try again.",
                None,
            ),
            Refusal::SignIn(path) => see_other(&format!("/login?rd={}", encode(&path))),
            Refusal::NotAdmin => message(
                StatusCode::FORBIDDEN,
                "Administrators only",
                "Your account does not hold the admin role.",
                None,
            ),
            Refusal::BadForm => message(
                StatusCode::BAD_REQUEST,
                "That did not work",
                "The form could not be read. Reload the page and try again.",
                None,
            ),
            Refusal::Failed(err) => failed(err),
        }
    }
}

impl From<Error> for Refusal {
    fn from(err: Error) -> Refusal {
        match err {
            Error::Denied(Denied::NoCredentials | Denied::Invalid) => {
                Refusal::SignIn("/account".into())
            }
            other => Refusal::Failed(other),
        }
    }
}

/// A use case's failure the visitor can only retry later.
fn failed(err: Error) -> Response {
    let (status, text): (StatusCode, Cow<'static, str>) = match &err {
        Error::Throttled(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many attempts. Try again in {}.",
                super::views::wait(*secs)
            )
            .into(),
        ),
        Error::NotFound(_) => (StatusCode::NOT_FOUND, "It no longer exists.".into()),
        Error::Invalid(rule) => (StatusCode::UNPROCESSABLE_ENTITY, (*rule).into()),
        _ => {
            tracing::warn!(%err, "a portal action failed");
            let text = "The service is busy or unavailable. Try again shortly.";
            (StatusCode::SERVICE_UNAVAILABLE, text.into())
        }
    };
    let mut response = message(status, "That did not work", text, None);
    let retry = match err {
        Error::Throttled(secs) => Some(HeaderValue::from(secs)),
        _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(HeaderValue::from_static("1")),
        _ => None,
    };
    if let Some(retry) = retry {
        response.headers_mut().insert(RETRY_AFTER, retry);
    }
    response
}

/// `text` percent-encoded for a query value.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A form body of at most [`MAX_FORM`] bytes, read as bytes so that a
/// malformed one is a page, not a JSON error.
pub fn form_body() -> impl Filter<Extract = (Bytes,), Error = warp::Rejection> + Clone {
    warp::body::content_length_limit(MAX_FORM).and(warp::body::bytes())
}

/// A form body as `T` (`application/x-www-form-urlencoded`).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    serde_urlencoded::from_bytes(body).map_err(|_| Refusal::BadForm)
}

/// GET /assets/app.css: the stylesheet, built into the binary.
pub fn assets(_: &AppState) -> Route {
    warp::path!("assets" / "app.css")
        .and(warp::get())
        .map(|| {
            let mut response = Response::new(STYLESHEET.into());
            let headers = response.headers_mut();
            protect(headers);
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            );
            // The one thing worth caching; a restart may change it.
            headers.insert(
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            response
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_page_may_post_on_to_the_domain_and_allowed_hosts_only() {
        assert_eq!(login_csp(None, &[], false), CSP);
        let csp = login_csp(Some("example.com"), &["partner.test".into()], false);
        let sources = "form-action 'self' https://partner.test:* \
            https://example.com:* https://*.example.com:*;";
        assert!(csp.contains(sources), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let insecure = login_csp(Some("example.com"), &[], true);
        assert!(insecure.contains("http://*.example.com:*"), "{insecure}");
    }
}
