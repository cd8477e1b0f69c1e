//! Every table of the database, in one place.
//!
//! Names carry a version: when a key or value type changes, the new layout
//! gets a new table name and `Store::open` migrates, instead of redb
//! failing with `TableTypeMismatch` on an old file.

use redb::{MultimapTableDefinition, TableDefinition};

/// Bumped whenever a table below changes shape; `open` refuses a newer file.
pub const SCHEMA_VERSION: u64 = 2;

/// `schema_version` and other single values.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// user id → `UserRecord` (JSON).
pub const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users_v1");
/// lower-cased username → user id.
pub const USERNAMES: TableDefinition<&str, &str> = TableDefinition::new("usernames_v1");
/// lower-cased email → user id.
pub const EMAILS: TableDefinition<&str, &str> = TableDefinition::new("emails_v1");
/// role name → `RoleRecord` (JSON).
pub const ROLES: TableDefinition<&str, &[u8]> = TableDefinition::new("roles_v1");
/// user id → role names.
pub const USER_ROLES: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("user_roles_v1");
/// role name → user ids (so deleting a role needs no scan).
pub const ROLE_USERS: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("role_users_v1");
/// jti → `TokenRecord` (JSON). Never the token itself.
pub const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("tokens_v1");
/// user id → jtis.
pub const USER_TOKENS: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("user_tokens_v1");
/// (expires_at, jti) → user id: the purge walks this in order, never the
/// tokens table. A revocation removes only the tokens-table entry: its row
/// here and in the per-user index stay until the purge removes both when
/// the token would have expired. So a row in either index does not mean the
/// token is live; the tokens table says that. (One B-tree written per
/// revocation instead of three: BENCHMARKS.md, target 3.)
pub const TOKEN_EXPIRY: TableDefinition<(u64, &str), &str> =
    TableDefinition::new("token_expiry_v2");
/// Schema 1's expiry index (no user id), read only to migrate it.
pub const TOKEN_EXPIRY_V1: TableDefinition<(u64, &str), ()> =
    TableDefinition::new("token_expiry_v1");
