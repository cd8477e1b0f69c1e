//! GET /admin/users (role `admin`): users a page at a time, each with a
//! disable/enable form and a "sign out everywhere" form. The same use
//! cases as `GET /api/v1/users`, `PUT .../disabled` and
//! `DELETE .../tokens`.

use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use warp::Filter;
use warp::http::StatusCode;
use warp::reply::Response;

use super::account::{checked, nav};
use super::page::{Refusal, encode, form_body, html, parse, see_other};
use super::views::{Notice, UserRow, UsersPage};
use super::{Portal, Visit, visit, with_portal};
use crate::api::Route;
use crate::rules::ADMIN;
use crate::state::AppState;

/// Users on one page: enough to scan, short enough for a phone.
const PAGE_SIZE: usize = 20;

pub fn routes(state: &AppState) -> Route {
    show(state)
        .or(set_disabled(state))
        .unify()
        .or(sign_out_user(state))
        .unify()
        .boxed()
}

fn show(state: &AppState) -> Route {
    warp::path!("admin" / "users")
        .and(warp::get().or(warp::head()).unify())
        .and(warp::query::<Vec<(String, String)>>())
        .and(visit())
        .and(with_portal(state))
        .then(users_page)
        .boxed()
}

async fn users_page(
    query: Vec<(String, String)>,
    visit: Visit,
    state: AppState,
    portal: Arc<Portal>,
) -> Response {
    let value = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let after = value("after").filter(|a| !a.is_empty());
    let back = match &after {
        Some(after) => format!("/admin/users?after={}", encode(after)),
        None => "/admin/users".to_owned(),
    };
    let caller = match portal.session(&state, &visit, Some(ADMIN)).await {
        Ok(caller) => caller,
        Err(denied) => return Refusal::of_denied(denied, &back).into_response(),
    };
    let page = match state.guests.users_page(after.clone(), PAGE_SIZE).await {
        Ok(page) => page,
        Err(err) => return Refusal::from(err).into_response(),
    };
    let csrf = portal.csrf.for_session(&caller.jti);
    let roles = caller.user.roles();
    let page = UsersPage {
        title: "Users",
        nav: Some(nav(&caller.user.username, &roles, &csrf)),
        active: "users",
        width: "",
        csrf,
        users: page.users.into_iter().map(UserRow::from).collect(),
        after: after.unwrap_or_default(),
        next: page
            .next
            .map(|next| format!("/admin/users?after={}", encode(&next))),
        notice: outcome(value("done").as_deref()),
    };
    html(StatusCode::OK, &page)
}

/// The message of an outcome code: fixed texts only.
fn outcome(done: Option<&str>) -> Option<Notice> {
    match done? {
        "disabled" => Notice::ok("The user was disabled and signed out everywhere."),
        "enabled" => Notice::ok("The user was enabled."),
        "signed-out" => Notice::ok("The user was signed out on every device."),
        _ => None,
    }
}

#[derive(Deserialize)]
struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    disabled: Option<bool>,
    /// The page the form was on, to go back to.
    #[serde(default)]
    after: String,
}

/// Where to go after a form about users: the same page, saying `done`.
fn back_to(after: &str, done: &str) -> String {
    match after.is_empty() {
        true => format!("/admin/users?done={done}"),
        false => format!("/admin/users?after={}&done={done}", encode(after)),
    }
}

/// A form post to `/admin/users/{name}` handled by `act`.
fn user_form<F, Fut>(state: &AppState, name: &'static str, act: F) -> Route
where
    F: Fn(AppState, UserForm) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send,
{
    warp::path("admin")
        .and(warp::path("users"))
        .and(warp::path(name))
        .and(warp::path::end())
        .and(warp::post())
        .and(visit())
        .and(form_body())
        .and(with_portal(state))
        .then(
            move |visit: Visit, body: Bytes, state: AppState, portal: Arc<Portal>| {
                let act = act.clone();
                async move {
                    let checks =
                        checked(&state, &portal, &visit, &body, Some(ADMIN), "/admin/users");
                    if let Err(refusal) = checks.await {
                        return refusal.into_response();
                    }
                    match parse::<UserForm>(&body) {
                        Ok(form) => act(state, form).await,
                        Err(refusal) => refusal.into_response(),
                    }
                }
            },
        )
        .boxed()
}

/// POST /admin/users/disabled {csrf, username, disabled, after}
fn set_disabled(state: &AppState) -> Route {
    user_form(
        state,
        "disabled",
        |state: AppState, form: UserForm| async move {
            let Some(disabled) = form.disabled else {
                return Refusal::BadForm.into_response();
            };
            match state.guests.set_disabled(&form.username, disabled).await {
                Ok(()) => {
                    let done = if disabled { "disabled" } else { "enabled" };
                    see_other(&back_to(&form.after, done))
                }
                Err(err) => Refusal::from(err).into_response(),
            }
        },
    )
}

/// POST /admin/users/sign-out {csrf, username, after}
fn sign_out_user(state: &AppState) -> Route {
    user_form(
        state,
        "sign-out",
        |state: AppState, form: UserForm| async move {
            match state.guests.sign_out_user(&form.username).await {
                Ok(_) => see_other(&back_to(&form.after, "signed-out")),
                Err(err) => Refusal::from(err).into_response(),
            }
        },
    )
}
