//! The guest list on disk: users, roles and token entries in one redb file.
//!
//! Every transaction lives in a short synchronous function of this module.
//! Async code reaches reads through [`Store::read`] (on the blocking pool)
//! and writes through [`Store::write`], which hands them to the single
//! writer thread of [`writer`]: it batches whatever is waiting into one
//! durable transaction (group commit) and answers each caller only after
//! that commit returned.

mod error;
pub mod export;
pub mod records;
pub mod roles;
mod slot;
pub mod tables;
pub mod tokens;
pub mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};

pub use error::StoreError;
pub use records::{Refusal, RoleRecord, TokenRecord, UserRecord};
use tables::*;
pub use writer::WriterStats;

/// File name of the database inside the data folder.
pub const DB_FILE: &str = "guestlist.redb";

/// redb's own page cache; its default (1 GiB) is far too much for an edge box.
const PAGE_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Up to this size the whole file is checksummed at every open (about
/// 250 ms on the 2-core machine of BENCHMARKS.md, roughly 200k tokens);
/// a larger file is checksummed only by `guestlist check` and by redb's own
/// repair after an unclean shutdown, so a big guest list starts in
/// milliseconds. Truncation, an emptied file and a damaged header are
/// refused at every size.
pub const FULL_CHECK_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// A cheap handle on the open database and its writer thread.
#[derive(Clone)]
pub struct Store {
    db: Arc<slot::Slot>,
    writer: Arc<writer::Handle>,
    path: PathBuf,
}

impl Store {
    /// Opens (or creates) the database in `data_dir`, creating every table,
    /// and starts the writer thread.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        let path = data_dir.join(DB_FILE);
        let small = std::fs::metadata(&path).map_or(true, |m| m.len() <= FULL_CHECK_MAX_BYTES);
        let db = Arc::new(slot::Slot::new(open_database(&path, small)?, path.clone()));
        let writer = Arc::new(writer::spawn(db.clone()));
        Ok(Store { db, writer, path })
    }

    /// Checksums every page of the database in `data_dir`, whatever its
    /// size, without keeping it open (`guestlist check`).
    pub fn check(data_dir: &Path) -> Result<(), StoreError> {
        open_database(&data_dir.join(DB_FILE), true).map(drop)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a read transaction on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db.get()?.begin_read()?))
            .await
            .map_err(|_| StoreError::TaskFailed)?
    }

    /// Runs `f` on the blocking pool with the store itself, for work that
    /// needs several transactions in a set order.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|_| StoreError::TaskFailed)?
    }

    /// Runs `f` in a read transaction on the calling thread.
    pub fn read_now<T>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(&self.db.get()?.begin_read()?)
    }

    /// Queues `f` for the writer; resolves once its batch is durable.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.submit(f).await
    }

    /// Runs `f` in its own durable transaction on the calling thread.
    /// For offline commands, where no writer batches anything.
    pub fn write_now<T>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let txn = self.db.get()?.begin_write()?;
        let out = f(&txn)?;
        txn.commit()?;
        Ok(out)
    }

    /// Batches and their sizes so far, for metrics.
    pub fn writer_stats(&self) -> &WriterStats {
        self.writer.stats()
    }

    /// Whether a write transaction can be started and committed right now.
    pub async fn healthy(&self) -> bool {
        self.write(|_| Ok(())).await.is_ok()
    }
}

fn open_database(path: &Path, check_pages: bool) -> Result<Database, StoreError> {
    let damaged = |reason: &str| StoreError::Damaged {
        path: path.display().to_string(),
        reason: reason.to_owned(),
    };
    // redb takes an empty file for a new database: that would start with an
    // empty guest list where one was lost (a truncation, a bad copy).
    if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
        return Err(damaged("the file is empty"));
    }
    // redb panics on some damaged pages; a panic here is a damaged file.
    let opened = slot::catch_quietly(|| open_checked(path, check_pages))
        .unwrap_or_else(|| Err(damaged("a page cannot be read")));
    let db = opened?;
    let txn = db.begin_write()?;
    create_tables(&txn)?;
    check_schema(&txn)?;
    txn.commit()?;
    Ok(db)
}

/// Opens the file again after a failed commit: redb repairs what the
/// failed commit left. No checksum pass here, the file was ours a moment ago.
fn reopen_database(path: &Path) -> Result<Database, StoreError> {
    let opened = slot::catch_quietly(|| {
        Database::builder()
            .set_cache_size(PAGE_CACHE_BYTES)
            .create(path)
            .map_err(|e| StoreError::from_open(e, path))
    });
    opened.unwrap_or_else(|| Err(StoreError::WriteFailed("reopening panicked".into())))
}

/// Opens the file; with `check_pages`, verifies every page's checksum
/// before anything is read, so a damaged file is refused at start instead of
/// failing (or being silently repaired to an older state) later.
fn open_checked(path: &Path, check_pages: bool) -> Result<Database, StoreError> {
    let repaired = std::rc::Rc::new(std::cell::Cell::new(false));
    let mut db = Database::builder()
        .set_cache_size(PAGE_CACHE_BYTES)
        .set_repair_callback({
            let repaired = repaired.clone();
            move |_| repaired.set(true)
        })
        .create(path)
        .map_err(|e| StoreError::from_open(e, path))?;
    // redb's repair after an unclean shutdown has just checksummed every
    // page it kept: a second pass would only double the start.
    if !check_pages || repaired.get() {
        return Ok(db);
    }
    match db.check_integrity() {
        Ok(true) => Ok(db),
        Ok(false) => Err(StoreError::Damaged {
            path: path.display().to_string(),
            reason: "it failed its checksums and was repaired, possibly to an older state; \
                     check the data, then start again"
                .into(),
        }),
        Err(e) => Err(StoreError::from_open(e, path)),
    }
}

fn create_tables(txn: &WriteTransaction) -> Result<(), StoreError> {
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

fn check_schema(txn: &WriteTransaction) -> Result<(), StoreError> {
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
pub fn reset_all(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.delete_table(USERS)?;
    txn.delete_table(USERNAMES)?;
    txn.delete_table(EMAILS)?;
    txn.delete_table(ROLES)?;
    txn.delete_multimap_table(USER_ROLES)?;
    txn.delete_multimap_table(ROLE_USERS)?;
    txn.delete_table(TOKENS)?;
    txn.delete_multimap_table(USER_TOKENS)?;
    txn.delete_table(TOKEN_EXPIRY)?;
    create_tables(txn)
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(StoreError::Codec)
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(StoreError::Codec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableTableMetadata;

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

    #[test]
    fn a_schema_1_file_is_migrated_and_its_tokens_still_purge() {
        let dir = tempfile::tempdir().unwrap();
        write_schema_1(&dir.path().join(DB_FILE));
        let store = Store::open(dir.path()).unwrap();
        let rows = store
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
            rows,
            (
                vec![(4_000_000_000, "jti-live".into(), "user-1".into())],
                Some(SCHEMA_VERSION)
            )
        );
        let owners = store
            .write_now(|txn| tokens::purge_expired(txn, 4_000_000_000, 10))
            .unwrap();
        assert_eq!(owners, ["user-1"]);
        let left = store
            .read_now(|txn| tokens::of_user(txn, "user-1"))
            .unwrap();
        assert!(left.is_empty());
    }

    #[test]
    fn a_revocation_leaves_index_rows_that_the_purge_removes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let record = token("jti-1", "user-1", 100);
        store
            .write_now(|txn| tokens::insert_many(txn, std::slice::from_ref(&record)))
            .unwrap();
        let removed = store
            .write_now(|txn| tokens::remove(txn, "jti-1", Some("user-1")))
            .unwrap();
        assert_eq!(removed, Ok("user-1".to_owned()));
        let count = |store: &Store| {
            store
                .read_now(|txn| {
                    let live = tokens::count_of_user(txn, "user-1")?;
                    let rows = txn.open_table(TOKEN_EXPIRY)?.len()?;
                    let indexed = txn.open_multimap_table(USER_TOKENS)?.len()?;
                    Ok((live, rows, indexed))
                })
                .unwrap()
        };
        assert_eq!(
            count(&store),
            (0, 1, 1),
            "rows stay, the token is not counted"
        );
        // A revoked token is not reported as purged.
        let owners = store
            .write_now(|txn| tokens::purge_expired(txn, 100, 10))
            .unwrap();
        assert!(owners.is_empty());
        assert_eq!(count(&store), (0, 0, 0));
    }
}
