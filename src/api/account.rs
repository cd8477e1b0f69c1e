//! POST /api/v1/signup and POST /api/v1/login.

use std::sync::Arc;

use serde::Deserialize;
use warp::Filter;
use warp::http::StatusCode;

use super::Route;
use super::error::{ApiError, ApiResult, json_response, respond};
use super::filters::{Client, client, json_body, with_state};
use crate::auth::jwt::{Claims, ISSUER};
use crate::auth::{ids, names, now_secs, password};
use crate::cache::LiveUser;
use crate::config::TokenLimit;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::store::tokens::Cap;
use crate::store::{self, Refusal, StoreError, TokenRecord, UserRecord};
use crate::time::rfc3339;

/// Longest device description a client may give.
pub const DESCRIPTION_MAX: usize = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignupBody {
    username: String,
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
    #[serde(default)]
    description: Option<String>,
}

/// POST /api/v1/signup {username, email, password}
pub fn signup(state: AppState) -> Route {
    warp::path!("api" / "v1" / "signup")
        .and(warp::post())
        .and(json_body::<SignupBody>())
        .and(with_state(state))
        .then(|body, state| async move { respond(do_signup(body, state).await) })
        .boxed()
}

/// POST /api/v1/login {username, password, description?}
pub fn login(state: AppState) -> Route {
    warp::path!("api" / "v1" / "login")
        .and(warp::post())
        .and(json_body::<LoginBody>())
        .and(client(state.config.trusted_proxies.clone().into()))
        .and(with_state(state))
        .then(|body, client, state| async move { respond(do_login(body, client, state).await) })
        .boxed()
}

fn unprocessable(message: &str) -> ApiError {
    ApiError::Unprocessable(message.to_owned())
}

fn check_signup(body: &SignupBody) -> Result<(), ApiError> {
    if body.username.is_empty() {
        return Err(unprocessable("username is empty"));
    }
    if body.email.is_empty() {
        return Err(unprocessable("email is empty"));
    }
    if body.password.is_empty() {
        return Err(unprocessable("password is empty"));
    }
    if !names::username_ok(&body.username) {
        return Err(unprocessable(
            "username must be 1 to 64 letters, digits, '.', '_' or '-'",
        ));
    }
    if !names::email_ok(&body.email) {
        return Err(unprocessable(
            "email must be 3 to 254 characters with one '@'",
        ));
    }
    password::check_rules(&body.password)
        .map_err(|_| unprocessable("password must be 8 to 128 characters"))
}

fn refusal_to_conflict(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::EmailTaken => ApiError::Conflict("email already signed-up"),
        _ => ApiError::Conflict("username already taken"),
    }
}

async fn do_signup(body: SignupBody, state: AppState) -> ApiResult {
    check_signup(&body)?;
    let (name, email) = (body.username.clone(), body.email.clone());
    let taken = state
        .store
        .read(move |txn| taken(txn, &name, &email))
        .await?;
    if let Some(refusal) = taken {
        return Err(refusal_to_conflict(refusal));
    }
    let cost = state.bcrypt_cost;
    let secret = body.password;
    let password_hash = state
        .logins
        .run(move || password::hash(&secret, cost))
        .await?
        .map_err(|err| ApiError::Unavailable(StoreError::WriteFailed(err.to_string())))?;
    let user = UserRecord {
        id: ids::random_id()
            .map_err(|e| ApiError::Unavailable(StoreError::WriteFailed(e.to_string())))?,
        username: body.username,
        email: body.email,
        password_hash,
        created_at: now_secs(),
        disabled: false,
    };
    let id = user.id.clone();
    state
        .store
        .write(move |txn| store::users::insert(txn, &user))
        .await?
        .map_err(refusal_to_conflict)?;
    tracing::info!(user_id = %id, "user signed up");
    Ok(json_response(
        StatusCode::CREATED,
        &serde_json::json!({ "msg": "welcome :-)", "id": id }),
    ))
}

fn taken(
    txn: &redb::ReadTransaction,
    name: &str,
    email: &str,
) -> Result<Option<Refusal>, StoreError> {
    if store::users::by_name(txn, name)?.is_some() {
        return Ok(Some(Refusal::UsernameTaken));
    }
    let emails = txn.open_table(store::tables::EMAILS)?;
    let found = emails.get(store::users::fold(email).as_str())?.is_some();
    Ok(found.then_some(Refusal::EmailTaken))
}

/// A login that passed its password check.
struct Verified {
    user: UserRecord,
    live: Arc<LiveUser>,
    generation: u64,
}

async fn do_login(body: LoginBody, client: Client, state: AppState) -> ApiResult {
    if body.username.is_empty() {
        return Err(unprocessable("username is empty"));
    }
    if body.password.is_empty() {
        return Err(unprocessable("password is empty"));
    }
    let description = describe_device(body.description, &client.user_agent)?;
    let account = store::users::fold(&body.username);
    if let Err(throttled) = state.throttle.admit(&account, &client.ip) {
        Metrics::add(&state.metrics.logins_throttled, 1);
        return Err(ApiError::Throttled(throttled.retry_after));
    }
    let outcome = check_password(&state, body.username, body.password).await;
    let verified = match outcome {
        Ok(Some(verified)) => {
            state.throttle.succeeded(&account, &client.ip);
            verified
        }
        Ok(None) => {
            state.throttle.failed(&account, &client.ip);
            Metrics::add(&state.metrics.logins_failed, 1);
            tracing::info!("login failed");
            return Err(ApiError::InvalidLogin);
        }
        Err(err) => {
            if matches!(err, ApiError::Busy) {
                Metrics::add(&state.metrics.logins_throttled, 1);
            }
            return Err(err);
        }
    };
    let issued = issue_token(&state, verified, description, client).await?;
    Metrics::add(&state.metrics.logins_succeeded, 1);
    Ok(issued)
}

fn describe_device(given: Option<String>, user_agent: &str) -> Result<String, ApiError> {
    match given {
        Some(d) if d.chars().count() > DESCRIPTION_MAX => {
            Err(unprocessable("description is longer than 200 characters"))
        }
        Some(d) if !d.trim().is_empty() => Ok(d),
        _ if !user_agent.is_empty() => Ok(user_agent.chars().take(DESCRIPTION_MAX).collect()),
        _ => Ok("unknown device".to_owned()),
    }
}

/// bcrypt on the login slots; unknown and disabled users cost the same.
async fn check_password(
    state: &AppState,
    username: String,
    secret: String,
) -> Result<Option<Verified>, ApiError> {
    if !password::plausible(&secret) {
        return Ok(None);
    }
    let worker = state.clone();
    state
        .logins
        .run(move || verify_blocking(&worker, &username, &secret))
        .await?
}

fn verify_blocking(
    state: &AppState,
    username: &str,
    secret: &str,
) -> Result<Option<Verified>, ApiError> {
    let user = state
        .store
        .read_now(|txn| store::users::by_name(txn, username))?;
    let Some(user) = user else {
        password::verify(secret, state.dummy_hash());
        return Ok(None);
    };
    if !password::verify(secret, &user.password_hash) || user.disabled {
        return Ok(None);
    }
    let Some(live) = state.gate.live_user(&state.store, &user.id)? else {
        return Ok(None);
    };
    let generation = live.generation();
    Ok(Some(Verified {
        user,
        live,
        generation,
    }))
}

/// The per-user cap; when evicting at the cap, with the user's in-memory
/// last-used times, so a use since the last flush counts.
async fn cap_for(state: &AppState, user_id: &str) -> Result<Cap, ApiError> {
    let mut cap = Cap {
        max: state.config.max_tokens_per_user,
        evict: state.config.on_token_limit == TokenLimit::Evict,
        ..Cap::default()
    };
    let id = user_id.to_owned();
    let held = state
        .store
        .read(move |txn| store::tokens::count_of_user(txn, &id))
        .await?;
    // Only a login at the cap pays for walking the cache.
    if cap.evict && held >= cap.max {
        cap.recent = state.gate.tokens().uses_of(user_id);
    }
    Ok(cap)
}

async fn issue_token(
    state: &AppState,
    verified: Verified,
    description: String,
    client: Client,
) -> ApiResult {
    let now = now_secs();
    let internal =
        |e: crate::auth::AuthError| ApiError::Unavailable(StoreError::WriteFailed(e.to_string()));
    let jti = ids::random_id().map_err(internal)?;
    let expires_at = now + state.token_ttl.as_secs();
    let claims = Claims {
        sub: verified.user.id.clone(),
        jti: jti.clone(),
        iat: now,
        exp: expires_at,
        iss: ISSUER.into(),
    };
    let token = state.gate.keys().issue(&claims).map_err(internal)?;
    let record = TokenRecord {
        jti: jti.clone(),
        user_id: verified.user.id.clone(),
        description,
        user_agent: client.user_agent,
        ip: client.ip,
        created_at: now,
        created_us: crate::auth::now_micros(),
        last_used_at: now,
        expires_at,
    };
    let stored = record.clone();
    let cap = Some(cap_for(state, &verified.user.id).await?);
    let inserted = state
        .store
        .write(move |txn| store::tokens::insert(txn, &stored, cap))
        .await?;
    match inserted {
        Ok(evicted) if !evicted.is_empty() => {
            state.gate.revoked(&verified.user.id);
            Metrics::add(&state.metrics.revocations, evicted.len() as u64);
        }
        Ok(_) => {}
        Err(Refusal::TooManyTokens) => {
            return Err(ApiError::Conflict(
                "too many live tokens: log out another device first",
            ));
        }
        Err(_) => return Err(ApiError::InvalidLogin),
    }
    state
        .gate
        .prefill(&token, verified.live, verified.generation, &record);
    tracing::info!(user_id = %verified.user.id, "login succeeded");
    let body = serde_json::json!({ "token": token, "id": jti, "expires_at": rfc3339(expires_at) });
    Ok(json_response(StatusCode::OK, &body))
}
