//! `guestlist export [FILE]` and `guestlist import FILE`: a whole database
//! as JSON lines (see `store::export` for the format).
//!
//! Tokens are checked against the signing secret, which is not in the
//! export: the `secret` file of the data folder (or `GUESTLIST_SECRET`) must
//! travel with it for tokens to stay valid. Passwords work regardless.

use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use super::Failure;
use super::checked;
use super::offline::open_existing;
use super::tokens::private_file;
use crate::auth::now_secs;
use crate::config::Config;
use crate::store::export::{self, Record};
use crate::store::{Store, StoreError};

pub fn export(config: &Config, file: Option<&Path>) -> Result<(), Failure> {
    let store = open_existing(config)?;
    let (written, file) = match file {
        Some(path) => {
            let file = private_file(path)?;
            let mut out = BufWriter::new(file.try_clone().map_err(Failure::other)?);
            (write_all(&store, &mut out)?, Some((path, file)))
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            (write_all(&store, &mut out)?, None)
        }
    };
    if let Some((path, file)) = file {
        // A backup that is not on disk is not a backup.
        file.sync_all()
            .map_err(|e| Failure::other(format!("cannot sync {}: {e}", path.display())))?;
        eprintln!(
            "exported {written} record(s) to {}; keep the data folder's secret file with it",
            path.display()
        );
    }
    Ok(())
}

/// Writes the export to `out`; answers how many records (header and end
/// lines aside) went out.
fn write_all(store: &Store, out: &mut dyn Write) -> Result<u64, Failure> {
    let now = now_secs();
    let mut written = 0u64;
    store.read_now(|txn| {
        Ok(export::visit::<Failure>(txn, now, |record| {
            written += u64::from(!matches!(
                record,
                Record::Header { .. } | Record::End { .. }
            ));
            let line = record.to_line()?;
            writeln!(out, "{line}").map_err(|e| Failure::other(format!("writing the export: {e}")))
        }))
    })??;
    out.flush()
        .map_err(|e| Failure::other(format!("writing the export: {e}")))?;
    Ok(written)
}

pub fn import(config: &Config, path: &Path) -> Result<(), Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::other(format!("cannot read {}: {e}", path.display())))?;
    let checked = checked::read(BufReader::new(file), now_secs()).map_err(Failure::other)?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Failure::other(format!(
            "cannot create the data folder {}: {e}",
            config.data_dir.display()
        ))
    })?;
    let store = Store::open(&config.data_dir).map_err(Failure::other)?;
    let loaded = load(&store, &checked)?;
    let skipped = match checked.expired {
        0 => String::new(),
        n => format!(" ({n} token(s) expired since the export were left out)"),
    };
    println!(
        "imported {loaded} record(s) into {}{skipped}",
        store.path().display()
    );
    Ok(())
}

/// Loads every record in one transaction, or nothing.
fn load(store: &Store, checked: &checked::Checked) -> Result<u64, Failure> {
    // A failed load must abort the transaction, which only an `Err` from
    // the closure does; the reason travels beside it.
    let mut refused: Option<Failure> = None;
    let outcome = store.write_now(|txn| {
        let reason = if !export::is_empty(txn)? {
            Failure::other(
                "the database is not empty: import needs a data folder without users or roles",
            )
        } else {
            match export::load(txn, &checked.records)? {
                Ok(loaded) => return Ok(loaded),
                Err(rejected) => {
                    let line = checked.lines.get(rejected.index).copied().unwrap_or(0);
                    Failure::other(format!("line {line}: {}", rejected.reason))
                }
            }
        };
        refused = Some(reason);
        Err(StoreError::WriteFailed("import refused".into()))
    });
    match (outcome, refused) {
        (_, Some(failure)) => Err(failure),
        (Ok(loaded), None) => Ok(loaded),
        (Err(err), None) => Err(Failure::other(err)),
    }
}
