//! Schema 1 or 2 → 3: token entries from JSON under text ids to the
//! compact layout, in transactions of `CHUNK` entries so that a guest list
//! of millions does not hold one transaction's pages in memory.
//!
//! Until the last transaction, which drops the old tables and records
//! schema 3, the file is still schema 1 or 2 with a partial copy beside it;
//! a migration cut short (a crash, a power cut) starts over from the
//! untouched JSON table at the next open.

use std::ops::Bound;
use std::time::Instant;

use redb::{Database, ReadableTable, WriteTransaction};

use super::tables::*;
use super::{StoreError, decode, tokens};
use crate::store::TokenRecord;

/// Entries copied per transaction.
const CHUNK: usize = 100_000;

/// Copies every entry to the compact tables (their index rows rebuilt from
/// the entries) and drops the old tables.
pub(super) fn tokens_to_compact(db: &Database, from: u64) -> Result<(), StoreError> {
    in_chunks(db, from, CHUNK)
}

/// `tokens_to_compact` with `chunk` entries per transaction.
pub(super) fn in_chunks(db: &Database, from: u64, chunk: usize) -> Result<(), StoreError> {
    let started = Instant::now();
    let txn = db.begin_write()?;
    txn.delete_table(TOKENS)?;
    txn.delete_multimap_table(USER_TOKENS)?;
    txn.delete_table(TOKEN_EXPIRY)?;
    txn.delete_table(TOKENS_HELD)?;
    create_all(&txn)?;
    txn.commit()?;
    let mut after: Option<String> = None;
    let mut moved = 0;
    loop {
        let txn = db.begin_write()?;
        let copied = copy_after(&txn, after.as_deref(), chunk)?;
        txn.commit()?;
        moved += copied.len();
        match copied.last() {
            Some(last) if copied.len() == chunk => after = Some(last.jti.clone()),
            _ => break,
        }
    }
    let txn = db.begin_write()?;
    txn.delete_table(TOKENS_JSON)?;
    txn.delete_multimap_table(USER_TOKENS_TEXT)?;
    txn.delete_table(TOKEN_EXPIRY_V1)?;
    txn.delete_table(TOKEN_EXPIRY_V2)?;
    txn.open_table(META)?
        .insert("schema_version", SCHEMA_VERSION)?;
    txn.commit()?;
    tracing::info!(
        from,
        moved,
        ms = started.elapsed().as_millis() as u64,
        "token entries migrated to the compact layout (schema {SCHEMA_VERSION})"
    );
    Ok(())
}

/// Copies up to `chunk` entries that follow `after` in the JSON table;
/// answers them.
fn copy_after(
    txn: &WriteTransaction,
    after: Option<&str>,
    chunk: usize,
) -> Result<Vec<TokenRecord>, StoreError> {
    let from = after.map_or(Bound::Unbounded, Bound::Excluded);
    let mut records = Vec::with_capacity(chunk);
    {
        let old = txn.open_table(TOKENS_JSON)?;
        for entry in old.range::<&str>((from, Bound::Unbounded))?.take(chunk) {
            records.push(decode::<TokenRecord>(entry?.1.value())?);
        }
    }
    tokens::put_all(txn, &records)?;
    Ok(records)
}
