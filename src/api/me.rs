//! The caller's own account: GET /api/v1/me, PUT /api/v1/me/password.

use std::sync::Arc;

use serde::Deserialize;
use warp::Filter;
use warp::http::StatusCode;

use super::Route;
use super::error::{ApiResult, done, json_response, respond};
use super::filters::{caller, json_body, with_state};
use crate::cache::LiveToken;
use crate::state::AppState;
use crate::time::rfc3339;

pub fn routes(state: &AppState) -> Route {
    me(state).or(password(state)).unify().boxed()
}

/// GET /api/v1/me → {id, username, email, roles, created_at}
fn me(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "me")
        .and(warp::get())
        .and(caller(state, None))
        .and(with_state(state.clone()))
        .then(show_me)
        .map(respond)
        .boxed()
}

async fn show_me(caller: Arc<LiveToken>, state: AppState) -> ApiResult {
    let profile = state.guests.profile(&caller).await?;
    let body = serde_json::json!({
        "id": profile.user.id,
        "username": profile.user.username,
        "email": profile.user.email,
        "roles": &*profile.roles,
        "created_at": rfc3339(profile.user.created_at),
    });
    Ok(json_response(StatusCode::OK, &body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// PUT /api/v1/me/password {current_password, new_password}: every other
/// token of the user dies; the calling one stays.
fn password(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "me" / "password")
        .and(warp::put())
        .and(json_body::<PasswordChange>())
        .and(caller(state, None))
        .and(with_state(state.clone()))
        .then(change_password)
        .map(respond)
        .boxed()
}

async fn change_password(
    body: PasswordChange,
    caller: Arc<LiveToken>,
    state: AppState,
) -> ApiResult {
    let change = state
        .guests
        .change_password(&caller, body.current_password, body.new_password);
    change.await?;
    done("password changed; your other devices are signed out")
}
