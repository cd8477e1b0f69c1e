//! The export format, shared by `guestlist export`/`import` and
//! `GET /api/v1/admin/export`: JSON lines, one [`Record`] each.
//!
//! A header line, then users, roles, user-role links and live token entries,
//! then an end line counting the records, so a truncated file or an
//! interrupted download is detected on import. Records carry the stored
//! fields unchanged (password hashes included) except times, which are
//! RFC 3339 like everywhere else on the wire.

use redb::{ReadTransaction, ReadableMultimapTable, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::tables::*;
use super::{RoleRecord, StoreError, TokenRecord, UserRecord, decode, encode, users};

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

/// Hands every record of the database to `emit`, header and end included,
/// skipping token entries expired at `now`. Stops at `emit`'s first error.
pub fn visit<E: From<StoreError>>(
    txn: &ReadTransaction,
    now: u64,
    mut emit: impl FnMut(Record) -> Result<(), E>,
) -> Result<(), E> {
    let mut failed = None;
    let mut sink = |record| match emit(record) {
        Ok(()) => true,
        Err(err) => {
            failed = Some(err);
            false
        }
    };
    let walked = walk(txn, now, &mut sink);
    match failed {
        Some(err) => Err(err),
        None => walked.map_err(E::from),
    }
}

/// The body of [`visit`]: `emit` answers whether to go on.
fn walk(
    txn: &ReadTransaction,
    now: u64,
    emit: &mut dyn FnMut(Record) -> bool,
) -> Result<(), StoreError> {
    if !emit(Record::Header { version: VERSION }) {
        return Ok(());
    }
    let mut records = 0u64;
    let mut counted = |record| {
        records += 1;
        emit(record)
    };
    for entry in txn.open_table(USERS)?.iter()? {
        if !counted(Record::User(decode(entry?.1.value())?)) {
            return Ok(());
        }
    }
    for role in super::roles::all(txn)? {
        if !counted(Record::Role(role)) {
            return Ok(());
        }
    }
    for entry in txn.open_multimap_table(USER_ROLES)?.iter()? {
        let (user, roles) = entry?;
        for role in roles {
            let user_id = user.value().to_owned();
            let role = role?.value().to_owned();
            if !counted(Record::UserRole { user_id, role }) {
                return Ok(());
            }
        }
    }
    for entry in txn.open_table(TOKENS)?.iter()? {
        let token: TokenRecord = decode(entry?.1.value())?;
        if token.expires_at > now && !counted(Record::Token(token)) {
            return Ok(());
        }
    }
    emit(Record::End { records });
    Ok(())
}

/// Why an import stopped: which record (by index) and a short reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub index: usize,
    pub reason: &'static str,
}

/// Whether the database holds no user and no role.
pub fn is_empty(txn: &WriteTransaction) -> Result<bool, StoreError> {
    use redb::ReadableTableMetadata;
    Ok(txn.open_table(USERS)?.is_empty()? && txn.open_table(ROLES)?.is_empty()?)
}

/// Loads `records` (header and end lines are ignored) in the caller's
/// transaction, answering the first one that does not fit. The caller
/// aborts the transaction on a rejection, so nothing of it stays.
pub fn load(
    txn: &WriteTransaction,
    records: &[Record],
) -> Result<Result<u64, Rejected>, StoreError> {
    let mut loaded = 0;
    for (index, record) in records.iter().enumerate() {
        let outcome = load_one(txn, record)?;
        if let Err(reason) = outcome {
            return Ok(Err(Rejected { index, reason }));
        }
        loaded += u64::from(!matches!(
            record,
            Record::Header { .. } | Record::End { .. }
        ));
    }
    Ok(Ok(loaded))
}

fn load_one(
    txn: &WriteTransaction,
    record: &Record,
) -> Result<Result<(), &'static str>, StoreError> {
    match record {
        Record::Header { .. } | Record::End { .. } => Ok(Ok(())),
        Record::User(user) => {
            if users::get_in_write(txn, &user.id)?.is_some() {
                return Ok(Err("a user with this id came before"));
            }
            Ok(users::insert(txn, user)?.map_err(|r| match r {
                super::Refusal::EmailTaken => "email already taken",
                _ => "username already taken",
            }))
        }
        Record::Role(role) => {
            let created = super::roles::create(txn, role)?;
            Ok(created.map_err(|_| "role already exists"))
        }
        Record::UserRole { user_id, role } => link(txn, user_id, role),
        Record::Token(token) => {
            if txn.open_table(TOKENS)?.get(token.jti.as_str())?.is_some() {
                return Ok(Err("a token with this id came before"));
            }
            restore_token(txn, token)
        }
    }
}

/// Puts a token entry and its two index rows back as they were: a restore
/// applies no per-user cap and evicts nothing, unlike a login.
fn restore_token(
    txn: &WriteTransaction,
    token: &TokenRecord,
) -> Result<Result<(), &'static str>, StoreError> {
    if users::get_in_write(txn, &token.user_id)?.is_none() {
        return Ok(Err("the token's user is unknown"));
    }
    let jti = token.jti.as_str();
    txn.open_table(TOKENS)?
        .insert(jti, encode(token)?.as_slice())?;
    txn.open_multimap_table(USER_TOKENS)?
        .insert(token.user_id.as_str(), jti)?;
    txn.open_table(TOKEN_EXPIRY)?
        .insert((token.expires_at, jti), token.user_id.as_str())?;
    Ok(Ok(()))
}

/// Links a user (by id) to a role; both must exist.
fn link(
    txn: &WriteTransaction,
    user_id: &str,
    role: &str,
) -> Result<Result<(), &'static str>, StoreError> {
    if users::get_in_write(txn, user_id)?.is_none() {
        return Ok(Err("the link's user is unknown"));
    }
    if txn.open_table(ROLES)?.get(role)?.is_none() {
        return Ok(Err("the link's role is unknown"));
    }
    txn.open_multimap_table(USER_ROLES)?.insert(user_id, role)?;
    txn.open_multimap_table(ROLE_USERS)?.insert(role, user_id)?;
    Ok(Ok(()))
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
