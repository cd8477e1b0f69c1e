//! Roles and the links between users (by id) and roles. Knows no other
//! table; operations that span tables are in `guests`.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::tables::*;
use super::{decode, encode};
use crate::store::{Refusal, RoleRecord, StoreError};

pub(super) fn all(txn: &ReadTransaction) -> Result<Vec<RoleRecord>, StoreError> {
    let roles = txn.open_table(ROLES)?;
    let mut out = Vec::new();
    for entry in roles.iter()? {
        out.push(decode(entry?.1.value())?);
    }
    Ok(out)
}

/// Role names held by a user, sorted.
pub(super) fn of_user(txn: &ReadTransaction, user_id: &str) -> Result<Vec<String>, StoreError> {
    let links = txn.open_multimap_table(USER_ROLES)?;
    let mut roles = Vec::new();
    for role in links.get(user_id)? {
        roles.push(role?.value().to_owned());
    }
    Ok(roles)
}

pub(super) fn exists(txn: &WriteTransaction, name: &str) -> Result<bool, StoreError> {
    Ok(txn.open_table(ROLES)?.get(name)?.is_some())
}

pub(super) fn create(
    txn: &WriteTransaction,
    role: &RoleRecord,
) -> Result<Result<(), Refusal>, StoreError> {
    let mut roles = txn.open_table(ROLES)?;
    if roles.get(role.name.as_str())?.is_some() {
        return Ok(Err(Refusal::RoleExists));
    }
    roles.insert(role.name.as_str(), encode(role)?.as_slice())?;
    Ok(Ok(()))
}

/// Deletes a role and every link to it; answers the ids of its former holders.
pub(super) fn delete(
    txn: &WriteTransaction,
    name: &str,
) -> Result<Result<Vec<String>, Refusal>, StoreError> {
    if txn.open_table(ROLES)?.remove(name)?.is_none() {
        return Ok(Err(Refusal::NoSuchRole));
    }
    let mut holders = Vec::new();
    for id in txn.open_multimap_table(ROLE_USERS)?.remove_all(name)? {
        holders.push(id?.value().to_owned());
    }
    let mut links = txn.open_multimap_table(USER_ROLES)?;
    for id in &holders {
        links.remove(id.as_str(), name)?;
    }
    Ok(Ok(holders))
}

/// Writes or removes the link and its reverse row; both must exist.
pub(super) fn link(
    txn: &WriteTransaction,
    user_id: &str,
    role: &str,
    granted: bool,
) -> Result<(), StoreError> {
    let mut links = txn.open_multimap_table(USER_ROLES)?;
    let mut back = txn.open_multimap_table(ROLE_USERS)?;
    if granted {
        links.insert(user_id, role)?;
        back.insert(role, user_id)?;
    } else {
        links.remove(user_id, role)?;
        back.remove(role, user_id)?;
    }
    Ok(())
}

/// Removes every link of a user (before the user is deleted).
pub(super) fn unlink_all(txn: &WriteTransaction, user_id: &str) -> Result<(), StoreError> {
    let mut roles = Vec::new();
    for role in txn.open_multimap_table(USER_ROLES)?.remove_all(user_id)? {
        roles.push(role?.value().to_owned());
    }
    let mut back = txn.open_multimap_table(ROLE_USERS)?;
    for role in &roles {
        back.remove(role.as_str(), user_id)?;
    }
    Ok(())
}
