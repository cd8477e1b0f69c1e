//! GET /account: who I am, my roles, every device on my guest list (API
//! tokens included); and its forms: sign out one device, every other
//! device, change my password. Each form posts, then redirects back with
//! a fixed outcome code (post/redirect/get: a reload sends nothing again).

use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use warp::Filter;
use warp::http::StatusCode;
use warp::reply::Response;

use super::page::{Refusal, form_body, html, parse, see_other, with_cookie};
use super::views::{AccountPage, DeviceRow, Nav, Notice, day, initial};
use super::{Portal, Visit, visit, with_portal};
use crate::api::Route;
use crate::cache::LiveToken;
use crate::rules::ADMIN;
use crate::state::AppState;
use crate::time::now_secs;
use crate::usecases::{Error, Missing};

pub fn routes(state: &AppState) -> Route {
    show(state)
        .or(sign_out_device(state))
        .unify()
        .or(sign_out_others(state))
        .unify()
        .or(change_password(state))
        .unify()
        .boxed()
}

fn show(state: &AppState) -> Route {
    warp::path!("account")
        .and(warp::get().or(warp::head()).unify())
        .and(warp::query::<Vec<(String, String)>>())
        .and(visit())
        .and(with_portal(state))
        .then(|query: Vec<(String, String)>, visit: Visit, state: AppState, portal: Arc<Portal>| async move {
            let notice = outcome(&query);
            match signed_in(&state, &portal, &visit).await {
                Ok(caller) => page(&state, &portal, &caller, notice, StatusCode::OK).await,
                Err(refusal) => refusal.into_response(),
            }
        })
        .boxed()
}

async fn signed_in(
    state: &AppState,
    portal: &Portal,
    visit: &Visit,
) -> Result<Arc<LiveToken>, Refusal> {
    let session = portal.session(state, visit, None).await;
    session.map_err(|denied| Refusal::of_denied(denied, "/account"))
}

/// The message of an outcome code in the query: fixed texts only, so a
/// link cannot make the page say anything else.
fn outcome(query: &[(String, String)]) -> Option<Notice> {
    let value = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let n: usize = value("n").and_then(|n| n.parse().ok()).unwrap_or(0);
    let others = match n {
        1 => "1 other device was signed out.".to_owned(),
        n => format!("{n} other devices were signed out."),
    };
    match value("done")? {
        "device" => Notice::ok("The device was signed out."),
        "gone" => Notice::ok("That device was already signed out."),
        "others" => Notice::ok(others),
        "password" => Notice::ok(format!("Your password was changed. {others}")),
        _ => None,
    }
}

/// The account page of `caller`.
pub async fn page(
    state: &AppState,
    portal: &Portal,
    caller: &LiveToken,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let (profile, devices) = match (
        state.guests.profile(caller).await,
        state.guests.my_devices(caller).await,
    ) {
        (Ok(profile), Ok(devices)) => (profile, devices),
        (Err(err), _) | (_, Err(err)) => return Refusal::from(err).into_response(),
    };
    let now = now_secs();
    let csrf = portal.csrf.for_session(&caller.jti);
    let roles: Vec<String> = profile.roles.to_vec();
    let page = AccountPage {
        title: "Your account",
        nav: Some(nav(&profile.user.username, &roles, &csrf)),
        active: "account",
        width: "",
        initial: initial(&profile.user.username),
        username: profile.user.username,
        email: profile.user.email,
        since: day(&crate::time::rfc3339(profile.user.created_at)),
        roles,
        devices: devices
            .into_iter()
            .map(|d| DeviceRow::new(d, now))
            .collect(),
        csrf,
        notice,
    };
    html(status, &page)
}

pub fn nav(username: &str, roles: &[String], csrf: &str) -> Nav {
    Nav {
        username: username.to_owned(),
        is_admin: roles.iter().any(|r| r == ADMIN),
        csrf: csrf.to_owned(),
    }
}

/// The checks of every form of a signed-in page: posted from our pages,
/// by a live session (holding `role`, if given), with that session's
/// anti-CSRF token. `back` is where a signed-out browser returns.
pub async fn checked(
    state: &AppState,
    portal: &Portal,
    visit: &Visit,
    body: &[u8],
    role: Option<&str>,
    back: &str,
) -> Result<Arc<LiveToken>, Refusal> {
    if !portal.posted_from_our_pages(visit) {
        return Err(Refusal::CrossSite);
    }
    let session = portal.session(state, visit, role).await;
    let caller = session.map_err(|denied| Refusal::of_denied(denied, back))?;
    let form: super::login::TokenForm = parse(body)?;
    if !portal.csrf.session_ok(&caller.jti, &form.csrf) {
        return Err(Refusal::Forged);
    }
    Ok(caller)
}

/// A form post to `/account/...` handled by `act`.
macro_rules! account_form {
    ($state:expr, $segment:tt / $name:tt, $act:expr) => {
        warp::path!("account" / $segment / $name)
            .and(warp::post())
            .and(visit())
            .and(form_body())
            .and(with_portal($state))
            .then(
                |visit: Visit, body: Bytes, state: AppState, portal: Arc<Portal>| async move {
                    match checked(&state, &portal, &visit, &body, None, "/account").await {
                        Ok(caller) => $act(&state, &portal, &caller, &body).await,
                        Err(refusal) => refusal.into_response(),
                    }
                },
            )
            .boxed()
    };
}

/// POST /account/devices/sign-out {csrf, id}
fn sign_out_device(state: &AppState) -> Route {
    account_form!(state, "devices" / "sign-out", sign_out_one)
}

#[derive(Deserialize)]
struct DeviceForm {
    #[serde(default)]
    id: String,
}

async fn sign_out_one(
    state: &AppState,
    portal: &Portal,
    caller: &LiveToken,
    body: &[u8],
) -> Response {
    let Ok(form) = parse::<DeviceForm>(body) else {
        return Refusal::BadForm.into_response();
    };
    if form.id == caller.jti {
        // This browser itself: as the sign-out button in the top bar.
        return match state.guests.log_out(caller).await {
            Ok(()) => signed_out_here(portal),
            Err(err) => Refusal::from(err).into_response(),
        };
    }
    match state.guests.sign_out_device(caller, &form.id).await {
        Ok(()) => see_other("/account?done=device"),
        Err(Error::NotFound(Missing::Token)) => see_other("/account?done=gone"),
        Err(err) => Refusal::from(err).into_response(),
    }
}

/// The answer once this browser's own session is gone.
pub fn signed_out_here(portal: &Portal) -> Response {
    with_cookie(
        see_other("/login?signed_out=1"),
        &portal.jar.clear_session(),
    )
}

/// POST /account/devices/sign-out-others {csrf}
fn sign_out_others(state: &AppState) -> Route {
    account_form!(state, "devices" / "sign-out-others", sign_out_rest)
}

async fn sign_out_rest(state: &AppState, _: &Portal, caller: &LiveToken, _: &[u8]) -> Response {
    match state.guests.sign_out_devices(caller, true).await {
        Ok(n) => see_other(&format!("/account?done=others&n={n}")),
        Err(err) => Refusal::from(err).into_response(),
    }
}

/// POST /account/password {csrf, current, new, confirm}
fn change_password(state: &AppState) -> Route {
    warp::path!("account" / "password")
        .and(warp::post())
        .and(visit())
        .and(form_body())
        .and(with_portal(state))
        .then(
            |visit: Visit, body: Bytes, state: AppState, portal: Arc<Portal>| async move {
                match checked(&state, &portal, &visit, &body, None, "/account").await {
                    Ok(caller) => new_password(&state, &portal, &caller, &body).await,
                    Err(refusal) => refusal.into_response(),
                }
            },
        )
        .boxed()
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

async fn new_password(
    state: &AppState,
    portal: &Portal,
    caller: &LiveToken,
    body: &[u8],
) -> Response {
    let Ok(form) = parse::<PasswordForm>(body) else {
        return Refusal::BadForm.into_response();
    };
    let refused = |text: &'static str| {
        page(
            state,
            portal,
            caller,
            Notice::error(text),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if form.new != form.confirm {
        return refused("The new passwords do not match.").await;
    }
    match state
        .guests
        .change_password(caller, form.current, form.new)
        .await
    {
        Ok(n) => see_other(&format!("/account?done=password&n={n}")),
        Err(Error::InvalidLogin) => refused("The current password is wrong.").await,
        Err(Error::Invalid(rule)) => refused(rule).await,
        Err(err) => Refusal::from(err).into_response(),
    }
}
