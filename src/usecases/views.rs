//! What a user or an administrator is shown, by the API (JSON) and the
//! command line (JSON or lines) alike. Times are RFC 3339.

use serde::Serialize;

use crate::store::{TokenRecord, UserRecord};
use crate::time::rfc3339;

/// A live token entry: one device.
#[derive(Debug, Clone, Serialize)]
pub struct Device {
    pub id: String,
    pub description: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: String,
    pub last_used_at: String,
    pub expires_at: String,
    /// Whether this is the caller's own token; absent where nobody asks
    /// as a device (an administrator, the command line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<bool>,
}

impl Device {
    /// `last_used` is the latest use known, stored or in memory.
    pub(super) fn new(record: TokenRecord, last_used: u64, current: Option<bool>) -> Device {
        Device {
            id: record.jti,
            description: record.description,
            user_agent: record.user_agent,
            ip: record.ip,
            created_at: rfc3339(record.created_at),
            last_used_at: rfc3339(last_used),
            expires_at: rfc3339(record.expires_at),
            current,
        }
    }

    /// One human-readable line (the command line's `tokens list`).
    pub fn line(&self) -> String {
        let ip = if self.ip.is_empty() { "-" } else { &self.ip };
        format!(
            "{}  created {}  last used {}  expires {}  from {}  {:?}",
            self.id, self.created_at, self.last_used_at, self.expires_at, ip, self.description
        )
    }
}

/// A user as administrators see them.
#[derive(Debug, Clone, Serialize)]
pub struct UserSummary {
    pub id: String,
    pub username: String,
    pub email: String,
    pub roles: Vec<String>,
    pub created_at: String,
    pub disabled: bool,
    /// Live tokens.
    pub tokens: usize,
}

impl UserSummary {
    pub(super) fn new(user: UserRecord, roles: Vec<String>, live_tokens: usize) -> UserSummary {
        UserSummary {
            id: user.id,
            username: user.username,
            email: user.email,
            roles,
            created_at: rfc3339(user.created_at),
            disabled: user.disabled,
            tokens: live_tokens,
        }
    }

    /// One human-readable line (the command line's `users list`).
    pub fn line(&self) -> String {
        let roles = if self.roles.is_empty() {
            "-".to_owned()
        } else {
            self.roles.join(",")
        };
        let state = if self.disabled { "  DISABLED" } else { "" };
        format!(
            "{}  {}  id {}  roles {}  live tokens {}  created {}{}",
            self.username, self.email, self.id, roles, self.tokens, self.created_at, state
        )
    }
}
