//! User administration (role `admin`).

use serde::Deserialize;
use warp::Filter;
use warp::http::StatusCode;

use super::Route;
use super::error::{ApiResult, done, json_response, respond};
use super::filters::{caller, json_body, with_state};
use crate::rules::ADMIN;
use crate::state::AppState;

const PAGE_DEFAULT: usize = 50;

pub fn routes(state: &AppState) -> Route {
    list(state)
        .or(user_tokens(state))
        .unify()
        .or(revoke_user_tokens(state))
        .unify()
        .or(set_disabled(state))
        .unify()
        .or(delete_user(state))
        .unify()
        .boxed()
}

#[derive(Deserialize)]
struct PageQuery {
    limit: Option<usize>,
    after: Option<String>,
}

/// GET /api/v1/users?limit=&after=: ordered by id; `next` is the cursor.
fn list(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "users")
        .and(warp::get())
        .and(warp::query::<PageQuery>())
        .and(caller(state, Some(ADMIN)))
        .and(with_state(state.clone()))
        .then(|query: PageQuery, _, state: AppState| list_users(query, state))
        .map(respond)
        .boxed()
}

async fn list_users(query: PageQuery, state: AppState) -> ApiResult {
    let limit = query.limit.unwrap_or(PAGE_DEFAULT);
    let page = state.guests.users_page(query.after, limit).await?;
    let body = serde_json::json!({ "users": page.users, "next": page.next });
    Ok(json_response(StatusCode::OK, &body))
}

fn user_path() -> impl Filter<Extract = (String,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "users" / String / "tokens")
}

/// GET /api/v1/users/{username}/tokens
fn user_tokens(state: &AppState) -> Route {
    user_path()
        .and(warp::get())
        .and(caller(state, Some(ADMIN)))
        .and(with_state(state.clone()))
        .then(|username: String, _, state: AppState| list_user_tokens(username, state))
        .map(respond)
        .boxed()
}

async fn list_user_tokens(username: String, state: AppState) -> ApiResult {
    let (_, tokens) = state.guests.user_devices(&username).await?;
    let body = serde_json::json!({ "tokens": tokens });
    Ok(json_response(StatusCode::OK, &body))
}

/// DELETE /api/v1/users/{username}/tokens: all of them, in one transaction.
fn revoke_user_tokens(state: &AppState) -> Route {
    user_path()
        .and(warp::delete())
        .and(caller(state, Some(ADMIN)))
        .and(with_state(state.clone()))
        .then(|username: String, _, state: AppState| sign_out_user(username, state))
        .map(respond)
        .boxed()
}

async fn sign_out_user(username: String, state: AppState) -> ApiResult {
    state.guests.sign_out_user(&username).await?;
    done("every token of the user has been deleted")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisabledBody {
    disabled: bool,
}

/// PUT /api/v1/users/{username}/disabled {"disabled": bool}
fn set_disabled(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "users" / String / "disabled")
        .and(warp::put())
        .and(json_body::<DisabledBody>())
        .and(caller(state, Some(ADMIN)))
        .and(with_state(state.clone()))
        .then(|username, body, _, state| disable(username, body, state))
        .map(respond)
        .boxed()
}

async fn disable(username: String, body: DisabledBody, state: AppState) -> ApiResult {
    state.guests.set_disabled(&username, body.disabled).await?;
    done(if body.disabled {
        "user disabled"
    } else {
        "user enabled"
    })
}

/// DELETE /api/v1/users/{username}: the user, role links and tokens, at once.
fn delete_user(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "users" / String)
        .and(warp::delete())
        .and(caller(state, Some(ADMIN)))
        .and(with_state(state.clone()))
        .then(|username: String, _, state: AppState| delete(username, state))
        .map(respond)
        .boxed()
}

async fn delete(username: String, state: AppState) -> ApiResult {
    state.guests.delete_user(&username).await?;
    done("user deleted")
}
