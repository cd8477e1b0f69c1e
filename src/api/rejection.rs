//! The one `recover`: warp's own rejections (no route, wrong method, a body
//! or header extractor that failed) become JSON errors. Handler errors never
//! get here; they are responses already.

use std::convert::Infallible;

use warp::http::StatusCode;
use warp::reject::{self, Rejection};
use warp::reply::Response;

use super::error::{ApiError, error_response};
use crate::gate::Denied;

/// The caller was not admitted (see `filters::caller`): 401 or 403.
#[derive(Debug)]
pub struct Refused(pub Denied);

impl reject::Reject for Refused {}

/// The body of a request could not be used; the message says why.
#[derive(Debug)]
pub struct BadBody {
    pub status: StatusCode,
    pub message: String,
}

impl reject::Reject for BadBody {}

impl BadBody {
    pub fn rejection(status: StatusCode, message: impl Into<String>) -> Rejection {
        reject::custom(BadBody {
            status,
            message: message.into(),
        })
    }
}

pub async fn recover(err: Rejection) -> Result<Response, Infallible> {
    let mut response = to_response(&err);
    if body_left_unread(response.status()) {
        // hyper closes a connection whose request body was never read; a
        // client that is not told would reuse it and lose its next request.
        let close = warp::http::HeaderValue::from_static("close");
        response
            .headers_mut()
            .insert(warp::http::header::CONNECTION, close);
    }
    Ok(response)
}

/// The refusals decided from the head alone, before the body is read.
fn body_left_unread(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::LENGTH_REQUIRED
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
    )
}

fn to_response(err: &Rejection) -> Response {
    if let Some(Refused(denied)) = err.find::<Refused>() {
        return ApiError::from(*denied).into_response();
    }
    if let Some(bad) = err.find::<BadBody>() {
        return error_response(bad.status, &bad.message);
    }
    if err.find::<warp::filters::cors::CorsForbidden>().is_some() {
        return error_response(StatusCode::FORBIDDEN, "this origin is not allowed");
    }
    if err.is_not_found() {
        return error_response(StatusCode::NOT_FOUND, "not found");
    }
    // Before 405: a route whose method matched refused the query.
    if err.find::<reject::InvalidQuery>().is_some() {
        return error_response(StatusCode::BAD_REQUEST, "invalid query string");
    }
    if err.find::<reject::MethodNotAllowed>().is_some() {
        return error_response(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    }
    if let Some(header) = err.find::<reject::InvalidHeader>() {
        let message = format!("invalid {} header", header.name());
        return error_response(StatusCode::BAD_REQUEST, &message);
    }
    if err.find::<reject::PayloadTooLarge>().is_some() {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than 16 KiB",
        );
    }
    if err.find::<reject::LengthRequired>().is_some() {
        return error_response(StatusCode::LENGTH_REQUIRED, "a Content-Length is required");
    }
    if err.find::<reject::UnsupportedMediaType>().is_some() {
        let message = "the body must be sent as application/json";
        return error_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, message);
    }
    tracing::warn!(rejection = ?err, "unexpected rejection");
    error_response(StatusCode::BAD_REQUEST, "bad request")
}
