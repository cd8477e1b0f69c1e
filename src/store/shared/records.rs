//! Records as Redis hashes: every field a string, numbers in decimal, so
//! the Lua library can compare them and no float formatting ever touches
//! them.

use std::collections::HashMap;

use crate::store::{RoleRecord, StoreError, TokenRecord, UserRecord};

/// A hash as `HGETALL` answers it.
pub(super) type Fields = HashMap<String, String>;

fn text(fields: &Fields, name: &str) -> Result<String, StoreError> {
    fields
        .get(name)
        .cloned()
        .ok_or_else(|| StoreError::Corrupt(format!("a stored record lacks `{name}`")))
}

fn number(fields: &Fields, name: &str) -> Result<u64, StoreError> {
    text(fields, name)?
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("a stored `{name}` is not a number")))
}

/// Field/value pairs of a user, as `HSET` takes them.
pub(super) fn user_fields(user: &UserRecord) -> Vec<String> {
    let disabled = if user.disabled { "1" } else { "0" };
    [
        ("id", user.id.as_str()),
        ("username", &user.username),
        ("email", &user.email),
        ("password_hash", &user.password_hash),
        ("created_at", &user.created_at.to_string()),
        ("disabled", disabled),
    ]
    .into_iter()
    .flat_map(|(k, v)| [k.to_owned(), v.to_owned()])
    .collect()
}

/// `None` for an empty hash (the key does not exist).
pub(super) fn user_of(fields: &Fields) -> Result<Option<UserRecord>, StoreError> {
    if fields.is_empty() {
        return Ok(None);
    }
    Ok(Some(UserRecord {
        id: text(fields, "id")?,
        username: text(fields, "username")?,
        email: text(fields, "email")?,
        password_hash: text(fields, "password_hash")?,
        created_at: number(fields, "created_at")?,
        disabled: fields.get("disabled").is_some_and(|d| d == "1"),
    }))
}

pub(super) fn token_fields(token: &TokenRecord) -> Vec<String> {
    [
        ("jti", token.jti.clone()),
        ("user_id", token.user_id.clone()),
        ("description", token.description.clone()),
        ("user_agent", token.user_agent.clone()),
        ("ip", token.ip.clone()),
        ("created_at", token.created_at.to_string()),
        ("created_us", token.created_us.to_string()),
        ("last_used_at", token.last_used_at.to_string()),
        ("expires_at", token.expires_at.to_string()),
    ]
    .into_iter()
    .flat_map(|(k, v)| [k.to_owned(), v])
    .collect()
}

pub(super) fn token_of(fields: &Fields) -> Result<Option<TokenRecord>, StoreError> {
    if fields.is_empty() {
        return Ok(None);
    }
    Ok(Some(TokenRecord {
        jti: text(fields, "jti")?,
        user_id: text(fields, "user_id")?,
        description: text(fields, "description")?,
        user_agent: text(fields, "user_agent")?,
        ip: text(fields, "ip")?,
        created_at: number(fields, "created_at")?,
        created_us: number(fields, "created_us")?,
        last_used_at: number(fields, "last_used_at")?,
        expires_at: number(fields, "expires_at")?,
    }))
}

pub(super) fn role_of(fields: &Fields) -> Result<Option<RoleRecord>, StoreError> {
    if fields.is_empty() {
        return Ok(None);
    }
    Ok(Some(RoleRecord {
        name: text(fields, "name")?,
        description: text(fields, "description")?,
        created_at: number(fields, "created_at")?,
    }))
}

/// Newest first, as every engine lists a user's tokens.
pub(super) fn newest_first(tokens: &mut [TokenRecord]) {
    tokens.sort_by(|a, b| {
        (b.created_at, b.created_us, &b.jti).cmp(&(a.created_at, a.created_us, &a.jti))
    });
}
