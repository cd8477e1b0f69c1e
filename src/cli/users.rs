//! `guestlist users list|show|disable|enable|delete`, offline.

use clap::Subcommand;
use serde::Serialize;

use super::Failure;
use super::offline::{TokenView, live_tokens, not_found, open_existing, say, say_json, user_named};
use crate::auth::now_secs;
use crate::config::Config;
use crate::store::{self, Refusal, Store, UserRecord};
use crate::time::rfc3339;

/// Users read per transaction by `users list`.
const PAGE: usize = 500;

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

#[derive(Serialize)]
struct UserView {
    id: String,
    username: String,
    email: String,
    roles: Vec<String>,
    created_at: String,
    disabled: bool,
    /// Live tokens, named as in `GET /api/v1/users`.
    tokens: usize,
}

pub fn run(config: &Config, command: UsersCommand) -> Result<(), Failure> {
    let store = open_existing(config)?;
    match command {
        UsersCommand::List { json } => list(&store, json),
        UsersCommand::Show { username, json } => show(&store, &username, json),
        UsersCommand::Disable { username } => set_disabled(&store, &username, true),
        UsersCommand::Enable { username } => set_disabled(&store, &username, false),
        UsersCommand::Delete { username } => delete(&store, &username),
    }
}

fn view(store: &Store, user: UserRecord, now: u64) -> Result<UserView, Failure> {
    let roles = store.read_now(|txn| store::users::roles_of(txn, &user.id))?;
    let live_tokens = live_tokens(store, &user.id, now)?.len();
    Ok(UserView {
        roles,
        created_at: rfc3339(user.created_at),
        disabled: user.disabled,
        tokens: live_tokens,
        id: user.id,
        username: user.username,
        email: user.email,
    })
}

impl UserView {
    fn line(&self) -> String {
        let roles = if self.roles.is_empty() {
            "-".to_owned()
        } else {
            self.roles.join(",")
        };
        let state = if self.disabled { "  DISABLED" } else { "" };
        format!(
            "{}  {}  id {}  roles {}  live tokens {}  created {}{}",
            self.username, self.email, self.id, roles, self.tokens, self.created_at, state
        )
    }
}

fn list(store: &Store, json: bool) -> Result<(), Failure> {
    let now = now_secs();
    let mut views = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.read_now(|txn| store::users::page(txn, after.as_deref(), PAGE))?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        for user in page {
            views.push(view(store, user, now)?);
        }
    }
    if json {
        return say_json(&serde_json::json!({ "users": views }));
    }
    if views.is_empty() {
        return say("no users");
    }
    views.iter().try_for_each(|v| say(v.line()))
}

fn show(store: &Store, username: &str, json: bool) -> Result<(), Failure> {
    let now = now_secs();
    let user = user_named(store, username)?;
    let tokens: Vec<TokenView> = live_tokens(store, &user.id, now)?
        .iter()
        .map(TokenView::from)
        .collect();
    let view = view(store, user, now)?;
    if json {
        return say_json(&serde_json::json!({ "user": view, "tokens": tokens }));
    }
    say(view.line())?;
    tokens
        .iter()
        .try_for_each(|t| say(format!("  {}", t.line())))
}

fn set_disabled(store: &Store, username: &str, disabled: bool) -> Result<(), Failure> {
    let done = store.write_now(|txn| store::users::set_disabled(txn, username, disabled))?;
    done.map_err(|refusal| not_found(refusal, username))?;
    if disabled {
        say(format!(
            "disabled {username}; every token of theirs is revoked"
        ))
    } else {
        say(format!("enabled {username}"))
    }
}

fn delete(store: &Store, username: &str) -> Result<(), Failure> {
    let done = store.write_now(|txn| store::users::delete(txn, username))?;
    done.map_err(|_| not_found(Refusal::NoSuchUser, username))?;
    say(format!(
        "deleted {username}, their role links and their tokens"
    ))
}
