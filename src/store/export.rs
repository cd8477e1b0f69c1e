//! The export format, shared by `guestlist export`/`import` and
//! `GET /api/v1/admin/export`: JSON lines, one [`Record`] each.
//!
//! A header line, then users, roles, user-role links and live token entries,
//! then an end line counting the records, so a truncated file or an
//! interrupted download is detected on import. Records carry the stored
//! fields unchanged (password hashes included) except times, which are
//! RFC 3339 like everywhere else on the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{RoleRecord, StoreError, TokenRecord, UserRecord};

/// The `type` of the header line.
pub const FORMAT: &str = "guestlist-export";
/// Bumped when a record changes shape incompatibly.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    #[serde(rename = "guestlist-export")]
    Header {
        version: u32,
    },
    User(UserRecord),
    Role(RoleRecord),
    UserRole {
        user_id: String,
        role: String,
    },
    Token(TokenRecord),
    /// Last line: how many records came between the header and it.
    End {
        records: u64,
    },
}

impl Record {
    /// The record as one line of JSON, without the newline.
    pub fn to_line(&self) -> Result<String, StoreError> {
        let mut value = serde_json::to_value(self).map_err(StoreError::Codec)?;
        map_times(&mut value, |n| {
            n.as_u64().map(crate::time::rfc3339).map(Value::from)
        });
        // `type` first, so a person reading a backup sees what each line is.
        let kind = value.as_object_mut().and_then(|o| o.remove("type"));
        let rest = serde_json::to_string(&value).map_err(StoreError::Codec)?;
        let Some(kind) = kind else { return Ok(rest) };
        let fields = rest.strip_prefix('{').unwrap_or(&rest);
        let comma = if fields == "}" { "" } else { "," };
        Ok(format!("{{\"type\":{kind}{comma}{fields}"))
    }

    /// Parses one line; the error is a short reason for the operator.
    pub fn from_line(line: &str) -> Result<Record, String> {
        let mut value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        if !value.is_object() {
            return Err("not a JSON object".into());
        }
        let mut bad_time = None;
        map_times(&mut value, |v| {
            let parsed = v.as_str().map(humantime::parse_rfc3339);
            match parsed {
                Some(Ok(time)) => time
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .map(|d| Value::from(d.as_secs())),
                _ => {
                    bad_time.get_or_insert_with(|| v.to_string());
                    None
                }
            }
        });
        if let Some(bad) = bad_time {
            return Err(format!("{bad} is not an RFC 3339 time"));
        }
        serde_json::from_value(value).map_err(|e| e.to_string())
    }
}

/// Rewrites every `*_at` field of a record object with `f`, left alone
/// where `f` answers `None`.
fn map_times(value: &mut Value, mut f: impl FnMut(&Value) -> Option<Value>) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    for (key, field) in object.iter_mut() {
        if key.ends_with("_at") {
            if let Some(new) = f(field) {
                *field = new;
            }
        }
    }
}

/// Why an import loaded nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// The guest list already holds users or roles.
    NotEmpty,
    /// Record `index` (of the records handed over) does not fit.
    Record { index: usize, reason: &'static str },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_round_trips_with_type_first_and_rfc3339_times() {
        let token = Record::Token(TokenRecord {
            jti: "j".into(),
            user_id: "u".into(),
            description: "phone".into(),
            user_agent: "curl".into(),
            ip: "127.0.0.1".into(),
            created_at: 1_795_863_358,
            created_us: 1_795_863_358_000_001,
            last_used_at: 1_795_863_358,
            expires_at: 1_795_863_359,
        });
        let line = token.to_line().unwrap();
        assert!(line.starts_with(r#"{"type":"token","#), "{line}");
        assert!(
            line.contains(r#""expires_at":"2026-11-28T10:55:59Z""#),
            "{line}"
        );
        assert_eq!(Record::from_line(&line).unwrap(), token);
        assert!(Record::from_line("[]").is_err());
        assert!(Record::from_line(r#"{"type":"nope"}"#).is_err());
        let header = Record::Header { version: VERSION };
        assert_eq!(
            header.to_line().unwrap(),
            r#"{"type":"guestlist-export","version":1}"#
        );
    }
}
