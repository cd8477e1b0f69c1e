//! A user's own tokens: logout, list, delete one, delete all.

use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::http::{HeaderValue, StatusCode};

use super::Route;
use super::error::{ApiError, json_response, msg_response, respond};
use super::filters::{authorization, with_state};
use crate::cache::LiveToken;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::store::{self, TokenRecord};
use crate::time::rfc3339;

pub fn routes(state: AppState) -> Route {
    logout(state.clone())
        .or(list(state.clone()))
        .unify()
        .or(delete_one(state.clone()))
        .unify()
        .or(delete_all(state))
        .unify()
        .boxed()
}

fn authed()
-> impl Filter<Extract = (Option<HeaderValue>,), Error = std::convert::Infallible> + Clone {
    authorization()
}

async fn admit(
    state: &AppState,
    auth: &Option<HeaderValue>,
) -> Result<std::sync::Arc<LiveToken>, ApiError> {
    Ok(state
        .gate
        .admit(auth.as_ref().map(HeaderValue::as_bytes), None)
        .await?)
}

/// POST /api/v1/logout: only the presented token dies.
fn logout(state: AppState) -> Route {
    warp::path!("api" / "v1" / "logout")
        .and(warp::post())
        .and(authed())
        .and(with_state(state))
        .then(|auth, state: AppState| async move {
            respond(
                async {
                    let live = admit(&state, &auth).await?;
                    revoke_one(&state, &live, live.jti.clone()).await?;
                    Ok(msg_response(StatusCode::OK, "logged out"))
                }
                .await,
            )
        })
        .boxed()
}

/// Removes one of the caller's tokens durably, then makes the cache recheck.
async fn revoke_one(state: &AppState, live: &LiveToken, jti: String) -> Result<bool, ApiError> {
    let owner = live.user.id.clone();
    let removed = state
        .store
        .write(move |txn| store::tokens::remove(txn, &jti, Some(&owner)))
        .await?;
    state.gate.revoked(&live.user.id);
    Metrics::add(&state.metrics.revocations, removed.is_ok() as u64);
    Ok(removed.is_ok())
}

#[derive(Serialize)]
pub struct TokenView {
    id: String,
    description: String,
    user_agent: String,
    ip: String,
    created_at: String,
    last_used_at: String,
    expires_at: String,
    current: bool,
}

/// The public shape of an entry; `caller` marks `current` and lends its
/// in-memory last-used time.
pub fn view_of(record: TokenRecord, caller: Option<&LiveToken>) -> TokenView {
    let current = caller.is_some_and(|c| c.jti == record.jti);
    let last_used = match caller {
        Some(caller) if current => caller
            .last_used_at
            .load(Ordering::Relaxed)
            .max(record.last_used_at),
        _ => record.last_used_at,
    };
    TokenView {
        id: record.jti,
        description: record.description,
        user_agent: record.user_agent,
        ip: record.ip,
        created_at: rfc3339(record.created_at),
        last_used_at: rfc3339(last_used),
        expires_at: rfc3339(record.expires_at),
        current,
    }
}

/// The entries of one user still live, as shown. Last-used times are raised
/// to what memory saw since the last flush, so the list shows them and the
/// idle limit judges by them (not by a stored time up to a flush old).
pub fn live_views(
    state: &AppState,
    records: Vec<TokenRecord>,
    caller: Option<&LiveToken>,
) -> Vec<TokenView> {
    let Some(first) = records.first() else {
        return Vec::new();
    };
    let uses = state.gate.tokens().uses_of(&first.user_id);
    let now = crate::auth::now_secs();
    records
        .into_iter()
        .map(|mut r| {
            let used = uses.get(&r.jti).copied().unwrap_or(0);
            r.last_used_at = r.last_used_at.max(used);
            r
        })
        .filter(|r| r.expires_at > now && !state.gate.idle_expired(r, now))
        .map(|r| view_of(r, caller))
        .collect()
}

/// GET /api/v1/tokens: the caller's live tokens, newest first.
fn list(state: AppState) -> Route {
    warp::path!("api" / "v1" / "tokens")
        .and(warp::get())
        .and(authed())
        .and(with_state(state))
        .then(|auth, state: AppState| async move {
            respond(
                async {
                    let live = admit(&state, &auth).await?;
                    let user_id = live.user.id.clone();
                    let records = state
                        .store
                        .read(move |txn| store::tokens::of_user(txn, &user_id))
                        .await?;
                    let tokens = live_views(&state, records, Some(&live));
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

/// DELETE /api/v1/tokens/{id}
fn delete_one(state: AppState) -> Route {
    warp::path!("api" / "v1" / "tokens" / String)
        .and(warp::delete())
        .and(authed())
        .and(with_state(state))
        .then(|id: String, auth, state: AppState| async move {
            respond(
                async {
                    let live = admit(&state, &auth).await?;
                    if !revoke_one(&state, &live, id).await? {
                        return Err(ApiError::NotFound("404 token not found"));
                    }
                    Ok(msg_response(StatusCode::OK, "the token has been deleted"))
                }
                .await,
            )
        })
        .boxed()
}

#[derive(Deserialize)]
struct DeleteAllQuery {
    #[serde(default)]
    keep_current: Option<bool>,
}

/// DELETE /api/v1/tokens[?keep_current=true]: one transaction.
fn delete_all(state: AppState) -> Route {
    warp::path!("api" / "v1" / "tokens")
        .and(warp::delete())
        .and(warp::query::<DeleteAllQuery>())
        .and(authed())
        .and(with_state(state))
        .then(|query: DeleteAllQuery, auth, state: AppState| async move {
            respond(
                async {
                    let live = admit(&state, &auth).await?;
                    let keep = query
                        .keep_current
                        .unwrap_or(false)
                        .then(|| live.jti.clone());
                    let user_id = live.user.id.clone();
                    let removed = state
                        .store
                        .write(move |txn| {
                            store::tokens::remove_all_of(txn, &user_id, keep.as_deref())
                        })
                        .await?;
                    state.gate.revoked(&live.user.id);
                    Metrics::add(&state.metrics.revocations, removed as u64);
                    Ok(msg_response(
                        StatusCode::OK,
                        "you are now disconnected for every device",
                    ))
                }
                .await,
            )
        })
        .boxed()
}
