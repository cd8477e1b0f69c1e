//! The HTTP surface: one function per route, each a boxed filter that turns
//! its handler's `Result` into a response itself. Path first, then method,
//! then extractors (the caller last but the body), so an unknown path is
//! 404, a wrong method 405, and only then a missing token 401.
//!
//! `route_table!` below is the one list of routes: the order they are
//! tried in and the label their requests are counted under in `GET /metrics`.

mod account;
mod client_ip;
pub mod error;
mod export;
pub mod filters;
pub mod framing;
mod me;
mod metrics;
mod pages;
mod portal;
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

/// Which request paths a route's label counts.
enum Paths {
    Exactly(&'static str),
    StartingWith(&'static str),
}

/// Writes the one list of routes as [`ROUTES`] (labels and the paths they
/// count) and as `chain` (the routes, tried in that order, statically
/// chained: no dynamic call per route on the way to the first, and no box
/// around the chain, which `routes` boxes once).
macro_rules! route_table {
    ($label:literal $paths:expr => $build:path $(, $labels:literal $pathss:expr => $builds:path)* $(,)?) => {
        const ROUTES: &[(&str, Paths)] = &[($label, $paths) $(, ($labels, $pathss))*];

        fn chain(
            state: &AppState,
        ) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + use<> {
            $build(state) $(.or($builds(state)).unify())*
        }
    };
}

const API: Paths = Paths::StartingWith("/api/v1/");

// The protected demo route first: routing is linear.
route_table! {
    "/need_login" Paths::Exactly("/need_login") => pages::need_login,
    "/api/v1/verify" Paths::Exactly("/api/v1/verify") => verify::route,
    "/" Paths::Exactly("/") => pages::hello,
    "/admin" Paths::Exactly("/admin") => pages::admin,
    "/healthz" Paths::Exactly("/healthz") => pages::healthz,
    "/metrics" Paths::Exactly("/metrics") => metrics::route,
    "/api/v1/signup" Paths::Exactly("/api/v1/signup") => account::signup,
    "/api/v1/login" Paths::Exactly("/api/v1/login") => account::login,
    "/api/v1/logout" Paths::Exactly("/api/v1/logout") => tokens::logout,
    "/api/v1/tokens" Paths::StartingWith("/api/v1/tokens") => tokens::routes,
    "/api/v1/other" API => export::route,
    "/api/v1/other" API => roles::routes,
    "/api/v1/other" API => me::routes,
    "/api/v1/other" API => users::routes,
    "/portal" Paths::Exactly("/login") => portal::login,
    "/portal" Paths::Exactly("/logout") => portal::logout,
    "/portal" Paths::StartingWith("/account") => portal::account,
    "/portal" Paths::StartingWith("/admin/") => portal::admin,
    "/portal" Paths::StartingWith("/assets/") => portal::assets,
}

/// The label of requests no route counts.
pub const OTHER: &str = "other";

/// The metrics labels, each once, in the order of [`label_of`]'s indices.
pub fn labels() -> Vec<&'static str> {
    let mut labels: Vec<&'static str> = Vec::new();
    for (label, _) in ROUTES {
        if !labels.contains(label) {
            labels.push(label);
        }
    }
    labels.push(OTHER);
    labels
}

/// The index in [`labels`] of a request path: a fixed set, so a client
/// cannot grow the metrics by inventing paths. A few string comparisons.
pub fn label_of(path: &str) -> usize {
    let mut index = 0;
    for (i, (label, paths)) in ROUTES.iter().enumerate() {
        if i > 0 && *label != ROUTES[i - 1].0 {
            index += 1;
        }
        let counted = match paths {
            Paths::Exactly(exact) => path == *exact,
            Paths::StartingWith(prefix) => path.starts_with(prefix),
        };
        if counted {
            return index;
        }
    }
    index + 1
}

/// Every route, the one `recover`, then CORS if configured: refusals of
/// the caller are rejections, and a browser must be able to read them.
pub fn routes(state: AppState) -> Route {
    let api = chain(&state).recover(rejection::recover).unify();
    match cors(&state.config.cors_origins) {
        // CORS refuses a disallowed origin with a rejection of its own.
        Some(cors) => api
            .with(cors)
            .map(warp::Reply::into_response)
            .recover(rejection::recover)
            .unify()
            .boxed(),
        None => api.boxed(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_fixed_labels() {
        let labels = labels();
        let label = |path| labels[label_of(path)];
        assert_eq!(label("/"), "/");
        assert_eq!(label("/need_login"), "/need_login");
        assert_eq!(label("/api/v1/logout"), "/api/v1/logout");
        assert_eq!(label("/api/v1/tokens/abc"), "/api/v1/tokens");
        assert_eq!(label("/api/v1/users/x"), "/api/v1/other");
        assert_eq!(label("/made-up/../path"), "other");
        assert_eq!(label("/metrics"), "/metrics");
        assert_eq!(label("/login"), "/portal");
        assert_eq!(label("/account/devices/sign-out"), "/portal");
        assert_eq!(label("/admin/users"), "/portal");
        assert_eq!(label("/admin"), "/admin");
        assert!(labels.len() <= crate::traffic::MAX_ROUTES);
    }
}
