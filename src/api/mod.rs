//! The HTTP surface: one function per route, each a boxed filter that turns
//! its handler's `Result` into a response itself. Path first, then method,
//! then extractors, so an unknown path is 404 and a wrong method 405.

mod account;
pub mod error;
mod export;
pub mod filters;
mod pages;
pub mod rejection;
mod roles;
mod tokens;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::state::AppState;

pub type Route = BoxedFilter<(Response,)>;

/// Every route, the protected demo route first (routing is linear).
pub fn routes(state: AppState) -> Route {
    pages::need_login(state.clone())
        .or(pages::hello())
        .unify()
        .or(pages::admin(state.clone()))
        .unify()
        .or(pages::healthz(state.clone()))
        .unify()
        .or(account::signup(state.clone()))
        .unify()
        .or(account::login(state.clone()))
        .unify()
        .or(export::route(state.clone()))
        .unify()
        .or(tokens::routes(state.clone()))
        .unify()
        .or(roles::routes(state))
        .unify()
        .recover(rejection::recover)
        .unify()
        .boxed()
}
