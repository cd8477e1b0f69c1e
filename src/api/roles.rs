//! Role administration (role `admin`).

use serde::Deserialize;
use warp::Filter;
use warp::http::StatusCode;

use super::Route;
use super::error::{ApiResult, done, msg_response, respond};
use super::filters::{caller, json_body, with_state};
use crate::rules::ADMIN;
use crate::state::AppState;

pub fn routes(state: &AppState) -> Route {
    create(state)
        .or(delete(state))
        .unify()
        .or(link(state, true))
        .unify()
        .or(link(state, false))
        .unify()
        .boxed()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    name: String,
    description: String,
}

/// POST /api/v1/roles {name, description}
fn create(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "roles")
        .and(warp::post())
        .and(json_body::<RoleBody>())
        .and(caller(state, Some(ADMIN)))
        .and(with_state(state.clone()))
        .then(|body, _, state| create_role(body, state))
        .map(respond)
        .boxed()
}

async fn create_role(body: RoleBody, state: AppState) -> ApiResult {
    state
        .guests
        .create_role(body.name, body.description)
        .await?;
    Ok(msg_response(
        StatusCode::CREATED,
        "role successfully created",
    ))
}

/// DELETE /api/v1/roles/{name}
fn delete(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "roles" / String)
        .and(warp::delete())
        .and(caller(state, Some(ADMIN)))
        .and(with_state(state.clone()))
        .then(|name: String, _, state| delete_role(name, state))
        .map(respond)
        .boxed()
}

async fn delete_role(name: String, state: AppState) -> ApiResult {
    state.guests.delete_role(&name).await?;
    done("role was deleted")
}

/// POST (grant) or DELETE (remove) /api/v1/users/{username}/roles/{role}
fn link(state: &AppState, grant: bool) -> Route {
    let method = if grant {
        warp::post().boxed()
    } else {
        warp::delete().boxed()
    };
    warp::path!("api" / "v1" / "users" / String / "roles" / String)
        .and(method)
        .and(caller(state, Some(ADMIN)))
        .and(with_state(state.clone()))
        .then(move |user, role, _, state| set_role(user, role, grant, state))
        .map(respond)
        .boxed()
}

async fn set_role(username: String, role: String, grant: bool, state: AppState) -> ApiResult {
    state.guests.set_role(&username, &role, grant).await?;
    done(if grant {
        "role has been successfully added to the user"
    } else {
        "role was removed from user"
    })
}
