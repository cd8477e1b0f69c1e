//! The HTTP surface: one function per route, each a boxed filter that turns
//! its handler's `Result` into a response itself. Path first, then method,
//! then extractors, so an unknown path is 404 and a wrong method 405.

mod account;
mod client_ip;
pub mod error;
mod export;
pub mod filters;
pub mod framing;
mod me;
mod metrics;
mod pages;
pub mod rejection;
mod roles;
mod tokens;
mod users;
mod verify;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::state::AppState;

pub type Route = BoxedFilter<(Response,)>;

/// Every route, the protected demo route first (routing is linear).
pub fn routes(state: AppState) -> Route {
    let state_origins = state.config.cors_origins.clone();
    let api = pages::need_login(state.clone())
        .or(verify::route(state.clone()))
        .unify()
        .or(pages::hello())
        .unify()
        .or(pages::admin(state.clone()))
        .unify()
        .or(pages::healthz(state.clone()))
        .unify()
        .or(metrics::route(state.clone()))
        .unify()
        .or(account::signup(state.clone()))
        .unify()
        .or(account::login(state.clone()))
        .unify()
        .or(export::route(state.clone()))
        .unify()
        .or(tokens::routes(state.clone()))
        .unify()
        .or(roles::routes(state.clone()))
        .unify()
        .or(me::routes(state.clone()))
        .unify()
        .or(users::routes(state.clone()))
        .unify()
        .boxed();
    match cors(&state_origins) {
        Some(cors) => api
            .with(cors)
            .map(warp::Reply::into_response)
            .recover(rejection::recover)
            .unify()
            .boxed(),
        None => api.recover(rejection::recover).unify().boxed(),
    }
}

/// CORS for the listed browser origins, with the methods and headers the
/// API uses; `None` (off) without origins.
fn cors(origins: &[String]) -> Option<warp::cors::Builder> {
    if origins.is_empty() {
        return None;
    }
    Some(
        warp::cors()
            .allow_origins(
                origins
                    .iter()
                    .map(String::as_str)
                    .filter(|o| crate::config::origin_ok(o)),
            )
            .allow_methods(["GET", "POST", "PUT", "DELETE", "OPTIONS"])
            .allow_headers(["authorization", "content-type"])
            .expose_headers(["www-authenticate", "retry-after"])
            .max_age(600),
    )
}
