//! Roles and the links between users and roles.

use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use super::tables::*;
use super::{Refusal, RoleRecord, StoreError, decode, encode, users};

pub fn get(txn: &ReadTransaction, name: &str) -> Result<Option<RoleRecord>, StoreError> {
    let roles = txn.open_table(ROLES)?;
    let found = roles.get(name)?;
    found.map(|bytes| decode(bytes.value())).transpose()
}

pub fn all(txn: &ReadTransaction) -> Result<Vec<RoleRecord>, StoreError> {
    let roles = txn.open_table(ROLES)?;
    let mut out = Vec::new();
    for entry in roles.iter()? {
        out.push(decode(entry?.1.value())?);
    }
    Ok(out)
}

pub fn create(
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

/// Creates the role unless it exists; never refuses.
pub fn ensure(txn: &WriteTransaction, role: &RoleRecord) -> Result<(), StoreError> {
    create(txn, role).map(|_| ())
}

/// Deletes a role and every link to it; answers the ids of its former holders.
pub fn delete(
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

/// Gives or takes a role; repeating either is harmless. Answers the user id.
pub fn set_link(
    txn: &WriteTransaction,
    username: &str,
    role: &str,
    granted: bool,
) -> Result<Result<String, Refusal>, StoreError> {
    let Some(user_id) = users::id_in_write(txn, username)? else {
        return Ok(Err(Refusal::NoSuchUser));
    };
    if txn.open_table(ROLES)?.get(role)?.is_none() {
        return Ok(Err(Refusal::NoSuchRole));
    }
    let mut links = txn.open_multimap_table(USER_ROLES)?;
    let mut back = txn.open_multimap_table(ROLE_USERS)?;
    if granted {
        links.insert(user_id.as_str(), role)?;
        back.insert(role, user_id.as_str())?;
    } else {
        links.remove(user_id.as_str(), role)?;
        back.remove(role, user_id.as_str())?;
    }
    Ok(Ok(user_id))
}
