//! The open database, replaceable: after a failed commit redb refuses
//! every write until the file is reopened, so the writer reopens it here.
//!
//! Readers take a clone of the `Arc` under a read lock held only for the
//! clone; the lock is never held across an await. Reopening needs the old
//! handle gone (redb locks the file per open), so it waits, under the write
//! lock, until no reader holds the old one, then drops it and opens anew.
//!
//! Also here: catching redb's panics on a damaged file while opening it,
//! without the default panic message on stderr (the caller reports one
//! clear line instead).

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Once, PoisonError, RwLock};
use std::time::Duration;

use redb::Database;

use super::StoreError;

pub(super) struct Slot {
    db: RwLock<Option<Arc<Database>>>,
    path: PathBuf,
}

impl Slot {
    pub(super) fn new(db: Database, path: PathBuf) -> Slot {
        Slot {
            db: RwLock::new(Some(Arc::new(db))),
            path,
        }
    }

    /// The database now; `Reopening` if the last reopen failed.
    pub(super) fn get(&self) -> Result<Arc<Database>, StoreError> {
        let db = self.db.read().unwrap_or_else(PoisonError::into_inner);
        db.clone().ok_or(StoreError::Reopening)
    }

    /// Drops the current handle once no reader holds it and opens the file
    /// again (redb repairs the allocator state on open). Blocking.
    pub(super) fn reopen(&self) -> Result<(), StoreError> {
        loop {
            let mut db = self.db.write().unwrap_or_else(PoisonError::into_inner);
            let idle = db.as_ref().is_none_or(|db| Arc::strong_count(db) == 1);
            if idle {
                drop(db.take());
                *db = Some(Arc::new(super::open::reopen_database(&self.path)?));
                tracing::warn!("the database was reopened after a failed write");
                return Ok(());
            }
            drop(db);
            // A reader is inside a short read transaction; let it finish.
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

thread_local! {
    /// Set while this thread runs inside [`catch_quietly`].
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// Runs `f`; `None` if it panicked. Panics of other threads (and of this
/// one outside `catch_quietly`) are reported as before.
pub(super) fn catch_quietly<T>(f: impl FnOnce() -> T) -> Option<T> {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|quiet| quiet.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|quiet| quiet.set(false));
    result.ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_none_and_a_value_passes() {
        assert_eq!(super::catch_quietly(|| 7), Some(7));
        assert_eq!(super::catch_quietly(|| -> u8 { panic!("damaged") }), None);
    }
}
