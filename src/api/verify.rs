//! GET /api/v1/verify[?role=NAME]: the route a reverse proxy calls for every
//! request (nginx `auth_request`, Caddy `forward_auth`, Traefik
//! `ForwardAuth`). 200 with who the caller is in headers; 401/403 exactly as
//! the other protected routes. Without an `Authorization` header, the
//! portal's session cookie counts too, and a browser is sent to sign in
//! (`portal::forward`).

use std::sync::Arc;

use serde::Deserialize;
use warp::http::{HeaderValue, StatusCode};
use warp::{Filter, Rejection};

use super::Route;
use super::error::msg_response;
use super::filters::{admit, with_state};
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
    warp::path!("api" / "v1" / "verify")
        .and(warp::get().or(warp::head()).unify())
        .and(warp::query::<VerifyQuery>())
        .and_then(|query: VerifyQuery| async move { checked_role(query.role) })
        .and(presented(state))
        .and(with_state(state.clone()))
        .and_then(
            |role: Option<String>, presented, state: AppState| async move {
                match presented {
                    Presented::Authorization(auth) => admit(&state, Some(auth), role.as_deref())
                        .await
                        .map(|caller: Arc<LiveToken>| identify(&caller)),
                    Presented::Browser(browser) => browser
                        .answer(&state, role.as_deref())
                        .await
                        .map_err(|denied| warp::reject::custom(Refused(denied))),
                }
            },
        )
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

/// 200 with the caller's name, id and roles in `X-Guestlist-*` headers.
pub(super) fn identify(caller: &LiveToken) -> warp::reply::Response {
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
