//! The caller's own account: GET /api/v1/me, PUT /api/v1/me/password.

use serde::Deserialize;
use warp::Filter;
use warp::http::{HeaderValue, StatusCode};

use super::Route;
use super::error::{ApiError, ApiResult, json_response, msg_response, respond};
use super::filters::{authorization, json_body, with_state};
use crate::auth::password;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::store::{self, StoreError};
use crate::time::rfc3339;

pub fn routes(state: AppState) -> Route {
    me(state.clone()).or(change_password(state)).unify().boxed()
}

/// GET /api/v1/me → {id, username, email, roles, created_at}
fn me(state: AppState) -> Route {
    warp::path!("api" / "v1" / "me")
        .and(warp::get())
        .and(authorization())
        .and(with_state(state))
        .then(|auth: Option<HeaderValue>, state: AppState| async move {
            respond(show_me(auth, state).await)
        })
        .boxed()
}

async fn show_me(auth: Option<HeaderValue>, state: AppState) -> ApiResult {
    let live = state
        .gate
        .admit(auth.as_ref().map(HeaderValue::as_bytes), None)
        .await?;
    let id = live.user.id.clone();
    let user = state
        .store
        .read(move |txn| store::users::by_id(txn, &id))
        .await?;
    let user = user.ok_or(ApiError::InvalidToken)?;
    let body = serde_json::json!({
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "roles": &*live.user.roles(),
        "created_at": rfc3339(user.created_at),
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
fn change_password(state: AppState) -> Route {
    warp::path!("api" / "v1" / "me" / "password")
        .and(warp::put())
        .and(authorization())
        .and(json_body::<PasswordChange>())
        .and(with_state(state))
        .then(|auth, body, state| async move { respond(do_change(auth, body, state).await) })
        .boxed()
}

async fn do_change(auth: Option<HeaderValue>, body: PasswordChange, state: AppState) -> ApiResult {
    let live = state
        .gate
        .admit(auth.as_ref().map(HeaderValue::as_bytes), None)
        .await?;
    if body.new_password.is_empty() {
        return Err(ApiError::Unprocessable("new_password is empty".into()));
    }
    password::check_rules(&body.new_password)
        .map_err(|_| ApiError::Unprocessable("password must be 8 to 128 characters".into()))?;
    if !password::plausible(&body.current_password) {
        return Err(ApiError::InvalidLogin);
    }
    let (user_id, cost, worker) = (live.user.id.clone(), state.bcrypt_cost, state.clone());
    let new_hash = state
        .logins
        .run(move || {
            rehash(
                &worker,
                &user_id,
                &body.current_password,
                &body.new_password,
                cost,
            )
        })
        .await??;
    let Some(new_hash) = new_hash else {
        Metrics::add(&state.metrics.logins_failed, 1);
        return Err(ApiError::InvalidLogin);
    };
    let (user_id, keep) = (live.user.id.clone(), live.jti.clone());
    let removed = state
        .store
        .write(move |txn| {
            let Some(mut user) = store::users::get_in_write(txn, &user_id)? else {
                return Ok(None);
            };
            user.password_hash = new_hash;
            store::users::update(txn, &user)?;
            store::tokens::remove_all_of(txn, &user_id, Some(&keep)).map(Some)
        })
        .await?;
    let removed = removed.ok_or(ApiError::InvalidToken)?;
    state.gate.revoked(&live.user.id);
    Metrics::add(&state.metrics.revocations, removed as u64);
    tracing::info!(user_id = %live.user.id, removed, "password changed");
    Ok(msg_response(
        StatusCode::OK,
        "password changed; your other devices are signed out",
    ))
}

/// Checks the current password and hashes the new one. `None` on mismatch.
fn rehash(
    state: &AppState,
    user_id: &str,
    current: &str,
    new: &str,
    cost: u32,
) -> Result<Option<String>, ApiError> {
    let user = state
        .store
        .read_now(|txn| store::users::by_id(txn, user_id))?;
    let Some(user) = user.filter(|u| password::verify(current, &u.password_hash)) else {
        return Ok(None);
    };
    drop(user);
    password::hash(new, cost)
        .map(Some)
        .map_err(|e| ApiError::Unavailable(StoreError::WriteFailed(e.to_string())))
}
