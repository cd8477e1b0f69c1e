//! Every table of the database, in one place.
//!
//! Names carry a version: when a key or value type changes, the new layout
//! gets a new table name and `Store::open` migrates, instead of redb
//! failing with `TableTypeMismatch` on an old file.

use redb::{
    MultimapTableDefinition, ReadTransaction, ReadableTable, ReadableTableMetadata,
    TableDefinition, WriteTransaction,
};

use super::StoreError;
use crate::store::Totals;

/// Bumped whenever a table below changes shape; `open` refuses a newer file.
pub(super) const SCHEMA_VERSION: u64 = 3;

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
/// Stored jti → compact entry (`compact`). Never the token itself.
pub(super) const TOKENS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tokens_v3");
/// Stored user id → stored jtis.
pub(super) const USER_TOKENS: MultimapTableDefinition<&[u8], &[u8]> =
    MultimapTableDefinition::new("user_tokens_v3");
/// (expires_at, stored jti) → stored user id: the purge walks this in
/// order, never the tokens table. A revocation removes only the
/// tokens-table entry: its row here and in the per-user index stay until
/// the purge removes both when the token would have expired. So a row in
/// either index does not mean the token is live; the tokens table says
/// that. (One B-tree written per revocation instead of three:
/// BENCHMARKS.md, target 3.) Ids are stored as `compact::id` makes them.
pub(super) const TOKEN_EXPIRY: TableDefinition<(u64, &[u8]), &[u8]> =
    TableDefinition::new("token_expiry_v3");
/// Stored user id → how many entries the tokens table holds for that user,
/// kept in the transaction that adds or removes one: `users list` and the
/// admin pages count a user's tokens without reading them (the per-user
/// index also names revoked ones). No row means none.
pub(super) const TOKENS_HELD: TableDefinition<&[u8], u64> = TableDefinition::new("tokens_held_v3");

/// Schemas 1 and 2 kept entries as JSON under text ids; read only to migrate.
pub(super) const TOKENS_JSON: TableDefinition<&str, &[u8]> = TableDefinition::new("tokens_v1");
/// Schemas 1 and 2's per-user index, dropped by the migration.
pub(super) const USER_TOKENS_TEXT: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("user_tokens_v1");
/// Schema 2's expiry index, dropped by the migration.
pub(super) const TOKEN_EXPIRY_V2: TableDefinition<(u64, &str), &str> =
    TableDefinition::new("token_expiry_v2");
/// Schema 1's expiry index (no user id), dropped by the migration.
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
    txn.open_table(TOKENS_HELD)?;
    Ok(())
}

/// Records the schema of a new file; answers an older file's version,
/// which `migrate` brings up to date.
pub(super) fn check_schema(txn: &WriteTransaction) -> Result<Option<u64>, StoreError> {
    let mut meta = txn.open_table(META)?;
    let found = meta.get("schema_version")?.map(|v| v.value());
    match found {
        None => {
            meta.insert("schema_version", SCHEMA_VERSION)?;
            Ok(None)
        }
        Some(v) if v == SCHEMA_VERSION => Ok(None),
        Some(v @ (1 | 2)) => Ok(Some(v)),
        Some(v) => Err(StoreError::SchemaTooNew(v)),
    }
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
    txn.delete_table(TOKENS_HELD)?;
    create_all(txn)
}

/// Users and token entries stored.
pub(super) fn totals(txn: &ReadTransaction) -> Result<Totals, StoreError> {
    Ok(Totals {
        users: txn.open_table(USERS)?.len()?,
        tokens: txn.open_table(TOKENS)?.len()?,
    })
}
