//! Checks on the request head that hyper leaves to us, made before routing.
//!
//! hyper (1.12) already refuses with 400: conflicting `Content-Length`s, a
//! `Content-Length` list or sign, a `Transfer-Encoding` whose last coding
//! is not `chunked`, and a space before a colon. With both
//! `Content-Length` and `Transfer-Encoding` it drops the length, reads the
//! body as chunked and closes the connection afterwards (RFC 9112 §6.3);
//! our body filters then refuse the length-less body with 411 without
//! reading it. Equal duplicate lengths are folded into one (RFC 9110 §8.6).
//! The transport tests (`tests/hardening/transport.rs`) pin all of that.
//!
//! Left to us: a second `Authorization` header. Which one a proxy and we
//! would each believe is ambiguous, so the request is refused.

use warp::http::header::AUTHORIZATION;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use super::error::error_response;

/// The 400 to answer instead of routing, if the head is ambiguous.
/// Looks only, allocates nothing on the normal path.
pub fn refuse(headers: &HeaderMap) -> Option<Response> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    if values.next().is_some() && values.next().is_some() {
        return Some(error_response(
            StatusCode::BAD_REQUEST,
            "more than one Authorization header",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_authorization_passes_two_are_refused() {
        let mut headers = HeaderMap::new();
        assert!(refuse(&headers).is_none());
        headers.append(AUTHORIZATION, "Bearer a".parse().unwrap());
        assert!(refuse(&headers).is_none());
        headers.append(AUTHORIZATION, "Bearer a".parse().unwrap());
        let refused = refuse(&headers).expect("refused");
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        // An empty second value is still a second header.
        let mut headers = HeaderMap::new();
        headers.append(AUTHORIZATION, "Bearer a".parse().unwrap());
        headers.append(AUTHORIZATION, "".parse().unwrap());
        assert!(refuse(&headers).is_some());
    }
}
