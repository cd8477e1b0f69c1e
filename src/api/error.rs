//! The one error type of the HTTP layer. Each variant has a fixed status
//! and a fixed message; causes go to the log, never to the client.

use serde::Serialize;
use warp::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use warp::http::{StatusCode, header::CONTENT_TYPE};
use warp::reply::Response;

use crate::auth::AuthError;
use crate::gate::Denied;
use crate::store::StoreError;
use crate::usecases::{self, Conflict, Missing};

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
    /// 429: the address or account has its logins in flight already.
    #[error("too many logins at once, try again shortly")]
    TooManyAtOnce,
    #[error("the service is unavailable, try again shortly")]
    Unavailable(#[source] StoreError),
    /// Signing, hashing or the random generator failed.
    #[error("the service is unavailable, try again shortly")]
    Internal(#[source] AuthError),
    /// The check could not read the store (the gate logged why).
    #[error("the service is unavailable, try again shortly")]
    CheckFailed,
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
            ApiError::Throttled(_) | ApiError::TooManyAtOnce => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy
            | ApiError::Unavailable(_)
            | ApiError::Internal(_)
            | ApiError::CheckFailed => StatusCode::SERVICE_UNAVAILABLE,
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
        match &self {
            ApiError::Unavailable(cause) => tracing::error!(%cause, "database unavailable"),
            ApiError::Internal(cause) => tracing::error!(%cause, "internal failure"),
            _ => {}
        }
        let mut response = match self.fixed_body() {
            Some(body) => json_bytes(self.status(), bytes::Bytes::from_static(body.as_bytes())),
            None => error_response(self.status(), &self.to_string()),
        };
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge() {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        if self.status() == StatusCode::SERVICE_UNAVAILABLE
            || matches!(self, ApiError::TooManyAtOnce)
        {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let ApiError::Throttled(seconds) = self {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// `{"err": message}` of the refusals a flood is answered with, written
/// once: answering them must cost no more than answering `GET /`. A unit
/// test proves each equals what `error_response` would write.
const FIXED: [(&str, &str); 6] = [
    (
        "no Authorization header found",
        r#"{"err":"no Authorization header found"}"#,
    ),
    ("token is not valid", r#"{"err":"token is not valid"}"#),
    (
        "invalid username or password",
        r#"{"err":"invalid username or password"}"#,
    ),
    (
        "the server is busy, try again shortly",
        r#"{"err":"the server is busy, try again shortly"}"#,
    ),
    (
        "too many failed logins, try again later",
        r#"{"err":"too many failed logins, try again later"}"#,
    ),
    (
        "too many logins at once, try again shortly",
        r#"{"err":"too many logins at once, try again shortly"}"#,
    ),
];

impl ApiError {
    fn fixed_body(&self) -> Option<&'static str> {
        let index = match self {
            ApiError::NoCredentials => 0,
            ApiError::InvalidToken => 1,
            ApiError::InvalidLogin => 2,
            ApiError::Busy => 3,
            ApiError::Throttled(_) => 4,
            ApiError::TooManyAtOnce => 5,
            _ => return None,
        };
        Some(FIXED[index].1)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        ApiError::Unavailable(err)
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> ApiError {
        match denied {
            Denied::NoCredentials => ApiError::NoCredentials,
            Denied::Invalid => ApiError::InvalidToken,
            Denied::Forbidden => ApiError::Forbidden,
            Denied::Unavailable => ApiError::CheckFailed,
        }
    }
}

impl From<usecases::Error> for ApiError {
    fn from(err: usecases::Error) -> ApiError {
        use usecases::Error as E;
        match err {
            E::Invalid(message) => ApiError::Unprocessable(message.to_owned()),
            E::OutOfRange(message) => ApiError::BadRequest(message),
            E::NotFound(Missing::User) => ApiError::NotFound("user not found"),
            E::NotFound(Missing::Role) => ApiError::NotFound("role not found"),
            E::NotFound(Missing::Token) => ApiError::NotFound("404 token not found"),
            E::Conflict(Conflict::UsernameTaken) => ApiError::Conflict("username already taken"),
            E::Conflict(Conflict::EmailTaken) => ApiError::Conflict("email already signed-up"),
            E::Conflict(Conflict::RoleExists) => ApiError::Conflict("role already exists"),
            E::Conflict(Conflict::TooManyTokens) => {
                ApiError::Conflict("too many live tokens: log out another device first")
            }
            E::InvalidLogin => ApiError::InvalidLogin,
            E::Denied(denied) => denied.into(),
            E::Throttled(seconds) => ApiError::Throttled(seconds),
            E::Busy => ApiError::Busy,
            E::TooManyAtOnce => ApiError::TooManyAtOnce,
            E::Unavailable(cause) => ApiError::Unavailable(cause),
            E::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// A JSON body with the exact content type of the contract.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    json_bytes(status, bytes.into())
}

/// JSON already written, with the content type of the contract.
pub fn json_bytes(status: StatusCode, bytes: bytes::Bytes) -> Response {
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

/// The `{"msg": ...}` answer of a handler that only says it is done.
pub fn done(message: &str) -> ApiResult {
    Ok(msg_response(StatusCode::OK, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_bodies_are_what_error_response_writes() {
        let fixed = [
            ApiError::NoCredentials,
            ApiError::InvalidToken,
            ApiError::InvalidLogin,
            ApiError::Busy,
            ApiError::Throttled(5),
            ApiError::TooManyAtOnce,
        ];
        for (error, (message, _)) in fixed.iter().zip(FIXED) {
            assert_eq!(error.to_string(), message);
            let written = serde_json::to_string(&serde_json::json!({ "err": message })).unwrap();
            assert_eq!(error.fixed_body(), Some(written.as_str()));
        }
    }
}
