//! Rows of users and their unique names and emails. Knows no other table
//! but these three; operations that span tables are in `guests`.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::tables::*;
use super::{decode, encode};
use crate::store::{Refusal, StoreError, UserRecord, fold};

/// `USERS` and `USERNAMES`, opened from either kind of transaction, so
/// each lookup is written once.
pub(super) trait UserTables {
    fn rows(&self) -> Result<impl ReadableTable<&'static str, &'static [u8]>, StoreError>;
    fn names(&self) -> Result<impl ReadableTable<&'static str, &'static str>, StoreError>;
}

impl UserTables for ReadTransaction {
    fn rows(&self) -> Result<impl ReadableTable<&'static str, &'static [u8]>, StoreError> {
        Ok(self.open_table(USERS)?)
    }
    fn names(&self) -> Result<impl ReadableTable<&'static str, &'static str>, StoreError> {
        Ok(self.open_table(USERNAMES)?)
    }
}

impl UserTables for WriteTransaction {
    fn rows(&self) -> Result<impl ReadableTable<&'static str, &'static [u8]>, StoreError> {
        Ok(self.open_table(USERS)?)
    }
    fn names(&self) -> Result<impl ReadableTable<&'static str, &'static str>, StoreError> {
        Ok(self.open_table(USERNAMES)?)
    }
}

/// The id behind a name (case ignored).
fn id_in(
    names: &impl ReadableTable<&'static str, &'static str>,
    username: &str,
) -> Result<Option<String>, StoreError> {
    Ok(names
        .get(fold(username).as_str())?
        .map(|id| id.value().to_owned()))
}

pub(super) fn by_id(txn: &impl UserTables, id: &str) -> Result<Option<UserRecord>, StoreError> {
    let rows = txn.rows()?;
    let found = rows.get(id)?;
    found.map(|bytes| decode(bytes.value())).transpose()
}

pub(super) fn by_name(
    txn: &impl UserTables,
    username: &str,
) -> Result<Option<UserRecord>, StoreError> {
    match id_in(&txn.names()?, username)? {
        Some(id) => by_id(txn, &id),
        None => Ok(None),
    }
}

/// Which of the name and the email is taken, if either.
pub(super) fn taken(
    txn: &ReadTransaction,
    username: &str,
    email: &str,
) -> Result<Option<Refusal>, StoreError> {
    if id_in(&txn.open_table(USERNAMES)?, username)?.is_some() {
        return Ok(Some(Refusal::UsernameTaken));
    }
    let found = id_in(&txn.open_table(EMAILS)?, email)?.is_some();
    Ok(found.then_some(Refusal::EmailTaken))
}

/// Inserts a new user unless the name or email is taken.
pub(super) fn insert(
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
    update(txn, user).map(Ok)
}

/// Overwrites an existing user's record (password, disabled flag).
pub(super) fn update(txn: &WriteTransaction, user: &UserRecord) -> Result<(), StoreError> {
    txn.open_table(USERS)?
        .insert(user.id.as_str(), encode(user)?.as_slice())?;
    Ok(())
}

/// Removes the user's row and frees their name and email.
pub(super) fn remove(txn: &WriteTransaction, user: &UserRecord) -> Result<(), StoreError> {
    txn.open_table(USERNAMES)?
        .remove(fold(&user.username).as_str())?;
    txn.open_table(EMAILS)?.remove(fold(&user.email).as_str())?;
    txn.open_table(USERS)?.remove(user.id.as_str())?;
    Ok(())
}

/// Users in id order after `after`, at most `limit`: a stable cursor.
pub(super) fn page(
    txn: &ReadTransaction,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<UserRecord>, StoreError> {
    use std::ops::Bound::{Excluded, Unbounded};
    let users = txn.open_table(USERS)?;
    let range = match after {
        Some(after) => users.range::<&str>((Excluded(after), Unbounded))?,
        None => users.range::<&str>(..)?,
    };
    let mut out = Vec::new();
    for entry in range.take(limit) {
        out.push(decode(entry?.1.value())?);
    }
    Ok(out)
}
