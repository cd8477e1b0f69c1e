//! A user's own tokens: logout, list, delete one, delete all.

use std::sync::Arc;

use serde::Deserialize;
use warp::Filter;
use warp::http::StatusCode;

use super::Route;
use super::error::{ApiResult, done, json_response, respond};
use super::filters::{caller, with_state};
use crate::cache::LiveToken;
use crate::state::AppState;

/// The caller's tokens (logout has a route of its own in the table).
pub fn routes(state: &AppState) -> Route {
    list(state)
        .or(delete_one(state))
        .unify()
        .or(delete_all(state))
        .unify()
        .boxed()
}

/// POST /api/v1/logout: only the presented token dies.
pub fn logout(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "logout")
        .and(warp::post())
        .and(caller(state, None))
        .and(with_state(state.clone()))
        .then(log_out)
        .map(respond)
        .boxed()
}

async fn log_out(caller: Arc<LiveToken>, state: AppState) -> ApiResult {
    state.guests.log_out(&caller).await?;
    done("logged out")
}

/// GET /api/v1/tokens: the caller's live tokens, newest first.
fn list(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "tokens")
        .and(warp::get())
        .and(caller(state, None))
        .and(with_state(state.clone()))
        .then(list_mine)
        .map(respond)
        .boxed()
}

async fn list_mine(caller: Arc<LiveToken>, state: AppState) -> ApiResult {
    let tokens = state.guests.my_devices(&caller).await?;
    let body = serde_json::json!({ "tokens": tokens });
    Ok(json_response(StatusCode::OK, &body))
}

/// DELETE /api/v1/tokens/{id}
fn delete_one(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "tokens" / String)
        .and(warp::delete())
        .and(caller(state, None))
        .and(with_state(state.clone()))
        .then(delete_mine)
        .map(respond)
        .boxed()
}

async fn delete_mine(id: String, caller: Arc<LiveToken>, state: AppState) -> ApiResult {
    state.guests.sign_out_device(&caller, &id).await?;
    done("the token has been deleted")
}

#[derive(Deserialize)]
struct DeleteAllQuery {
    #[serde(default)]
    keep_current: Option<bool>,
}

/// DELETE /api/v1/tokens[?keep_current=true]: one transaction.
fn delete_all(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "tokens")
        .and(warp::delete())
        .and(warp::query::<DeleteAllQuery>())
        .and(caller(state, None))
        .and(with_state(state.clone()))
        .then(delete_all_mine)
        .map(respond)
        .boxed()
}

async fn delete_all_mine(
    query: DeleteAllQuery,
    caller: Arc<LiveToken>,
    state: AppState,
) -> ApiResult {
    let keep_current = query.keep_current.unwrap_or(false);
    state.guests.sign_out_devices(&caller, keep_current).await?;
    done("you are now disconnected for every device")
}
