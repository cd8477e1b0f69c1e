//! The one error type of the HTTP layer. Each variant has a fixed status
//! and a fixed message; causes go to the log, never to the client.

use serde::Serialize;
use warp::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use warp::http::{StatusCode, header::CONTENT_TYPE};
use warp::reply::Response;

use crate::gate::Denied;
use crate::logins::Busy;
use crate::store::StoreError;

pub const CHALLENGE: &str = r#"Bearer realm="guestlist""#;
pub const CHALLENGE_INVALID: &str = r#"Bearer realm="guestlist", error="invalid_token""#;
pub const CHALLENGE_SCOPE: &str = r#"Bearer realm="guestlist", error="insufficient_scope""#;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no Authorization header found")]
    NoCredentials,
    #[error("token is not valid")]
    InvalidToken,
    #[error("you don't have the required roles")]
    Forbidden,
    #[error("invalid username or password")]
    InvalidLogin,
    /// 422: a field that is present but not acceptable.
    #[error("{0}")]
    Unprocessable(String),
    /// 400: the request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("the server is busy, try again shortly")]
    Busy,
    /// 429: too many failed logins; `Retry-After` says when to come back.
    #[error("too many failed logins, try again later")]
    Throttled(u64),
    #[error("the service is unavailable, try again shortly")]
    Unavailable(#[source] StoreError),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NoCredentials | ApiError::InvalidToken | ApiError::InvalidLogin => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy | ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn challenge(&self) -> Option<&'static str> {
        match self {
            ApiError::NoCredentials | ApiError::InvalidLogin => Some(CHALLENGE),
            ApiError::InvalidToken => Some(CHALLENGE_INVALID),
            ApiError::Forbidden => Some(CHALLENGE_SCOPE),
            _ => None,
        }
    }

    pub fn into_response(self) -> Response {
        if let ApiError::Unavailable(cause) = &self {
            tracing::error!(%cause, "database unavailable");
        }
        let mut response = error_response(self.status(), &self.to_string());
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge() {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let ApiError::Throttled(seconds) = self {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        ApiError::Unavailable(err)
    }
}

impl From<Busy> for ApiError {
    fn from(_: Busy) -> ApiError {
        ApiError::Busy
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> ApiError {
        match denied {
            Denied::NoCredentials => ApiError::NoCredentials,
            Denied::Invalid => ApiError::InvalidToken,
            Denied::Forbidden => ApiError::Forbidden,
            Denied::Unavailable => ApiError::Unavailable(StoreError::TaskFailed),
        }
    }
}

/// A JSON body with the exact content type of the contract.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(bytes.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

pub fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(status, &serde_json::json!({ "err": message }))
}

pub fn msg_response(status: StatusCode, message: &str) -> Response {
    json_response(status, &serde_json::json!({ "msg": message }))
}

/// Plain text for the demo routes.
pub fn text_response(text: &'static str) -> Response {
    let mut response = Response::new(text.into());
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// What every handler returns, turned into a response inside its route.
pub type ApiResult = Result<Response, ApiError>;

pub fn respond(result: ApiResult) -> Response {
    result.unwrap_or_else(ApiError::into_response)
}
