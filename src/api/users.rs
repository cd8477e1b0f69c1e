//! User administration (role `admin`).

use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::http::{HeaderValue, StatusCode};

use super::Route;
use super::error::{ApiError, ApiResult, json_response, msg_response, respond};
use super::filters::{authorization, json_body, with_state};
use super::roles::ADMIN;
use super::tokens::live_views;
use crate::auth::now_secs;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::store::{self, StoreError, UserRecord};
use crate::time::rfc3339;

const PAGE_DEFAULT: usize = 50;
const PAGE_MAX: usize = 500;

pub fn routes(state: AppState) -> Route {
    list(state.clone())
        .or(user_tokens(state.clone()))
        .unify()
        .or(revoke_user_tokens(state.clone()))
        .unify()
        .or(set_disabled(state.clone()))
        .unify()
        .or(delete_user(state))
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
struct PageQuery {
    limit: Option<usize>,
    after: Option<String>,
}

#[derive(Serialize)]
struct UserView {
    id: String,
    username: String,
    email: String,
    roles: Vec<String>,
    created_at: String,
    disabled: bool,
    tokens: usize,
}

/// GET /api/v1/users?limit=&after=: ordered by id; `next` is the cursor.
fn list(state: AppState) -> Route {
    warp::path!("api" / "v1" / "users")
        .and(warp::get())
        .and(warp::query::<PageQuery>())
        .and(authorization())
        .and(with_state(state))
        .then(|query: PageQuery, auth, state: AppState| async move {
            respond(
                async {
                    admit_admin(&state, &auth).await?;
                    let limit = query.limit.unwrap_or(PAGE_DEFAULT);
                    if !(1..=PAGE_MAX).contains(&limit) {
                        return Err(ApiError::BadRequest(format!(
                            "limit must be 1 to {PAGE_MAX}"
                        )));
                    }
                    let after = query.after;
                    let users = state
                        .store
                        .read(move |txn| page(txn, after.as_deref(), limit))
                        .await?;
                    let next = (users.len() == limit)
                        .then(|| users.last().map(|u| u.id.clone()))
                        .flatten();
                    Ok(json_response(
                        StatusCode::OK,
                        &serde_json::json!({ "users": users, "next": next }),
                    ))
                }
                .await,
            )
        })
        .boxed()
}

fn page(
    txn: &redb::ReadTransaction,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<UserView>, StoreError> {
    let now = now_secs();
    store::users::page(txn, after, limit)?
        .into_iter()
        .map(|user| {
            let roles = store::users::roles_of(txn, &user.id)?;
            let tokens = store::tokens::of_user(txn, &user.id)?;
            Ok(to_view(
                user,
                roles,
                tokens.iter().filter(|t| t.expires_at > now).count(),
            ))
        })
        .collect()
}

fn to_view(user: UserRecord, roles: Vec<String>, tokens: usize) -> UserView {
    UserView {
        id: user.id,
        username: user.username,
        email: user.email,
        roles,
        created_at: rfc3339(user.created_at),
        disabled: user.disabled,
        tokens,
    }
}

fn user_path() -> impl Filter<Extract = (String,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "v1" / "users" / String / "tokens")
}

/// GET /api/v1/users/{username}/tokens
fn user_tokens(state: AppState) -> Route {
    user_path()
        .and(warp::get())
        .and(authorization())
        .and(with_state(state))
        .then(|username: String, auth, state: AppState| async move {
            respond(
                async {
                    admit_admin(&state, &auth).await?;
                    let records = state
                        .store
                        .read(move |txn| match store::users::by_name(txn, &username)? {
                            Some(user) => store::tokens::of_user(txn, &user.id).map(Some),
                            None => Ok(None),
                        })
                        .await?
                        .ok_or(ApiError::NotFound("user not found"))?;
                    let tokens = live_views(&state, records, None);
                    Ok(json_response(
                        StatusCode::OK,
                        &serde_json::json!({ "tokens": tokens }),
                    ))
                }
                .await,
            )
        })
        .boxed()
}

/// DELETE /api/v1/users/{username}/tokens: all of them, in one transaction.
fn revoke_user_tokens(state: AppState) -> Route {
    user_path()
        .and(warp::delete())
        .and(authorization())
        .and(with_state(state))
        .then(|username: String, auth, state: AppState| async move {
            respond(
                async {
                    admit_admin(&state, &auth).await?;
                    let removed = state
                        .store
                        .write(
                            move |txn| match store::users::id_in_write(txn, &username)? {
                                Some(id) => store::tokens::remove_all_of(txn, &id, None)
                                    .map(|n| Some((id, n))),
                                None => Ok(None),
                            },
                        )
                        .await?;
                    let (id, count) = removed.ok_or(ApiError::NotFound("user not found"))?;
                    state.gate.revoked(&id);
                    Metrics::add(&state.metrics.revocations, count as u64);
                    Ok(msg_response(
                        StatusCode::OK,
                        "every token of the user has been deleted",
                    ))
                }
                .await,
            )
        })
        .boxed()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisabledBody {
    disabled: bool,
}

/// PUT /api/v1/users/{username}/disabled {"disabled": bool}
fn set_disabled(state: AppState) -> Route {
    warp::path!("api" / "v1" / "users" / String / "disabled")
        .and(warp::put())
        .and(authorization())
        .and(json_body::<DisabledBody>())
        .and(with_state(state))
        .then(
            |username: String, auth, body: DisabledBody, state: AppState| async move {
                respond(
                    async {
                        admit_admin(&state, &auth).await?;
                        let disabled = body.disabled;
                        let changed = state
                            .store
                            .write(move |txn| store::users::set_disabled(txn, &username, disabled))
                            .await?;
                        let id = changed.map_err(|_| ApiError::NotFound("user not found"))?;
                        state.gate.revoked(&id);
                        let message = if disabled {
                            "user disabled"
                        } else {
                            "user enabled"
                        };
                        Ok(msg_response(StatusCode::OK, message))
                    }
                    .await,
                )
            },
        )
        .boxed()
}

/// DELETE /api/v1/users/{username}: the user, role links and tokens, at once.
fn delete_user(state: AppState) -> Route {
    warp::path!("api" / "v1" / "users" / String)
        .and(warp::delete())
        .and(authorization())
        .and(with_state(state))
        .then(|username: String, auth, state: AppState| async move {
            respond(do_delete(username, auth, state).await)
        })
        .boxed()
}

async fn do_delete(username: String, auth: Option<HeaderValue>, state: AppState) -> ApiResult {
    admit_admin(&state, &auth).await?;
    let deleted = state
        .store
        .write(move |txn| store::users::delete(txn, &username))
        .await?;
    let id = deleted.map_err(|_| ApiError::NotFound("user not found"))?;
    state.gate.revoked(&id);
    tracing::info!(user_id = %id, "user deleted");
    Ok(msg_response(StatusCode::OK, "user deleted"))
}
