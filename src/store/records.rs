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

/// Unique keys ignore case: `Alice` and `alice` are one account.
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// Which user an operation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserKey {
    Id(String),
    /// A login name; case is ignored.
    Name(String),
}

/// A user with the roles they hold and their stored token entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEntry {
    pub user: UserRecord,
    pub roles: Vec<String>,
    /// Newest first; expired or idle entries included (the use cases say
    /// what is live).
    pub tokens: Vec<TokenRecord>,
}

/// A user on a page of a listing: roles, and how many stored token entries
/// had not expired when the page was read. The embedded engine counts them
/// without reading them (a count kept per user, less the entries the
/// purge has not reached yet), so a listing of ten million tokens reads
/// only its users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCounted {
    pub user: UserRecord,
    pub roles: Vec<String>,
    pub unexpired: usize,
}

/// What a committed revocation took away: the caller must make the cache
/// recheck `user_id`'s tokens before it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    pub user_id: String,
    /// Entries removed (0 when nothing was live: the cache still rechecks).
    pub tokens: usize,
}

/// What to do when a user already holds `max` entries.
#[derive(Debug, Clone, Default)]
pub struct Cap {
    pub max: usize,
    /// Evict the least recently used (true) or refuse (false).
    pub evict: bool,
    /// Last-used times seen in memory and maybe not written yet, by jti:
    /// the stored ones lag by up to one flush interval.
    pub recent: std::collections::HashMap<String, u64>,
}

/// How much is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub users: u64,
    pub tokens: u64,
}

/// Failed logins counted in the current windows of a shared store, each
/// with the time its window has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCounts {
    /// Of this account from this address.
    pub device: (u32, std::time::Duration),
    /// From this address, over all accounts.
    pub address: (u32, std::time::Duration),
    /// Of this account, from anywhere.
    pub account: (u32, std::time::Duration),
    /// Whether this account logged in from this address before.
    pub known: bool,
}
