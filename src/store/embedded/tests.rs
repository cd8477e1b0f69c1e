//! Store-level tests of the embedded engine: the schema migration and the
//! index rows a revocation leaves for the purge.

use std::path::Path;

use redb::{Database, ReadableTable, ReadableTableMetadata};

use super::tables::*;
use super::{DB_FILE, Embedded, compact, encode, tokens};
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

/// A schema-1 or -2 file: JSON entries under text ids, `live` stored, a
/// row of a revoked token left in the expiry index.
fn write_old_schema(path: &Path, version: u64, live: &[TokenRecord]) {
    let db = Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(META)
        .unwrap()
        .insert("schema_version", version)
        .unwrap();
    let mut entries = txn.open_table(TOKENS_JSON).unwrap();
    let mut index = txn.open_multimap_table(USER_TOKENS_TEXT).unwrap();
    for token in live {
        entries
            .insert(token.jti.as_str(), encode(token).unwrap().as_slice())
            .unwrap();
        index
            .insert(token.user_id.as_str(), token.jti.as_str())
            .unwrap();
    }
    drop((entries, index));
    if version == 1 {
        let mut old = txn.open_table(TOKEN_EXPIRY_V1).unwrap();
        old.insert((4_000_000_000, "jti-gone"), ()).unwrap();
    } else {
        let mut old = txn.open_table(TOKEN_EXPIRY_V2).unwrap();
        old.insert((4_000_000_000, "jti-gone"), "user-1").unwrap();
    }
    txn.commit().unwrap();
}

/// The expiry index as text, and the schema version recorded.
fn expiry_rows(store: &Embedded) -> (Vec<(u64, String, String)>, Option<u64>) {
    store
        .read_now(|txn| {
            let mut rows = Vec::new();
            for entry in txn.open_table(TOKEN_EXPIRY)?.iter()? {
                let (key, user) = entry?;
                let (at, jti) = key.value();
                rows.push((at, compact::id_text(jti)?, compact::id_text(user.value())?));
            }
            let version = txn
                .open_table(META)?
                .get("schema_version")?
                .map(|v| v.value());
            Ok((rows, version))
        })
        .unwrap()
}

#[tokio::test]
async fn schema_1_and_2_files_are_migrated_and_their_tokens_still_purge() {
    for version in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let live = token("jti-live", "user-1", 4_000_000_000);
        write_old_schema(
            &dir.path().join(DB_FILE),
            version,
            std::slice::from_ref(&live),
        );
        let store = Embedded::open(dir.path()).unwrap();
        let expected = vec![(4_000_000_000, "jti-live".into(), "user-1".into())];
        assert_eq!(expiry_rows(&store), (expected, Some(SCHEMA_VERSION)));
        assert_eq!(store.tokens_of("user-1").await.unwrap(), [live]);
        let owners = store.purge_expired(4_000_000_000, 10).await.unwrap();
        assert_eq!(owners, ["user-1"]);
        assert!(store.tokens_of("user-1").await.unwrap().is_empty());
    }
}

/// Entries of two users with guestlist's own ids and imported ones.
fn mixed_tokens(n: usize) -> Vec<TokenRecord> {
    let own_user = crate::auth::ids::random_id().unwrap();
    (0..n)
        .map(|i| {
            let jti = if i % 2 == 0 {
                crate::auth::ids::random_id().unwrap()
            } else {
                format!("imported-{i}")
            };
            let user = if i % 3 == 0 {
                "user-1"
            } else {
                own_user.as_str()
            };
            TokenRecord {
                description: format!("device {i}"),
                ..token(&jti, user, 4_000_000_000 + i as u64)
            }
        })
        .collect()
}

#[tokio::test]
async fn a_migration_in_many_chunks_cut_short_starts_over_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let stored = mixed_tokens(25);
    write_old_schema(&path, 2, &stored);
    {
        // What a migration cut short leaves: a partial copy, schema still 2.
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        tokens::put_all(&txn, &stored[..3]).unwrap();
        tokens::put_all(&txn, &[token("stray", "user-9", 5)]).unwrap();
        txn.commit().unwrap();
        super::migrate::in_chunks(&db, 2, 4).unwrap();
    }
    let store = Embedded::open(dir.path()).unwrap();
    let mut exported = Vec::new();
    for user in ["user-1", stored[1].user_id.as_str()] {
        exported.extend(store.tokens_of(user).await.unwrap());
    }
    let key = |t: &TokenRecord| t.jti.clone();
    let mut expected = stored.clone();
    expected.sort_by_key(key);
    exported.sort_by_key(key);
    assert_eq!(exported, expected);
    assert!(
        store.tokens_of("user-9").await.unwrap().is_empty(),
        "the stray went"
    );
    let (rows, version) = expiry_rows(&store);
    assert_eq!((rows.len(), version), (25, Some(SCHEMA_VERSION)));
    // The partial copy's counts went with it: each entry is counted once.
    let counts = store
        .read_now(|txn| {
            let user_1 = tokens::count_of_user(txn, "user-1")?;
            let user_9 = tokens::count_of_user(txn, "user-9")?;
            Ok((user_1, user_9))
        })
        .unwrap();
    assert_eq!(counts, (9, 0), "user-1 holds every third of 25");
    let old_gone = store
        .read_now(|txn| Ok(txn.open_table(TOKENS_JSON).is_err()))
        .unwrap();
    assert!(old_gone, "the JSON table is dropped");
}

/// Live tokens of user-1, expiry rows and user-index rows.
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

#[tokio::test]
async fn the_count_of_held_tokens_follows_every_add_and_removal() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path()).unwrap();
    let count = |user: &'static str| {
        store
            .read_now(move |txn| tokens::count_of_user(txn, user))
            .unwrap()
    };
    let batch: Vec<_> = (0..6)
        .map(|i| {
            token(
                &format!("jti-{i}"),
                ["user-1", "user-2"][i % 2],
                100 + i as u64,
            )
        })
        .collect();
    store.add_tokens(batch.clone()).await.unwrap();
    // Written again (an import retried): replaced, not counted twice.
    store.add_tokens(batch[..2].to_vec()).await.unwrap();
    assert_eq!((count("user-1"), count("user-2")), (3, 3));
    store
        .revoke("jti-0", Some("user-1"))
        .await
        .unwrap()
        .unwrap();
    store.revoke("jti-0", None).await.unwrap().unwrap_err();
    assert_eq!((count("user-1"), count("user-2")), (2, 3));
    let purged = store.purge_expired(102, 10).await.unwrap();
    assert_eq!(purged, ["user-2", "user-1"]);
    assert_eq!((count("user-1"), count("user-2")), (1, 2));
    let held_rows = || {
        store
            .read_now(|txn| Ok(txn.open_table(TOKENS_HELD)?.len()?))
            .unwrap()
    };
    assert_eq!(held_rows(), 2);
    store.revoke("jti-4", None).await.unwrap().unwrap();
    assert_eq!((count("user-1"), held_rows()), (0, 1), "a row at zero goes");
}

#[tokio::test]
async fn a_users_page_counts_entries_unexpired_at_its_time_without_the_purge() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path()).unwrap();
    let user = crate::store::UserRecord {
        id: "user-1".into(),
        username: "alice".into(),
        email: "alice@example.com".into(),
        password_hash: String::new(),
        created_at: 1,
        disabled: false,
    };
    store.sign_up(user).await.unwrap().unwrap();
    let held = [100, 200, 300].map(|at| token(&format!("jti-{at}"), "user-1", at));
    store.add_tokens(held.to_vec()).await.unwrap();
    store.revoke("jti-100", None).await.unwrap().unwrap();
    for (now, expected) in [(50, 2), (200, 1), (300, 0)] {
        // The revoked one never counts; at 200 one has expired, unpurged.
        let page = store.users_page(None, 10, now).await.unwrap();
        let counts: Vec<usize> = page.iter().map(|u| u.unexpired).collect();
        assert_eq!(counts, [expected], "at {now}");
    }
}
