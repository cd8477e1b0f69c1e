//! POST /api/v1/signup and POST /api/v1/login.

use bytes::Bytes;
use serde::Deserialize;
use warp::Filter;
use warp::http::{HeaderValue, StatusCode};

use super::Route;
use super::error::{ApiResult, error_response, json_response, respond};
use super::filters::{
    Client, client_address, json_body, optional_value, parse_body, raw_json_body, user_agent,
    with_state,
};
use crate::state::AppState;
use crate::time::rfc3339;
use crate::usecases::{LogIn, SignUp};

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
pub fn signup(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "signup")
        .and(warp::post())
        .and(json_body::<SignupBody>())
        .and(with_state(state.clone()))
        .then(sign_up)
        .map(respond)
        .boxed()
}

async fn sign_up(body: SignupBody, state: AppState) -> ApiResult {
    let form = SignUp {
        username: body.username,
        email: body.email,
        password: body.password,
    };
    let id = state.guests.sign_up(form).await?;
    let body = serde_json::json!({ "msg": "welcome :-)", "id": id });
    Ok(json_response(StatusCode::CREATED, &body))
}

/// POST /api/v1/login {username, password, description?}. The body is
/// read, but the door (`usecases::door`) is asked before it is parsed, so a
/// refused login costs no JSON parse and none of a login's allocations.
pub fn login(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "login")
        .and(warp::post())
        .and(raw_json_body())
        .and(client_address(state.config.trusted_proxies.clone().into()))
        .and(optional_value("user-agent"))
        .and(with_state(state.clone()))
        .then(log_in)
        .map(respond)
        .boxed()
}

async fn log_in(body: Bytes, ip: String, agent: Option<HeaderValue>, state: AppState) -> ApiResult {
    let admitted = state.guests.at_the_door(&ip, Some(&body[..]))?;
    let body: LoginBody = match parse_body(&body) {
        Ok(body) => body,
        Err(bad) => return Ok(error_response(bad.status, &bad.message)),
    };
    let form = LogIn {
        username: body.username,
        password: body.password,
        description: body.description,
    };
    let client = Client {
        user_agent: user_agent(agent),
        ip,
    };
    let issued = state.guests.log_in_admitted(form, client, admitted).await?;
    let body = serde_json::json!({
        "token": issued.token,
        "id": issued.jti,
        "expires_at": rfc3339(issued.expires_at),
    });
    Ok(json_response(StatusCode::OK, &body))
}
