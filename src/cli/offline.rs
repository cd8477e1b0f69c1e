//! Shared by the administration commands: opening the guest list with its
//! use cases, running them to completion, turning their errors into one
//! line, printing. On the embedded database they run offline (the server
//! holds the file); on a shared store, while the servers run.

use std::fmt::Display;
use std::fs::OpenOptions;
use std::future::Future;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::Serialize;

use super::Failure;
use crate::config::Config;
use crate::store::{self, Store};
use crate::usecases::{Conflict, Error, GuestList, Missing};

/// The guest list of the data folder and a runtime to run its use cases.
pub struct Offline {
    pub guests: GuestList,
    runtime: tokio::runtime::Runtime,
}

impl Offline {
    /// Opens the database of `config`, refusing when there is none: a typo
    /// in `--data-dir` must not silently create an empty database to list.
    /// While a server holds the database this fails at once with the
    /// store's "in use by another guestlist process" message.
    pub fn open_existing(config: &Config) -> Result<Offline, Failure> {
        let path = config.data_dir.join(store::DB_FILE);
        if config.shared.is_none() && !path.is_file() {
            return Err(Failure::other(format!(
                "no database at {} (check --data-dir)",
                path.display()
            )));
        }
        Offline::open(config)
    }

    /// Opens the database of `config`, creating the folder and the file.
    pub fn open_or_create(config: &Config) -> Result<Offline, Failure> {
        if config.shared.is_some() {
            return Offline::open(config);
        }
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            Failure::other(format!(
                "cannot create the data folder {}: {e}",
                config.data_dir.display()
            ))
        })?;
        Offline::open(config)
    }

    /// A shared store is used while servers run: the changes reach them
    /// through its stream. Its blocking reads need a runtime that drives
    /// itself, hence one worker thread rather than the current thread.
    fn open(config: &Config) -> Result<Offline, Failure> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| Failure::other(format!("cannot start the runtime: {e}")))?;
        let store = match &config.shared {
            Some(shared) => runtime.block_on(Store::connect(shared)),
            None => Store::open(&config.data_dir),
        };
        let store = store.map_err(Failure::other)?;
        Ok(Offline {
            guests: GuestList::offline(store, config),
            runtime,
        })
    }

    /// Runs a use case to completion.
    pub fn run<T>(&self, case: impl Future<Output = T>) -> T {
        self.runtime.block_on(case)
    }
}

/// The one line for a use case that did not happen; `subject` names what
/// the command was about (a user, a role, a token id).
pub fn refused(err: Error, subject: &str) -> Failure {
    match err {
        Error::Invalid(rule) => Failure::usage(rule),
        Error::NotFound(Missing::User) => Failure::other(format!("no user named {subject}")),
        Error::NotFound(Missing::Role) => Failure::other(format!("no role named {subject}")),
        Error::NotFound(Missing::Token) => Failure::other(format!("no token with id {subject}")),
        Error::Conflict(Conflict::RoleExists) => {
            Failure::other(format!("a role already exists named {subject}"))
        }
        Error::Conflict(Conflict::EmailTaken) => Failure::other("email already signed-up"),
        Error::Conflict(Conflict::UsernameTaken) => Failure::other("username already taken"),
        other => Failure::other(other),
    }
}

/// One line on stdout. A closed pipe (`| head`) is a failure, not a panic.
pub fn say(line: impl Display) -> Result<(), Failure> {
    writeln!(std::io::stdout().lock(), "{line}")
        .map_err(|e| Failure::other(format!("writing to stdout: {e}")))
}

/// `value` as one JSON document on stdout (for `--json`).
pub fn say_json(value: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(Failure::other)?;
    say(text)
}

/// A new or truncated file only its owner can read: it will hold credentials.
pub fn private_file(path: &Path) -> Result<std::fs::File, Failure> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Failure::other(format!("cannot write {}: {e}", path.display())))
}
