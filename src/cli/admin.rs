//! Offline commands on the whole database: check, reset, create-admin.
//! They open it exclusively, so while a server holds it they stop at once
//! with a clear message.

use std::io::{BufRead, IsTerminal, Write};

use super::Failure;
use super::offline::{Offline, refused};
use crate::config::Config;
use crate::store::{self, Store};
use crate::usecases::AdminSeat;

/// Every page checksummed, whatever the file's size (a server start does
/// that only up to `store::FULL_CHECK_MAX_BYTES`).
pub fn check(config: &Config) -> Result<(), Failure> {
    let path = existing_database(config)?;
    Store::check(&config.data_dir).map_err(Failure::other)?;
    println!("{}: every page verified", path.display());
    Ok(())
}

/// `guestlist compact`: the embedded database's free pages given back to
/// the disk (offline).
pub fn compact(config: &Config) -> Result<(), Failure> {
    if config.shared.is_some() {
        return Err(Failure::usage(
            "compact packs the embedded database; Redis manages its own memory",
        ));
    }
    existing_database(config)?;
    pack(config, &mut std::io::stdout())
}

/// Packs the embedded database after a bulk load, whose copy-on-write
/// freed many pages that the file keeps; says what it did on `out`.
pub fn pack(config: &Config, out: &mut dyn Write) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let (before, after) = Store::compact(&config.data_dir).map_err(Failure::other)?;
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    writeln!(
        out,
        "packed the database: {:.1} MiB → {:.1} MiB in {:.1?}",
        mib(before),
        mib(after),
        started.elapsed()
    )
    .map_err(Failure::other)
}

fn existing_database(config: &Config) -> Result<std::path::PathBuf, Failure> {
    let path = config.data_dir.join(store::DB_FILE);
    if !path.is_file() {
        return Err(Failure::other(format!(
            "no database at {} (check --data-dir)",
            path.display()
        )));
    }
    Ok(path)
}

pub fn reset_db(config: &Config, yes: bool) -> Result<(), Failure> {
    let offline = Offline::open_or_create(config)?;
    let location = offline.guests.store().location();
    if !yes && !confirm(&format!("Delete every user, role and token in {location}?"))? {
        return Err(Failure::usage(
            "not confirmed; pass --yes to reset without asking",
        ));
    }
    let reset = offline.run(offline.guests.reset());
    reset.map_err(|err| refused(err, ""))?;
    println!("the database is empty");
    Ok(())
}

fn confirm(question: &str) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(Failure::other)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

pub fn create_admin(
    config: &Config,
    username: &str,
    email: &str,
    given: Option<String>,
) -> Result<(), Failure> {
    // Bad names are bad usage, refused before the database is opened.
    crate::rules::check_username(username).map_err(Failure::usage)?;
    crate::rules::check_email(email).map_err(Failure::usage)?;
    let offline = Offline::open_or_create(config)?;
    let password = || match given {
        Some(secret) => Ok(secret),
        None => read_password(),
    };
    let seated = offline.run(offline.guests.create_admin(username, email, password));
    match seated? {
        AdminSeat::Created => println!("created admin {username}"),
        AdminSeat::Granted => println!("{username} now holds role admin (password unchanged)"),
    }
    Ok(())
}

fn read_password() -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("password: ").map_err(Failure::other);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(Failure::other)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
