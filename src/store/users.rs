//! Users and their unique names and emails.

use redb::{ReadTransaction, ReadableMultimapTable, ReadableTable, WriteTransaction};

use super::tables::*;
use super::{Refusal, StoreError, UserRecord, decode, encode};

/// Unique keys ignore case: `Alice` and `alice` are one account.
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

pub fn by_id(txn: &ReadTransaction, id: &str) -> Result<Option<UserRecord>, StoreError> {
    let users = txn.open_table(USERS)?;
    let found = users.get(id)?;
    found.map(|bytes| decode(bytes.value())).transpose()
}

pub fn by_name(txn: &ReadTransaction, username: &str) -> Result<Option<UserRecord>, StoreError> {
    let names = txn.open_table(USERNAMES)?;
    let id = match names.get(fold(username).as_str())? {
        Some(id) => id.value().to_owned(),
        None => return Ok(None),
    };
    by_id(txn, &id)
}

/// Role names held by a user, sorted.
pub fn roles_of(txn: &ReadTransaction, user_id: &str) -> Result<Vec<String>, StoreError> {
    let links = txn.open_multimap_table(USER_ROLES)?;
    let mut roles = Vec::new();
    for role in links.get(user_id)? {
        roles.push(role?.value().to_owned());
    }
    Ok(roles)
}

/// Inserts a new user unless the name or email is taken.
pub fn insert(
    txn: &WriteTransaction,
    user: &UserRecord,
) -> Result<Result<(), Refusal>, StoreError> {
    let mut names = txn.open_table(USERNAMES)?;
    let mut emails = txn.open_table(EMAILS)?;
    let name_key = fold(&user.username);
    let email_key = fold(&user.email);
    if names.get(name_key.as_str())?.is_some() {
        return Ok(Err(Refusal::UsernameTaken));
    }
    if emails.get(email_key.as_str())?.is_some() {
        return Ok(Err(Refusal::EmailTaken));
    }
    names.insert(name_key.as_str(), user.id.as_str())?;
    emails.insert(email_key.as_str(), user.id.as_str())?;
    txn.open_table(USERS)?
        .insert(user.id.as_str(), encode(user)?.as_slice())?;
    Ok(Ok(()))
}

/// The id of a user, looked up inside a write transaction.
pub fn id_in_write(txn: &WriteTransaction, username: &str) -> Result<Option<String>, StoreError> {
    let names = txn.open_table(USERNAMES)?;
    let id = names
        .get(fold(username).as_str())?
        .map(|id| id.value().to_owned());
    Ok(id)
}

/// Reads a user inside a write transaction.
pub fn get_in_write(txn: &WriteTransaction, id: &str) -> Result<Option<UserRecord>, StoreError> {
    let users = txn.open_table(USERS)?;
    let found = users.get(id)?;
    found.map(|bytes| decode(bytes.value())).transpose()
}

/// Overwrites an existing user's record (password, disabled flag).
pub fn update(txn: &WriteTransaction, user: &UserRecord) -> Result<(), StoreError> {
    txn.open_table(USERS)?
        .insert(user.id.as_str(), encode(user)?.as_slice())?;
    Ok(())
}

/// Users in id order after `after`, at most `limit`: a stable cursor.
pub fn page(
    txn: &ReadTransaction,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<UserRecord>, StoreError> {
    let users = txn.open_table(USERS)?;
    let range = match after {
        Some(after) => {
            users.range::<&str>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))?
        }
        None => users.range::<&str>(..)?,
    };
    let mut out = Vec::new();
    for entry in range.take(limit) {
        out.push(decode(entry?.1.value())?);
    }
    Ok(out)
}

/// Disables or enables a user. Disabling also removes every token of the
/// user, so enabling again brings none back. Answers the user id.
pub fn set_disabled(
    txn: &WriteTransaction,
    username: &str,
    disabled: bool,
) -> Result<Result<String, Refusal>, StoreError> {
    let Some(id) = id_in_write(txn, username)? else {
        return Ok(Err(Refusal::NoSuchUser));
    };
    let Some(mut user) = get_in_write(txn, &id)? else {
        return Ok(Err(Refusal::NoSuchUser));
    };
    user.disabled = disabled;
    update(txn, &user)?;
    if disabled {
        super::tokens::remove_all_of(txn, &id, None)?;
    }
    Ok(Ok(id))
}

/// Deletes a user, their role links and every token, in the caller's
/// transaction. Answers the user id.
pub fn delete(
    txn: &WriteTransaction,
    username: &str,
) -> Result<Result<String, Refusal>, StoreError> {
    let Some(id) = id_in_write(txn, username)? else {
        return Ok(Err(Refusal::NoSuchUser));
    };
    let Some(user) = get_in_write(txn, &id)? else {
        return Ok(Err(Refusal::NoSuchUser));
    };
    super::tokens::remove_all_of(txn, &id, None)?;
    let roles: Vec<String> = {
        let links = txn.open_multimap_table(USER_ROLES)?;
        let mut roles = Vec::new();
        for role in links.get(id.as_str())? {
            roles.push(role?.value().to_owned());
        }
        roles
    };
    txn.open_multimap_table(USER_ROLES)?
        .remove_all(id.as_str())?;
    let mut back = txn.open_multimap_table(ROLE_USERS)?;
    for role in &roles {
        back.remove(role.as_str(), id.as_str())?;
    }
    txn.open_table(USERNAMES)?
        .remove(fold(&user.username).as_str())?;
    txn.open_table(EMAILS)?.remove(fold(&user.email).as_str())?;
    txn.open_table(USERS)?.remove(id.as_str())?;
    Ok(Ok(id))
}
