//! GET /api/v1/verify[?role=NAME]: the route a reverse proxy calls for every
//! request (nginx `auth_request`, Caddy `forward_auth`, Traefik
//! `ForwardAuth`). 200 with who the caller is in headers; 401/403 exactly as
//! the other protected routes.

use serde::Deserialize;
use warp::Filter;
use warp::http::{HeaderValue, StatusCode};

use super::Route;
use super::error::{ApiError, respond};
use super::filters::{authorization, with_state};
use crate::auth::names;
use crate::state::AppState;

#[derive(Deserialize)]
struct VerifyQuery {
    role: Option<String>,
}

pub fn route(state: AppState) -> Route {
    warp::path!("api" / "v1" / "verify")
        .and(warp::get().or(warp::head()).unify())
        .and(warp::query::<VerifyQuery>())
        .and(authorization())
        .and(with_state(state))
        .then(
            |query: VerifyQuery, auth: Option<HeaderValue>, state: AppState| async move {
                respond(
                    async {
                        if let Some(role) = query.role.as_deref().filter(|r| !names::role_ok(r)) {
                            return Err(ApiError::BadRequest(format!(
                                "invalid role name {:?}",
                                role.chars().take(64).collect::<String>()
                            )));
                        }
                        let header = auth.as_ref().map(HeaderValue::as_bytes);
                        let live = state.gate.admit(header, query.role.as_deref()).await?;
                        let mut response = super::error::msg_response(StatusCode::OK, "ok");
                        let headers = response.headers_mut();
                        let roles = live.user.roles().join(",");
                        for (name, value) in [
                            ("x-guestlist-user", live.user.username.as_str()),
                            ("x-guestlist-user-id", live.user.id.as_str()),
                            ("x-guestlist-roles", roles.as_str()),
                        ] {
                            if let Ok(value) = HeaderValue::from_str(value) {
                                headers.insert(name, value);
                            }
                        }
                        Ok(response)
                    }
                    .await,
                )
            },
        )
        .boxed()
}
