//! The sign-in portal: HTML pages served by the binary for browsers.
//!
//! A browser session *is* a token on the guest list: the portal signs in
//! with [`GuestList::log_in`](crate::usecases::GuestList::log_in) (same
//! throttles, bcrypt slots and per-user cap as `POST /api/v1/login`) and
//! keeps the token in an `HttpOnly` cookie; every page admits it through
//! the same [`Gate`](crate::gate::Gate) as an `Authorization` header; every
//! "sign out" is one of the use cases' revocations. So a browser is listed,
//! revoked and refused like any device.
//!
//! - `login`: `GET`/`POST /login`, `POST /logout`
//! - `account`: `GET /account` and its forms (devices, password)
//! - `admin`: `GET /admin/users` and its forms
//! - `forward`: the browser half of `GET /api/v1/verify`
//! - `cookie`, `csrf`, `redirect`, `agent`: the rules, each unit-tested
//! - `page`: responses with the security headers every page carries
//! - `views`: the askama templates' data

mod account;
mod admin;
mod agent;
mod cookie;
mod csrf;
pub mod forward;
mod login;
mod page;
mod redirect;
mod views;

use std::sync::Arc;

use warp::Filter;
use warp::http::HeaderValue;

use super::filters::optional_value;
use crate::cache::LiveToken;
use crate::gate::Denied;
use crate::state::AppState;

pub use account::routes as account;
pub use admin::routes as admin;
pub use login::{login, logout};
pub use page::assets;

/// What every portal route shares, built once from the configuration.
pub struct Portal {
    pub jar: cookie::Jar,
    pub csrf: csrf::Tokens,
    pub rules: redirect::Rules,
    /// Where browsers reach the portal, without a trailing slash ("" for
    /// the same host as the request).
    pub base: String,
    /// The portal's own `host[:port]`, when configured.
    pub authority: Option<String>,
    /// The sign-in page's CSP: its form's answer redirects to the apps,
    /// and browsers hold redirects of a form post to `form-action` too.
    pub login_csp: String,
}

impl Portal {
    pub fn new(state: &AppState) -> Arc<Portal> {
        let config = &state.config;
        let base = config.portal_url.clone().unwrap_or_default();
        let url = url::Url::parse(&base).ok();
        let authority = url.as_ref().and_then(|u| {
            let host = u.host_str()?;
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            })
        });
        let mut allowed = config.allowed_redirects.clone();
        allowed.extend(url.as_ref().and_then(|u| u.host_str().map(str::to_owned)));
        let login_csp = page::login_csp(
            config.cookie_domain.as_deref(),
            &allowed,
            config.insecure_cookies,
        );
        Arc::new(Portal {
            jar: cookie::Jar::new(config),
            csrf: csrf::Tokens::new(state.gate.keys().derive("guestlist portal csrf v1")),
            rules: redirect::Rules {
                domain: config.cookie_domain.clone(),
                allowed,
                insecure: config.insecure_cookies,
            },
            base,
            authority,
            login_csp,
        })
    }

    /// The signed-in caller of a visit (holding `role`, if given).
    pub async fn session(
        &self,
        state: &AppState,
        visit: &Visit,
        role: Option<&str>,
    ) -> Result<Arc<LiveToken>, Denied> {
        let token = visit
            .cookie(self.jar.session)
            .ok_or(Denied::NoCredentials)?;
        state.gate.admit(Some(token.as_bytes()), role).await
    }

    /// Whether a form post came from our own pages (see `csrf`).
    pub fn posted_from_our_pages(&self, visit: &Visit) -> bool {
        let mut provenance = visit.provenance.clone();
        provenance.hosts.extend(self.authority.clone());
        provenance.same_origin()
    }

    /// Where a signed-out browser is sent to sign in and come back.
    pub fn sign_in_url(&self, rd: &str) -> String {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("rd", rd)
            .finish();
        format!("{}/login?{query}", self.base)
    }
}

/// The request headers the pages look at.
#[derive(Debug, Default, Clone)]
pub struct Visit {
    cookies: Option<String>,
    pub provenance: csrf::Provenance,
}

impl Visit {
    pub fn cookie(&self, name: &str) -> Option<&str> {
        cookie::value_of(self.cookies.as_deref()?, name)
    }
}

/// The headers of a visit: cookies, and where a form post came from.
pub fn visit() -> impl Filter<Extract = (Visit,), Error = std::convert::Infallible> + Clone {
    optional_value("cookie")
        .and(optional_value("sec-fetch-site"))
        .and(optional_value("origin"))
        .and(optional_value("host"))
        .and(optional_value("x-forwarded-host"))
        .map(
            |cookies: Option<HeaderValue>,
             site: Option<HeaderValue>,
             origin: Option<HeaderValue>,
             host: Option<HeaderValue>,
             forwarded_host: Option<HeaderValue>| {
                let hosts = [host, forwarded_host]
                    .into_iter()
                    .filter_map(text)
                    .collect();
                Visit {
                    cookies: text(cookies),
                    provenance: csrf::Provenance {
                        sec_fetch_site: text(site),
                        origin: text(origin),
                        hosts,
                    },
                }
            },
        )
}

/// A header value as text; anything not visible ASCII counts as absent.
fn text(value: Option<HeaderValue>) -> Option<String> {
    value.and_then(|v| v.to_str().ok().map(str::to_owned))
}

/// The portal's shared parts, for the route builders.
pub fn with_portal(
    state: &AppState,
) -> impl Filter<Extract = (AppState, Arc<Portal>), Error = std::convert::Infallible> + Clone + use<>
{
    let portal = Portal::new(state);
    let state = state.clone();
    warp::any()
        .map(move || (state.clone(), portal.clone()))
        .untuple_one()
}
