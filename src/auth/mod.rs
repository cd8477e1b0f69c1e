//! Tokens and passwords: pure, synchronous, no warp and no redb.
//!
//! - [`header`] finds the token in an `Authorization` value and the bytes
//!   that name it in the cache;
//! - [`jwt`] signs and strictly verifies HS256 tokens;
//! - [`password`] holds the password length rule and bcrypt without truncation;
//! - [`ids`] makes 128-bit random ids from the OS generator.

pub mod header;
pub mod ids;
pub mod jwt;
pub mod password;

/// Failures of this layer that are not the client's fault.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the signing secret must be at least {min} bytes, got {got}")]
    SecretTooShort { min: usize, got: usize },
    #[error("signing: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
    #[error("hashing: {0}")]
    Bcrypt(#[from] bcrypt::BcryptError),
    #[error("the OS random generator failed: {0}")]
    Random(String),
    #[error("the signing self-test failed")]
    SelfTest,
}
