//! Every table of the database, in one place.
//!
//! Names carry a version: when a key or value type changes, the new layout
//! gets a new table name and `Store::open` migrates, instead of redb
//! failing with `TableTypeMismatch` on an old file.

use redb::{
    MultimapTableDefinition, ReadTransaction, ReadableTable, ReadableTableMetadata,
    TableDefinition, WriteTransaction,
};

use super::{StoreError, decode};
use crate::store::{TokenRecord, Totals};

/// Bumped whenever a table below changes shape; `open` refuses a newer file.
pub(super) const SCHEMA_VERSION: u64 = 2;

/// `schema_version` and other single values.
pub(super) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// user id → `UserRecord` (JSON).
pub(super) const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users_v1");
/// lower-cased username → user id.
pub(super) const USERNAMES: TableDefinition<&str, &str> = TableDefinition::new("usernames_v1");
/// lower-cased email → user id.
pub(super) const EMAILS: TableDefinition<&str, &str> = TableDefinition::new("emails_v1");
/// role name → `RoleRecord` (JSON).
pub(super) const ROLES: TableDefinition<&str, &[u8]> = TableDefinition::new("roles_v1");
/// user id → role names.
pub(super) const USER_ROLES: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("user_roles_v1");
/// role name → user ids (so deleting a role needs no scan).
pub(super) const ROLE_USERS: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("role_users_v1");
/// jti → `TokenRecord` (JSON). Never the token itself.
pub(super) const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("tokens_v1");
/// user id → jtis.
pub(super) const USER_TOKENS: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("user_tokens_v1");
/// (expires_at, jti) → user id: the purge walks this in order, never the
/// tokens table. A revocation removes only the tokens-table entry: its row
/// here and in the per-user index stay until the purge removes both when
/// the token would have expired. So a row in either index does not mean the
/// token is live; the tokens table says that. (One B-tree written per
/// revocation instead of three: BENCHMARKS.md, target 3.)
pub(super) const TOKEN_EXPIRY: TableDefinition<(u64, &str), &str> =
    TableDefinition::new("token_expiry_v2");
/// Schema 1's expiry index (no user id), read only to migrate it.
pub(super) const TOKEN_EXPIRY_V1: TableDefinition<(u64, &str), ()> =
    TableDefinition::new("token_expiry_v1");

pub(super) fn create_all(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(META)?;
    txn.open_table(USERS)?;
    txn.open_table(USERNAMES)?;
    txn.open_table(EMAILS)?;
    txn.open_table(ROLES)?;
    txn.open_multimap_table(USER_ROLES)?;
    txn.open_multimap_table(ROLE_USERS)?;
    txn.open_table(TOKENS)?;
    txn.open_multimap_table(USER_TOKENS)?;
    txn.open_table(TOKEN_EXPIRY)?;
    Ok(())
}

pub(super) fn check_schema(txn: &WriteTransaction) -> Result<(), StoreError> {
    let mut meta = txn.open_table(META)?;
    let found = meta.get("schema_version")?.map(|v| v.value());
    match found {
        None => {
            meta.insert("schema_version", SCHEMA_VERSION)?;
            Ok(())
        }
        Some(v) if v == SCHEMA_VERSION => Ok(()),
        Some(1) => {
            migrate_expiry_v1(txn)?;
            meta.insert("schema_version", SCHEMA_VERSION)?;
            Ok(())
        }
        Some(v) => Err(StoreError::SchemaTooNew(v)),
    }
}

/// Schema 1's expiry index had no user id; schema 2 needs it to clean the
/// per-user index of revoked tokens. Rows of tokens already gone are dropped.
fn migrate_expiry_v1(txn: &WriteTransaction) -> Result<(), StoreError> {
    let old = txn.open_table(TOKEN_EXPIRY_V1)?;
    let tokens = txn.open_table(TOKENS)?;
    let mut new = txn.open_table(TOKEN_EXPIRY)?;
    let mut moved = 0u64;
    for entry in old.iter()? {
        let (key, _) = entry?;
        let (at, jti) = key.value();
        if let Some(bytes) = tokens.get(jti)? {
            let record: TokenRecord = decode(bytes.value())?;
            new.insert((at, jti), record.user_id.as_str())?;
            moved += 1;
        }
    }
    drop((old, tokens, new));
    txn.delete_table(TOKEN_EXPIRY_V1)?;
    tracing::info!(moved, "expiry index migrated to schema 2");
    Ok(())
}

/// Deletes every user, role and token in one transaction.
pub(super) fn reset_all(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.delete_table(USERS)?;
    txn.delete_table(USERNAMES)?;
    txn.delete_table(EMAILS)?;
    txn.delete_table(ROLES)?;
    txn.delete_multimap_table(USER_ROLES)?;
    txn.delete_multimap_table(ROLE_USERS)?;
    txn.delete_table(TOKENS)?;
    txn.delete_multimap_table(USER_TOKENS)?;
    txn.delete_table(TOKEN_EXPIRY)?;
    create_all(txn)
}

/// Users and token entries stored.
pub(super) fn totals(txn: &ReadTransaction) -> Result<Totals, StoreError> {
    Ok(Totals {
        users: txn.open_table(USERS)?.len()?,
        tokens: txn.open_table(TOKENS)?.len()?,
    })
}
