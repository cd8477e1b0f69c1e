//! `guestlist users list|show|disable|enable|delete`, offline.

use clap::Subcommand;

use super::Failure;
use super::offline::{Offline, refused, say, say_json};
use crate::config::Config;
use crate::usecases::PAGE_MAX;

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Every user, in a stable order (by id)
    List {
        /// One JSON document instead of lines
        #[arg(long)]
        json: bool,
    },
    /// One user with their roles and live tokens
    Show {
        username: String,
        /// One JSON document instead of lines
        #[arg(long)]
        json: bool,
    },
    /// Refuse the user's logins and revoke every token of theirs
    Disable { username: String },
    /// Allow the user's logins again (revoked tokens stay revoked)
    Enable { username: String },
    /// Delete the user, their role links and every token of theirs
    Delete { username: String },
}

pub fn run(config: &Config, command: UsersCommand) -> Result<(), Failure> {
    let offline = Offline::open_existing(config)?;
    match command {
        UsersCommand::List { json } => list(&offline, json),
        UsersCommand::Show { username, json } => show(&offline, &username, json),
        UsersCommand::Disable { username } => set_disabled(&offline, &username, true),
        UsersCommand::Enable { username } => set_disabled(&offline, &username, false),
        UsersCommand::Delete { username } => delete(&offline, &username),
    }
}

fn list(offline: &Offline, json: bool) -> Result<(), Failure> {
    let mut users = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = offline.run(offline.guests.users_page(after.take(), PAGE_MAX));
        let page = page.map_err(|err| refused(err, ""))?;
        users.extend(page.users);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    if json {
        return say_json(&serde_json::json!({ "users": users }));
    }
    if users.is_empty() {
        return say("no users");
    }
    users.iter().try_for_each(|v| say(v.line()))
}

fn show(offline: &Offline, username: &str, json: bool) -> Result<(), Failure> {
    let shown = offline.run(offline.guests.user_devices(username));
    let (user, tokens) = shown.map_err(|err| refused(err, username))?;
    if json {
        return say_json(&serde_json::json!({ "user": user, "tokens": tokens }));
    }
    say(user.line())?;
    tokens
        .iter()
        .try_for_each(|t| say(format!("  {}", t.line())))
}

fn set_disabled(offline: &Offline, username: &str, disabled: bool) -> Result<(), Failure> {
    let done = offline.run(offline.guests.set_disabled(username, disabled));
    done.map_err(|err| refused(err, username))?;
    if disabled {
        say(format!(
            "disabled {username}; every token of theirs is revoked"
        ))
    } else {
        say(format!("enabled {username}"))
    }
}

fn delete(offline: &Offline, username: &str) -> Result<(), Failure> {
    let done = offline.run(offline.guests.delete_user(username));
    done.map_err(|err| refused(err, username))?;
    say(format!(
        "deleted {username}, their role links and their tokens"
    ))
}
