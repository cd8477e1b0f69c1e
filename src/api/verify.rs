//! GET /api/v1/verify[?role=NAME]: the route a reverse proxy calls for every
//! request (nginx `auth_request`, Caddy `forward_auth`, Traefik
//! `ForwardAuth`). 200 with who the caller is in headers; 401/403 exactly as
//! the other protected routes. Without an `Authorization` header, the
//! portal's session cookie counts too, and a browser is sent to sign in
//! (`portal::forward`).

use std::sync::Arc;

use futures_util::future::Either;

use bytes::Bytes;
use serde::Deserialize;
use warp::http::{HeaderName, HeaderValue, StatusCode};
use warp::{Filter, Rejection};

use super::Route;
use super::error::json_bytes;
use super::filters::check;
use super::portal::{self, forward::Browser};
use super::rejection::{BadBody, Refused};
use crate::cache::LiveToken;
use crate::rules;
use crate::state::AppState;

#[derive(Deserialize)]
struct VerifyQuery {
    role: Option<String>,
}

pub fn route(state: &AppState) -> Route {
    let state = state.clone();
    warp::path!("api" / "v1" / "verify")
        .and(warp::get().or(warp::head()).unify())
        .and(warp::query::<VerifyQuery>())
        .and_then(|query: VerifyQuery| async move { checked_role(query.role) })
        .and(presented(&state))
        .and_then(move |role: Option<String>, presented| match presented {
            Presented::Authorization(auth) => {
                Either::Left(check(&state, Some(auth), role, identify))
            }
            Presented::Browser(browser) => {
                let state = state.clone();
                Either::Right(async move {
                    let answer = browser.answer(&state, role.as_deref()).await;
                    answer.map_err(|denied| warp::reject::custom(Refused(denied)))
                })
            }
        })
        .boxed()
}

/// What the caller presented: an `Authorization` header (the API's hit
/// path, unchanged), or else whatever a browser brings (the portal's
/// session cookie), read only when there is no such header.
enum Presented {
    Authorization(HeaderValue),
    Browser(Browser),
}

fn presented(
    state: &AppState,
) -> impl Filter<Extract = (Presented,), Error = std::convert::Infallible> + Clone + use<> {
    warp::header::value("authorization")
        .map(Presented::Authorization)
        .or(portal::forward::browser(state).map(Presented::Browser))
        .unify()
}

/// A role name that breaks the rules is refused before any check.
fn checked_role(role: Option<String>) -> Result<Option<String>, Rejection> {
    match role {
        Some(role) if !rules::role_ok(&role) => {
            let shown: String = role.chars().take(64).collect();
            let message = format!("invalid role name {shown:?}");
            Err(BadBody::rejection(StatusCode::BAD_REQUEST, message))
        }
        role => Ok(role),
    }
}

const X_USER: HeaderName = HeaderName::from_static("x-guestlist-user");
const X_USER_ID: HeaderName = HeaderName::from_static("x-guestlist-user-id");
const X_ROLES: HeaderName = HeaderName::from_static("x-guestlist-roles");

/// 200 with the caller's name, id and roles in `X-Guestlist-*` headers.
/// On every proxied request: the body is written once, the header names
/// are constants, the roles are joined once per cached entry.
pub(super) fn identify(caller: &Arc<LiveToken>) -> warp::reply::Response {
    let mut response = json_bytes(StatusCode::OK, Bytes::from_static(br#"{"msg":"ok"}"#));
    let headers = response.headers_mut();
    let user = &caller.user;
    for (name, value) in [
        (X_USER, user.username.as_bytes()),
        (X_USER_ID, user.id.as_bytes()),
        (X_ROLES, caller.roles_joined().as_bytes()),
    ] {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    }
    response
}
