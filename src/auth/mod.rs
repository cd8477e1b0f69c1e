//! Tokens and passwords: pure, synchronous, no warp and no redb.
//!
//! - [`header`] finds the token in an `Authorization` value and the bytes
//!   that name it in the cache;
//! - [`jwt`] signs and strictly verifies HS256 tokens;
//! - [`password`] holds the sign-up rules and bcrypt without truncation;
//! - [`ids`] makes 128-bit random ids from the OS generator.

pub mod header;
pub mod ids;
pub mod jwt;
pub mod names;
pub mod password;

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Microseconds since the Unix epoch.
pub fn now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

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
