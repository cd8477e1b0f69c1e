//! The plain-text demo routes of the tutorial and the health check.

use warp::Filter;
use warp::http::{HeaderValue, StatusCode};

use super::Route;
use super::error::{ApiError, json_response, respond, text_response};
use super::filters::{authorization, with_state};
use crate::state::AppState;

/// GET /
pub fn hello() -> Route {
    warp::path::end()
        .and(warp::get())
        .map(|| text_response("Hello, World!"))
        .boxed()
}

/// GET /need_login: the hot path.
pub fn need_login(state: AppState) -> Route {
    warp::path!("need_login")
        .and(warp::get())
        .and(authorization())
        .and(with_state(state))
        .then(|auth: Option<HeaderValue>, state: AppState| async move {
            let admitted = state
                .gate
                .admit(auth.as_ref().map(HeaderValue::as_bytes), None)
                .await;
            respond(
                admitted
                    .map(|_| text_response("if you see this, that means your token is valid"))
                    .map_err(ApiError::from),
            )
        })
        .boxed()
}

/// GET /admin
pub fn admin(state: AppState) -> Route {
    warp::path!("admin")
        .and(warp::get())
        .and(authorization())
        .and(with_state(state))
        .then(|auth: Option<HeaderValue>, state: AppState| async move {
            let admitted = state
                .gate
                .admit(auth.as_ref().map(HeaderValue::as_bytes), Some("admin"))
                .await;
            respond(
                admitted
                    .map(|_| text_response("if you see this, that means you are an admin"))
                    .map_err(ApiError::from),
            )
        })
        .boxed()
}

/// GET /healthz: 200 while the database takes writes.
pub fn healthz(state: AppState) -> Route {
    warp::path!("healthz")
        .and(warp::get())
        .and(with_state(state))
        .then(|state: AppState| async move {
            if state.store.healthy().await {
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
