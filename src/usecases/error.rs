//! Why a use case did not happen. The API and the command line each turn
//! these into their own answer (a status and a fixed message; an exit code
//! and one line).

use crate::auth::AuthError;
use crate::gate::Denied;
use crate::logins::Busy;
use crate::store::{Refusal, StoreError};

/// What was looked for and not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    User,
    Role,
    Token,
}

/// What already exists, or is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    UsernameTaken,
    EmailTaken,
    RoleExists,
    TooManyTokens,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field is present but breaks a rule of `rules`; the text says which.
    #[error("{0}")]
    Invalid(&'static str),
    /// A request parameter is out of range; the text says which.
    #[error("{0}")]
    OutOfRange(String),
    #[error("not found: {0:?}")]
    NotFound(Missing),
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// Unknown user, wrong password or disabled account: one answer.
    #[error("invalid username or password")]
    InvalidLogin,
    /// The caller's token stopped being valid during the request.
    #[error("the token is not valid")]
    Denied(Denied),
    /// Too many failed logins; come back after this many seconds.
    #[error("too many failed logins")]
    Throttled(u64),
    #[error("no room for another password check")]
    Busy,
    /// The address or the account has its logins in flight already.
    #[error("too many logins at once")]
    TooManyAtOnce,
    #[error(transparent)]
    Unavailable(#[from] StoreError),
    /// Signing, hashing or the random generator failed.
    #[error(transparent)]
    Internal(#[from] AuthError),
}

impl From<Busy> for Error {
    fn from(_: Busy) -> Error {
        Error::Busy
    }
}

impl From<Denied> for Error {
    fn from(denied: Denied) -> Error {
        Error::Denied(denied)
    }
}

/// The refusals of the store, as use-case errors.
impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Error {
        match refusal {
            Refusal::UsernameTaken => Error::Conflict(Conflict::UsernameTaken),
            Refusal::EmailTaken => Error::Conflict(Conflict::EmailTaken),
            Refusal::RoleExists => Error::Conflict(Conflict::RoleExists),
            Refusal::TooManyTokens => Error::Conflict(Conflict::TooManyTokens),
            Refusal::NoSuchUser => Error::NotFound(Missing::User),
            Refusal::NoSuchRole => Error::NotFound(Missing::Role),
            Refusal::NoSuchToken => Error::NotFound(Missing::Token),
        }
    }
}
