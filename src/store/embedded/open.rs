//! Opening the database file: refusing an emptied or damaged file, the
//! checksum pass, and the reopening after a failed commit.

use std::path::Path;

use redb::Database;

use super::{StoreError, migrate, slot, tables};

/// redb's own page cache; its default (1 GiB) is far too much for an edge box.
const PAGE_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Opens the file, creates every table and migrates an older schema.
pub(super) fn open_database(path: &Path, check_pages: bool) -> Result<Database, StoreError> {
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
    let mut db = opened?;
    let txn = db.begin_write()?;
    tables::create_all(&txn)?;
    let older = tables::check_schema(&txn)?;
    txn.commit()?;
    if let Some(version) = older {
        migrate::tokens_to_compact(&db, version)?;
        // The old tables' pages are free now; give them back to the disk.
        db.compact()?;
    }
    Ok(db)
}

/// Opens the file, packs its pages and closes it; answers its size in
/// bytes before and after.
pub(super) fn compact_file(path: &Path) -> Result<(u64, u64), StoreError> {
    let size = || std::fs::metadata(path).map_or(0, |m| m.len());
    let before = size();
    let mut db = open_database(path, false)?;
    db.compact()?;
    drop(db);
    Ok((before, size()))
}

/// Opens the file again after a failed commit: redb repairs what the
/// failed commit left. No checksum pass here, the file was ours a moment ago.
pub(super) fn reopen_database(path: &Path) -> Result<Database, StoreError> {
    let opened = slot::catch_quietly(|| {
        Database::builder()
            .set_cache_size(PAGE_CACHE_BYTES)
            .create(path)
            .map_err(|e| StoreError::from_open(e, path))
    });
    opened.unwrap_or(Err(StoreError::ReopenPanicked))
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
