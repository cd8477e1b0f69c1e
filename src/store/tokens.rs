//! Token entries (by jti), the per-user index and the expiry index.

use redb::{
    ReadTransaction, ReadableMultimapTable, ReadableTable, ReadableTableMetadata, WriteTransaction,
};

use super::tables::*;
use super::{Refusal, StoreError, TokenRecord, decode, encode};

pub fn get(txn: &ReadTransaction, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
    let tokens = txn.open_table(TOKENS)?;
    let found = tokens.get(jti)?;
    found.map(|bytes| decode(bytes.value())).transpose()
}

/// Every entry of one user, newest first.
pub fn of_user(txn: &ReadTransaction, user_id: &str) -> Result<Vec<TokenRecord>, StoreError> {
    let index = txn.open_multimap_table(USER_TOKENS)?;
    let tokens = txn.open_table(TOKENS)?;
    let mut out = Vec::new();
    for jti in index.get(user_id)? {
        if let Some(bytes) = tokens.get(jti?.value())? {
            out.push(decode::<TokenRecord>(bytes.value())?);
        }
    }
    out.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.jti.cmp(&a.jti))
    });
    Ok(out)
}

/// Adds a token entry for an existing user.
pub fn insert(
    txn: &WriteTransaction,
    record: &TokenRecord,
) -> Result<Result<(), Refusal>, StoreError> {
    if txn
        .open_table(USERS)?
        .get(record.user_id.as_str())?
        .is_none()
    {
        return Ok(Err(Refusal::NoSuchUser));
    }
    let jti = record.jti.as_str();
    txn.open_table(TOKENS)?
        .insert(jti, encode(record)?.as_slice())?;
    txn.open_multimap_table(USER_TOKENS)?
        .insert(record.user_id.as_str(), jti)?;
    txn.open_table(TOKEN_EXPIRY)?
        .insert((record.expires_at, jti), ())?;
    Ok(Ok(()))
}

/// Removes one entry if it belongs to `owner` (or to anyone when `owner` is
/// `None`). Answers the owner's id.
pub fn remove(
    txn: &WriteTransaction,
    jti: &str,
    owner: Option<&str>,
) -> Result<Result<String, Refusal>, StoreError> {
    let mut tokens = txn.open_table(TOKENS)?;
    let record: TokenRecord = match tokens.get(jti)? {
        Some(bytes) => decode(bytes.value())?,
        None => return Ok(Err(Refusal::NoSuchToken)),
    };
    if owner.is_some_and(|owner| owner != record.user_id) {
        return Ok(Err(Refusal::NoSuchToken));
    }
    tokens.remove(jti)?;
    drop(tokens);
    unindex(txn, &record)?;
    Ok(Ok(record.user_id))
}

/// Removes every entry of a user except `keep`; answers how many went.
pub fn remove_all_of(
    txn: &WriteTransaction,
    user_id: &str,
    keep: Option<&str>,
) -> Result<usize, StoreError> {
    let jtis: Vec<String> = {
        let index = txn.open_multimap_table(USER_TOKENS)?;
        let mut jtis = Vec::new();
        for jti in index.get(user_id)? {
            jtis.push(jti?.value().to_owned());
        }
        jtis
    };
    let mut removed = 0;
    for jti in jtis.iter().filter(|jti| Some(jti.as_str()) != keep) {
        if remove(txn, jti, Some(user_id))?.is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

fn unindex(txn: &WriteTransaction, record: &TokenRecord) -> Result<(), StoreError> {
    let jti = record.jti.as_str();
    txn.open_multimap_table(USER_TOKENS)?
        .remove(record.user_id.as_str(), jti)?;
    txn.open_table(TOKEN_EXPIRY)?
        .remove((record.expires_at, jti))?;
    Ok(())
}

/// Number of entries stored, for metrics.
pub fn count(txn: &ReadTransaction) -> Result<u64, StoreError> {
    Ok(txn.open_table(TOKENS)?.len()?)
}
