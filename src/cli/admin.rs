//! Offline commands on the database. They open it exclusively, so while a
//! server holds it they stop at once with a clear message.

use std::io::{BufRead, IsTerminal, Write};

use super::Failure;
use crate::auth::{ids, names, now_secs, password};
use crate::config::Config;
use crate::store::{self, Refusal, RoleRecord, Store, StoreError, UserRecord};

fn open(config: &Config) -> Result<Store, Failure> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Failure::other(format!(
            "cannot create the data folder {}: {e}",
            config.data_dir.display()
        ))
    })?;
    Store::open(&config.data_dir).map_err(Failure::other)
}

/// Every page checksummed, whatever the file's size (a server start does
/// that only up to `store::FULL_CHECK_MAX_BYTES`).
pub fn check(config: &Config) -> Result<(), Failure> {
    let path = config.data_dir.join(store::DB_FILE);
    if !path.is_file() {
        return Err(Failure::other(format!(
            "no database at {} (check --data-dir)",
            path.display()
        )));
    }
    Store::check(&config.data_dir).map_err(Failure::other)?;
    println!("{}: every page verified", path.display());
    Ok(())
}

pub fn reset_db(config: &Config, yes: bool) -> Result<(), Failure> {
    let store = open(config)?;
    if !yes
        && !confirm(&format!(
            "Delete every user, role and token in {}?",
            store.path().display()
        ))?
    {
        return Err(Failure::usage(
            "not confirmed; pass --yes to reset without asking",
        ));
    }
    store.write_now(store::reset_all).map_err(Failure::other)?;
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
    if !names::username_ok(username) {
        return Err(Failure::usage(
            "username must be 1 to 64 letters, digits, '.', '_' or '-'",
        ));
    }
    if !names::email_ok(email) {
        return Err(Failure::usage(
            "email must be 3 to 254 characters with one '@'",
        ));
    }
    let store = open(config)?;
    let existing = store
        .read_now(|txn| store::users::by_name(txn, username))
        .map_err(Failure::other)?;
    let new_user = match existing {
        Some(_) => None,
        None => Some(new_user(config, username, email, given)?),
    };
    let role = RoleRecord {
        name: "admin".into(),
        description: "administrators".into(),
        created_at: now_secs(),
    };
    let outcome = store
        .write_now(|txn| {
            store::roles::ensure(txn, &role)?;
            if let Some(user) = &new_user {
                if let Err(refusal) = store::users::insert(txn, user)? {
                    return Ok(Err(refusal));
                }
            }
            store::roles::set_link(txn, username, "admin", true).map(|r| r.map(|_| ()))
        })
        .map_err(Failure::other)?;
    match outcome {
        Ok(()) if new_user.is_some() => println!("created admin {username}"),
        Ok(()) => println!("{username} now holds role admin (password unchanged)"),
        Err(Refusal::EmailTaken) => return Err(Failure::other("email already signed-up")),
        Err(refusal) => {
            return Err(Failure::other(format!(
                "cannot create the admin: {refusal:?}"
            )));
        }
    }
    Ok(())
}

fn new_user(
    config: &Config,
    username: &str,
    email: &str,
    given: Option<String>,
) -> Result<UserRecord, Failure> {
    let secret = match given {
        Some(secret) => secret,
        None => read_password()?,
    };
    password::check_rules(&secret)
        .map_err(|_| Failure::usage("password must be 8 to 128 characters"))?;
    let hash = password::hash(&secret, config.bcrypt_cost).map_err(Failure::other)?;
    Ok(UserRecord {
        id: ids::random_id().map_err(Failure::other)?,
        username: username.to_owned(),
        email: email.to_owned(),
        password_hash: hash,
        created_at: now_secs(),
        disabled: false,
    })
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

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Failure {
        Failure::other(err)
    }
}
