//! GET /login (the form), POST /login (sign in), POST /logout.

use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;
use warp::Filter;
use warp::http::StatusCode;
use warp::http::header::{HeaderValue, RETRY_AFTER};
use warp::reply::Response;

use super::page::{Refusal, form_body, html_with_csp, parse, see_other, with_cookie};
use super::views::{LoginPage, Notice};
use super::{Portal, Visit, csrf, visit, with_portal};
use crate::api::Route;
use crate::api::filters::{Client, client};
use crate::auth::ids;
use crate::state::AppState;
use crate::time::now_secs;
use crate::usecases::{Conflict, Error, LogIn};

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rd: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    device: String,
}

/// A form whose only field is the session's anti-CSRF token.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    pub csrf: String,
}

/// GET and POST /login.
pub fn login(state: &AppState) -> Route {
    let show = warp::path!("login")
        .and(warp::get().or(warp::head()).unify())
        .and(warp::query::<Vec<(String, String)>>())
        .and(visit())
        .and(with_portal(state))
        .then(show_form);
    let post = warp::path!("login")
        .and(warp::post())
        .and(visit())
        .and(client(state.config.trusted_proxies.clone().into()))
        .and(form_body())
        .and(with_portal(state))
        .then(sign_in);
    show.or(post).unify().boxed()
}

/// POST /logout: this browser's session dies on the list, then its cookie.
pub fn logout(state: &AppState) -> Route {
    warp::path!("logout")
        .and(warp::post())
        .and(visit())
        .and(form_body())
        .and(with_portal(state))
        .then(sign_out)
        .boxed()
}

/// What the page needs to say about the sign-in form.
struct Form<'a> {
    csrf: &'a str,
    rd: &'a str,
    username: &'a str,
}

async fn show_form(
    query: Vec<(String, String)>,
    visit: Visit,
    state: AppState,
    portal: Arc<Portal>,
) -> Response {
    let param = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let rd = param("rd").unwrap_or_default();
    // Already signed in: straight on, as after a sign-in.
    if portal.session(&state, &visit, None).await.is_ok() {
        return see_other(&portal.rules.target_or_default(Some(rd)));
    }
    let (csrf, fresh) = match visit.cookie(portal.jar.login) {
        Some(value) if csrf::well_formed(value) => (value.to_owned(), false),
        _ => match ids::random_id() {
            Ok(value) => (value, true),
            Err(err) => return Refusal::Failed(err.into()).into_response(),
        },
    };
    let notice = param("signed_out").and_then(|_| Notice::ok("You have signed out."));
    let form = Form {
        csrf: &csrf,
        rd,
        username: "",
    };
    let response = render(&portal, &form, StatusCode::OK, notice);
    match fresh {
        true => with_cookie(response, &portal.jar.login_cookie(&csrf)),
        false => response,
    }
}

/// The sign-in form with `status` and a notice. The same page, byte for
/// byte, whatever made a sign-in fail: it never tells who exists.
fn render(
    portal: &Portal,
    form: &Form<'_>,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let destination = portal
        .rules
        .target(form.rd)
        .and_then(|to| url::Url::parse(&to).ok())
        .and_then(|url| url.host_str().map(str::to_owned));
    let page = LoginPage {
        title: "Sign in",
        nav: None,
        active: "",
        width: "narrow",
        csrf: form.csrf,
        rd: form.rd,
        username: form.username,
        destination,
        notice,
    };
    html_with_csp(status, &page, &portal.login_csp)
}

async fn sign_in(
    visit: Visit,
    client: Client,
    body: Bytes,
    state: AppState,
    portal: Arc<Portal>,
) -> Response {
    if !portal.posted_from_our_pages(&visit) {
        return Refusal::CrossSite.into_response();
    }
    let form: LoginForm = match parse(&body) {
        Ok(form) => form,
        Err(refusal) => return refusal.into_response(),
    };
    let shown = Form {
        csrf: &form.csrf,
        rd: &form.rd,
        username: &form.username,
    };
    if !csrf::login_ok(visit.cookie(portal.jar.login), &form.csrf) {
        // A stale or forged form: a fresh one, nothing tried.
        return expired_form(&portal, &form.rd);
    }
    let description = Some(form.device.clone()).filter(|d| !d.trim().is_empty());
    let attempt = LogIn {
        username: form.username.clone(),
        password: form.password.clone(),
        description,
    };
    match state.guests.log_in(attempt, client).await {
        Ok(issued) => {
            retire_old_session(&state, &portal, &visit).await;
            let max_age = issued.expires_at.saturating_sub(now_secs());
            let to = portal.rules.target_or_default(Some(&form.rd));
            with_cookie(
                see_other(&to),
                &portal.jar.session_cookie(&issued.token, max_age),
            )
        }
        Err(err) => refused_sign_in(&portal, &shown, err),
    }
}

/// A browser that signs in again (as someone else, say) leaves its old
/// session behind: it is signed out rather than left live and unseen.
async fn retire_old_session(state: &AppState, portal: &Portal, visit: &Visit) {
    if let Ok(old) = portal.session(state, visit, None).await {
        if let Err(err) = state.guests.log_out(&old).await {
            tracing::warn!(%err, "the previous browser session could not be signed out");
        }
    }
}

fn expired_form(portal: &Portal, rd: &str) -> Response {
    let Ok(csrf) = ids::random_id() else {
        return Refusal::Failed(Error::Busy).into_response();
    };
    let form = Form {
        csrf: &csrf,
        rd,
        username: "",
    };
    let notice = Notice::error("The sign-in form had expired. Please sign in again.");
    let response = render(portal, &form, StatusCode::FORBIDDEN, notice);
    with_cookie(response, &portal.jar.login_cookie(&csrf))
}

/// The form again, saying why, with the status the API would answer.
fn refused_sign_in(portal: &Portal, form: &Form<'_>, err: Error) -> Response {
    let (status, text): (StatusCode, String) = match &err {
        Error::InvalidLogin => (
            StatusCode::UNAUTHORIZED,
            "Wrong username or password.".into(),
        ),
        Error::Invalid(rule) => (StatusCode::UNPROCESSABLE_ENTITY, capitalized(rule)),
        Error::Throttled(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-ins. Try again in {}.",
                super::views::wait(*secs)
            ),
        ),
        Error::Conflict(Conflict::TooManyTokens) => (
            StatusCode::CONFLICT,
            "Too many devices are signed in to this account. Sign one out first.".into(),
        ),
        Error::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is busy. Try again in a moment.".into(),
        ),
        _ => return Refusal::Failed(err).into_response(),
    };
    let mut response = render(portal, form, status, Notice::error(text));
    let retry = match err {
        Error::Throttled(secs) => Some(HeaderValue::from(secs)),
        Error::Busy => Some(HeaderValue::from_static("1")),
        _ => None,
    };
    if let Some(retry) = retry {
        response.headers_mut().insert(RETRY_AFTER, retry);
    }
    response
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

async fn sign_out(visit: Visit, body: Bytes, state: AppState, portal: Arc<Portal>) -> Response {
    if !portal.posted_from_our_pages(&visit) {
        return Refusal::CrossSite.into_response();
    }
    let Ok(form) = parse::<TokenForm>(&body) else {
        return Refusal::BadForm.into_response();
    };
    // A session already gone needs no token: forgetting the cookie is all.
    if let Ok(caller) = portal.session(&state, &visit, None).await {
        if !portal.csrf.session_ok(&caller.jti, &form.csrf) {
            return Refusal::Forged.into_response();
        }
        if let Err(err) = state.guests.log_out(&caller).await {
            return Refusal::Failed(err).into_response();
        }
    }
    with_cookie(
        see_other("/login?signed_out=1"),
        &portal.jar.clear_session(),
    )
}
