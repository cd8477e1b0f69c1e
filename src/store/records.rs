//! What a row holds. Times are Unix seconds; the API layer formats them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: u64,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoleRecord {
    pub name: String,
    pub description: String,
    pub created_at: u64,
}

/// One device's token, minus everything that would make it usable.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenRecord {
    pub jti: String,
    pub user_id: String,
    pub description: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: u64,
    /// Microseconds since the epoch at creation: orders tokens of one second.
    #[serde(default)]
    pub created_us: u64,
    pub last_used_at: u64,
    pub expires_at: u64,
}

/// Why a write that was well-formed did not happen. Not a storage failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UsernameTaken,
    EmailTaken,
    RoleExists,
    NoSuchUser,
    NoSuchRole,
    NoSuchToken,
    TooManyTokens,
}
