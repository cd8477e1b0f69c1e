//! Role administration (role `admin`).

use serde::Deserialize;
use warp::Filter;
use warp::http::{HeaderValue, StatusCode};

use super::Route;
use super::error::{ApiError, ApiResult, msg_response, respond};
use super::filters::{authorization, json_body, with_state};
use crate::auth::{names, now_secs};
use crate::state::AppState;
use crate::store::{self, Refusal, RoleRecord};

pub const ADMIN: &str = "admin";

pub fn routes(state: AppState) -> Route {
    create(state.clone())
        .or(delete(state.clone()))
        .unify()
        .or(link(state.clone(), true))
        .unify()
        .or(link(state, false))
        .unify()
        .boxed()
}

async fn admit_admin(state: &AppState, auth: &Option<HeaderValue>) -> Result<(), ApiError> {
    state
        .gate
        .admit(auth.as_ref().map(HeaderValue::as_bytes), Some(ADMIN))
        .await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    name: String,
    description: String,
}

/// POST /api/v1/roles {name, description}
fn create(state: AppState) -> Route {
    warp::path!("api" / "v1" / "roles")
        .and(warp::post())
        .and(authorization())
        .and(json_body::<RoleBody>())
        .and(with_state(state))
        .then(|auth, body, state| async move { respond(do_create(auth, body, state).await) })
        .boxed()
}

async fn do_create(auth: Option<HeaderValue>, body: RoleBody, state: AppState) -> ApiResult {
    admit_admin(&state, &auth).await?;
    if body.name.is_empty() {
        return Err(ApiError::Unprocessable("name is empty".into()));
    }
    if body.description.is_empty() {
        return Err(ApiError::Unprocessable("description is empty".into()));
    }
    if !names::role_ok(&body.name) {
        return Err(ApiError::Unprocessable(
            "name must be 1 to 64 letters, digits, '.', '_' or '-'".into(),
        ));
    }
    if body.description.chars().count() > 200 {
        return Err(ApiError::Unprocessable(
            "description is longer than 200 characters".into(),
        ));
    }
    let role = RoleRecord {
        name: body.name,
        description: body.description,
        created_at: now_secs(),
    };
    let created = state
        .store
        .write(move |txn| store::roles::create(txn, &role))
        .await?;
    created.map_err(|_| ApiError::Conflict("role already exists"))?;
    Ok(msg_response(
        StatusCode::CREATED,
        "role successfully created",
    ))
}

/// DELETE /api/v1/roles/{name}
fn delete(state: AppState) -> Route {
    warp::path!("api" / "v1" / "roles" / String)
        .and(warp::delete())
        .and(authorization())
        .and(with_state(state))
        .then(
            |name: String, auth, state| async move { respond(do_delete(name, auth, state).await) },
        )
        .boxed()
}

async fn do_delete(name: String, auth: Option<HeaderValue>, state: AppState) -> ApiResult {
    admit_admin(&state, &auth).await?;
    let deleted = state
        .store
        .write(move |txn| store::roles::delete(txn, &name))
        .await?;
    let holders = deleted.map_err(|_| ApiError::NotFound("role not found"))?;
    let gate = state.gate.clone();
    state
        .store
        .call(move |store| {
            holders
                .iter()
                .try_for_each(|id| gate.roles_changed(store, id))
        })
        .await?;
    Ok(msg_response(StatusCode::OK, "role was deleted"))
}

/// POST (grant) or DELETE (remove) /api/v1/users/{username}/roles/{role}
fn link(state: AppState, grant: bool) -> Route {
    let method = if grant {
        warp::post().boxed()
    } else {
        warp::delete().boxed()
    };
    warp::path!("api" / "v1" / "users" / String / "roles" / String)
        .and(method)
        .and(authorization())
        .and(with_state(state))
        .then(move |user: String, role: String, auth, state| async move {
            respond(do_link(user, role, grant, auth, state).await)
        })
        .boxed()
}

async fn do_link(
    username: String,
    role: String,
    grant: bool,
    auth: Option<HeaderValue>,
    state: AppState,
) -> ApiResult {
    admit_admin(&state, &auth).await?;
    let linked = state
        .store
        .write(move |txn| store::roles::set_link(txn, &username, &role, grant))
        .await?;
    let user_id = linked.map_err(|refusal| match refusal {
        Refusal::NoSuchUser => ApiError::NotFound("user not found"),
        _ => ApiError::NotFound("role not found"),
    })?;
    let gate = state.gate.clone();
    state
        .store
        .call(move |store| gate.roles_changed(store, &user_id))
        .await?;
    let message = if grant {
        "role has been successfully added to the user"
    } else {
        "role was removed from user"
    };
    Ok(msg_response(StatusCode::OK, message))
}
