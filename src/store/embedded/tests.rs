//! Store-level tests of the embedded engine: the schema migration and the
//! index rows a revocation leaves for the purge.

use std::path::Path;

use redb::{Database, ReadableTable, ReadableTableMetadata};

use super::tables::*;
use super::{DB_FILE, Embedded, encode, tokens};
use crate::store::TokenRecord;

fn token(jti: &str, user_id: &str, expires_at: u64) -> TokenRecord {
    TokenRecord {
        jti: jti.into(),
        user_id: user_id.into(),
        description: String::new(),
        user_agent: String::new(),
        ip: String::new(),
        created_at: 1,
        created_us: 1,
        last_used_at: 1,
        expires_at,
    }
}

/// A schema-1 file: the expiry index without user ids, one row of a
/// token that was revoked (no tokens-table entry).
fn write_schema_1(path: &Path) {
    let db = Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(META)
        .unwrap()
        .insert("schema_version", 1)
        .unwrap();
    let live = token("jti-live", "user-1", 4_000_000_000);
    txn.open_table(TOKENS)
        .unwrap()
        .insert("jti-live", encode(&live).unwrap().as_slice())
        .unwrap();
    txn.open_multimap_table(USER_TOKENS)
        .unwrap()
        .insert("user-1", "jti-live")
        .unwrap();
    let mut old = txn.open_table(TOKEN_EXPIRY_V1).unwrap();
    old.insert((4_000_000_000, "jti-live"), ()).unwrap();
    old.insert((4_000_000_000, "jti-gone"), ()).unwrap();
    drop(old);
    txn.commit().unwrap();
}

/// (live entries of user-1, expiry rows, per-user index rows)
fn rows(store: &Embedded) -> (usize, u64, u64) {
    store
        .read_now(|txn| {
            let live = tokens::count_of_user(txn, "user-1")?;
            let rows = txn.open_table(TOKEN_EXPIRY)?.len()?;
            let indexed = txn.open_multimap_table(USER_TOKENS)?.len()?;
            Ok((live, rows, indexed))
        })
        .unwrap()
}

#[tokio::test]
async fn a_schema_1_file_is_migrated_and_its_tokens_still_purge() {
    let dir = tempfile::tempdir().unwrap();
    write_schema_1(&dir.path().join(DB_FILE));
    let store = Embedded::open(dir.path()).unwrap();
    let migrated = store
        .read_now(|txn| {
            let mut rows = Vec::new();
            for entry in txn.open_table(TOKEN_EXPIRY)?.iter()? {
                let (key, user) = entry?;
                let (at, jti) = key.value();
                rows.push((at, jti.to_owned(), user.value().to_owned()));
            }
            let version = txn
                .open_table(META)?
                .get("schema_version")?
                .map(|v| v.value());
            Ok((rows, version))
        })
        .unwrap();
    assert_eq!(
        migrated,
        (
            vec![(4_000_000_000, "jti-live".into(), "user-1".into())],
            Some(SCHEMA_VERSION)
        )
    );
    let owners = store.purge_expired(4_000_000_000, 10).await.unwrap();
    assert_eq!(owners, ["user-1"]);
    assert!(store.tokens_of("user-1").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_revocation_leaves_index_rows_that_the_purge_removes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path()).unwrap();
    store
        .add_tokens(vec![token("jti-1", "user-1", 100)])
        .await
        .unwrap();
    let removed = store.revoke("jti-1", Some("user-1")).await.unwrap();
    assert_eq!(removed.map(|r| r.user_id), Ok("user-1".to_owned()));
    assert_eq!(
        rows(&store),
        (0, 1, 1),
        "rows stay, the token is not counted"
    );
    // A revoked token is not reported as purged.
    let owners = store.purge_expired(100, 10).await.unwrap();
    assert!(owners.is_empty());
    assert_eq!(rows(&store), (0, 0, 0));
}
