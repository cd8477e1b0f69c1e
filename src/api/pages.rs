//! The plain-text demo routes of the tutorial and the health check.

use warp::Filter;
use warp::http::StatusCode;

use super::Route;
use super::error::{json_response, text_response};
use super::filters::{checked, with_state};
use crate::rules::ADMIN;
use crate::state::AppState;

/// GET /
pub fn hello(_: &AppState) -> Route {
    warp::path::end()
        .and(warp::get())
        .map(|| text_response("Hello, World!"))
        .boxed()
}

/// GET /need_login: the hot path.
pub fn need_login(state: &AppState) -> Route {
    let text = "if you see this, that means your token is valid";
    demo(state, "need_login", None, text)
}

/// GET /admin
pub fn admin(state: &AppState) -> Route {
    demo(
        state,
        "admin",
        Some(ADMIN),
        "if you see this, that means you are an admin",
    )
}

/// GET /{segment}: `text` for a caller (holding `role`, if given).
fn demo(
    state: &AppState,
    segment: &'static str,
    role: Option<&'static str>,
    text: &'static str,
) -> Route {
    warp::path(segment)
        .and(warp::path::end())
        .and(warp::get())
        .and(checked(state, role, |_| ()))
        .map(move |()| text_response(text))
        .boxed()
}

/// GET /healthz: 200 while the store takes writes and, with a shared
/// store, while this node's cache is within its staleness bound.
pub fn healthz(state: &AppState) -> Route {
    warp::path!("healthz")
        .and(warp::get())
        .and(with_state(state.clone()))
        .then(|state: AppState| async move {
            let fresh = state.gate.link().is_none_or(|link| link.is_fresh());
            if fresh && state.guests.store().healthy().await {
                json_response(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
            } else {
                json_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &serde_json::json!({ "status": "unavailable" }),
                )
            }
        })
        .boxed()
}
