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
use super::offline::{Offline, private_file, refused};
use crate::config::Config;
use crate::store::export::{Record, Rejected};
use crate::time::now_secs;

pub fn export(config: &Config, file: Option<&Path>) -> Result<(), Failure> {
    let offline = Offline::open_existing(config)?;
    let (written, file) = match file {
        Some(path) => {
            let file = private_file(path)?;
            let mut out = BufWriter::new(file.try_clone().map_err(Failure::other)?);
            (write_all(&offline, &mut out)?, Some((path, file)))
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            (write_all(&offline, &mut out)?, None)
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
fn write_all(offline: &Offline, out: &mut dyn Write) -> Result<u64, Failure> {
    let mut written = 0u64;
    offline.guests.export_now::<Failure>(|record| {
        written += u64::from(!matches!(
            record,
            Record::Header { .. } | Record::End { .. }
        ));
        let line = record.to_line()?;
        writeln!(out, "{line}").map_err(|e| Failure::other(format!("writing the export: {e}")))
    })?;
    out.flush()
        .map_err(|e| Failure::other(format!("writing the export: {e}")))?;
    Ok(written)
}

pub fn import(config: &Config, path: &Path) -> Result<(), Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::other(format!("cannot read {}: {e}", path.display())))?;
    let checked = checked::read(BufReader::new(file), now_secs()).map_err(Failure::other)?;
    let offline = Offline::open_or_create(config)?;
    let lines = checked.lines;
    let loaded = offline.run(offline.guests.import(checked.records));
    let loaded = match loaded.map_err(|err| refused(err, ""))? {
        Ok(loaded) => loaded,
        Err(Rejected::NotEmpty) => {
            return Err(Failure::other(
                "the database is not empty: import needs a data folder without users or roles",
            ));
        }
        Err(Rejected::Record { index, reason }) => {
            let line = lines.get(index).copied().unwrap_or(0);
            return Err(Failure::other(format!("line {line}: {reason}")));
        }
    };
    let skipped = match checked.expired {
        0 => String::new(),
        n => format!(" ({n} token(s) expired since the export were left out)"),
    };
    println!(
        "imported {loaded} record(s) into {}{skipped}",
        offline.guests.store().location()
    );
    drop(offline);
    match config.shared {
        None => super::admin::pack(config, &mut std::io::stdout()),
        Some(_) => Ok(()),
    }
}
