//! GET /api/v1/verify[?role=NAME]: the route a reverse proxy calls for every
//! request (nginx `auth_request`, Caddy `forward_auth`, Traefik
//! `ForwardAuth`). 200 with who the caller is in headers; 401/403 exactly as
//! the other protected routes.

use std::sync::Arc;

use serde::Deserialize;
use warp::http::{HeaderValue, StatusCode};
use warp::{Filter, Rejection};

use super::Route;
use super::error::msg_response;
use super::filters::{admit, optional_value, with_state};
use super::rejection::BadBody;
use crate::cache::LiveToken;
use crate::rules;
use crate::state::AppState;

#[derive(Deserialize)]
struct VerifyQuery {
    role: Option<String>,
}

pub fn route(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "verify")
        .and(warp::get().or(warp::head()).unify())
        .and(warp::query::<VerifyQuery>())
        .and_then(|query: VerifyQuery| async move { checked_role(query.role) })
        .and(optional_value("authorization"))
        .and(with_state(state.clone()))
        .and_then(|role: Option<String>, auth, state: AppState| async move {
            admit(&state, auth, role.as_deref()).await
        })
        .map(|caller: Arc<LiveToken>| identify(&caller))
        .boxed()
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

/// 200 with the caller's name, id and roles in `X-Guestlist-*` headers.
fn identify(caller: &LiveToken) -> warp::reply::Response {
    let mut response = msg_response(StatusCode::OK, "ok");
    let headers = response.headers_mut();
    let roles = caller.user.roles().join(",");
    for (name, value) in [
        ("x-guestlist-user", caller.user.username.as_str()),
        ("x-guestlist-user-id", caller.user.id.as_str()),
        ("x-guestlist-roles", roles.as_str()),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    response
}
