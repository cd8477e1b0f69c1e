//! Shared by the offline administration commands (`users`, `roles`,
//! `tokens`, `export`): opening the database, looking things up by name,
//! printing.

use std::fmt::Display;
use std::io::Write;

use serde::Serialize;

use super::Failure;
use crate::config::Config;
use crate::store::{self, Refusal, Store, TokenRecord, UserRecord};

/// Opens the database of `config`, refusing when there is none: a typo in
/// `--data-dir` must not silently create an empty database to list.
/// While a server holds the database this fails at once with the store's
/// "in use by another guestlist process" message.
pub fn open_existing(config: &Config) -> Result<Store, Failure> {
    let path = config.data_dir.join(store::DB_FILE);
    if !path.is_file() {
        return Err(Failure::other(format!(
            "no database at {} (check --data-dir)",
            path.display()
        )));
    }
    Store::open(&config.data_dir).map_err(Failure::other)
}

/// The user named `username`, or the one-line "not found" failure.
pub fn user_named(store: &Store, username: &str) -> Result<UserRecord, Failure> {
    let found = store.read_now(|txn| store::users::by_name(txn, username))?;
    found.ok_or_else(|| not_found(Refusal::NoSuchUser, username))
}

/// The one line for a refused lookup; exit code 1.
pub fn not_found(refusal: Refusal, subject: &str) -> Failure {
    let what = match refusal {
        Refusal::NoSuchUser => "no user named",
        Refusal::NoSuchRole => "no role named",
        Refusal::NoSuchToken => "no token with id",
        Refusal::RoleExists => "a role already exists named",
        // Not answered by the commands that call this; kept generic so a
        // new refusal of the store does not break the build.
        _ => "refused:",
    };
    Failure::other(format!("{what} {subject}"))
}

/// The entries of a user that are still live at `now`, newest first.
pub fn live_tokens(store: &Store, user_id: &str, now: u64) -> Result<Vec<TokenRecord>, Failure> {
    let all = store.read_now(|txn| store::tokens::of_user(txn, user_id))?;
    Ok(all.into_iter().filter(|t| t.expires_at > now).collect())
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

/// A token entry as shown by `tokens list` and `users show --json`.
#[derive(Serialize)]
pub struct TokenView {
    pub id: String,
    pub description: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: String,
    pub last_used_at: String,
    pub expires_at: String,
}

impl From<&TokenRecord> for TokenView {
    fn from(t: &TokenRecord) -> TokenView {
        use crate::time::rfc3339;
        TokenView {
            id: t.jti.clone(),
            description: t.description.clone(),
            user_agent: t.user_agent.clone(),
            ip: t.ip.clone(),
            created_at: rfc3339(t.created_at),
            last_used_at: rfc3339(t.last_used_at),
            expires_at: rfc3339(t.expires_at),
        }
    }
}

impl TokenView {
    /// One human-readable line.
    pub fn line(&self) -> String {
        let ip = if self.ip.is_empty() { "-" } else { &self.ip };
        format!(
            "{}  created {}  last used {}  expires {}  from {}  {:?}",
            self.id, self.created_at, self.last_used_at, self.expires_at, ip, self.description
        )
    }
}
