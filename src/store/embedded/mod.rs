//! The embedded engine: the guest list in one redb file of the data folder.
//!
//! Every transaction lives in a short synchronous function of this module
//! and its children; the operations of [`Embedded`] wrap them. Reads run on
//! the blocking pool ([`Embedded::read`]); writes go to the single writer
//! thread of [`writer`], which batches whatever is waiting into one durable
//! transaction (group commit) and answers each caller only after that
//! commit returned. Offline bulk work (import, reset, mint) commits its own
//! transaction ([`Embedded::write_alone`]) so that aborting it aborts
//! nothing else.

mod compact;
mod dump;
mod guests;
mod migrate;
mod open;
mod roles;
mod sessions;
mod slot;
mod tables;
mod tokens;
mod users;
mod writer;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{ReadTransaction, ReadableDatabase, WriteTransaction};

use super::StoreError;
pub use writer::WriterStats;

/// File name of the database inside the data folder.
pub const DB_FILE: &str = "guestlist.redb";

/// Up to this size the whole file is checksummed at every open (about
/// 90 ms on the 2-core machine of BENCHMARKS.md, roughly 230k tokens in the
/// compact layout; 256 MiB, a million tokens, took 350 ms);
/// a larger file is checksummed only by `guestlist check` and by redb's own
/// repair after an unclean shutdown, so a big guest list starts in
/// milliseconds. Truncation, an emptied file and a damaged header are
/// refused at every size.
pub const FULL_CHECK_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// A cheap handle on the open database and its writer thread.
#[derive(Clone)]
pub(super) struct Embedded {
    db: Arc<slot::Slot>,
    writer: Arc<writer::Handle>,
    path: PathBuf,
}

impl Embedded {
    /// Opens (or creates) the database in `data_dir`, creating every table,
    /// and starts the writer thread.
    pub(super) fn open(data_dir: &Path) -> Result<Embedded, StoreError> {
        let path = data_dir.join(DB_FILE);
        let small = std::fs::metadata(&path).map_or(true, |m| m.len() <= FULL_CHECK_MAX_BYTES);
        let database = open::open_database(&path, small)?;
        let db = Arc::new(slot::Slot::new(database, path.clone()));
        let writer = Arc::new(writer::spawn(db.clone()));
        Ok(Embedded { db, writer, path })
    }

    /// Checksums every page, whatever the file's size, and closes it.
    pub(super) fn check(data_dir: &Path) -> Result<(), StoreError> {
        open::open_database(&data_dir.join(DB_FILE), true).map(drop)
    }

    /// See `Store::compact`.
    pub(super) fn compact(data_dir: &Path) -> Result<(u64, u64), StoreError> {
        open::compact_file(&data_dir.join(DB_FILE))
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a read transaction on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db.get()?.begin_read()?))
            .await
            .map_err(|_| StoreError::TaskFailed)?
    }

    /// Runs `f` in a read transaction on the calling thread.
    fn read_now<T>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(&self.db.get()?.begin_read()?)
    }

    /// Queues `f` for the writer; resolves once its batch is durable.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.submit(f).await
    }

    /// Runs `f` in a durable transaction of its own on the blocking pool;
    /// an `Err` from `f` aborts it, and only it.
    async fn write_alone<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        let work = move || {
            let txn = db.get()?.begin_write()?;
            let out = f(&txn)?;
            txn.commit()?;
            Ok(out)
        };
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| StoreError::TaskFailed)?
    }

    pub(super) fn writer_stats(&self) -> &WriterStats {
        self.writer.stats()
    }

    /// Whether a write transaction can be started and committed right now.
    pub(super) async fn healthy(&self) -> bool {
        self.write(|_| Ok(())).await.is_ok()
    }

    pub(super) async fn totals(&self) -> Result<super::Totals, StoreError> {
        self.read(tables::totals).await
    }

    pub(super) async fn reset(&self) -> Result<(), StoreError> {
        self.write_alone(tables::reset_all).await
    }
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(StoreError::Codec)
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(StoreError::Codec)
}
