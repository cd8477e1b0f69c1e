//! `guestlist roles list|create|delete|grant|revoke`, offline. Same rules
//! and the same outcomes as the admin routes of the HTTP API.

use clap::Subcommand;
use serde::Serialize;

use super::Failure;
use super::offline::{not_found, open_existing, say, say_json};
use crate::auth::{names, now_secs};
use crate::config::Config;
use crate::store::{self, Refusal, RoleRecord, Store};
use crate::time::rfc3339;

/// Longest role description, as for `POST /api/v1/roles`.
const DESCRIPTION_MAX: usize = 200;

#[derive(Subcommand)]
pub enum RolesCommand {
    /// Every role
    List {
        /// One JSON document instead of lines
        #[arg(long)]
        json: bool,
    },
    /// Create a role
    Create { name: String, description: String },
    /// Delete a role and take it from every user holding it
    Delete { name: String },
    /// Give ROLE to USERNAME (repeating it is harmless)
    Grant { username: String, role: String },
    /// Take ROLE from USERNAME (repeating it is harmless)
    Revoke { username: String, role: String },
}

#[derive(Serialize)]
struct RoleView {
    name: String,
    description: String,
    created_at: String,
}

pub fn run(config: &Config, command: RolesCommand) -> Result<(), Failure> {
    if let RolesCommand::Create { name, description } = &command {
        check_new(name, description)?;
    }
    let store = open_existing(config)?;
    match command {
        RolesCommand::List { json } => list(&store, json),
        RolesCommand::Create { name, description } => create(&store, name, description),
        RolesCommand::Delete { name } => delete(&store, &name),
        RolesCommand::Grant { username, role } => link(&store, &username, &role, true),
        RolesCommand::Revoke { username, role } => link(&store, &username, &role, false),
    }
}

/// Bad names are bad usage (exit 2), checked before the database is opened.
fn check_new(name: &str, description: &str) -> Result<(), Failure> {
    if !names::role_ok(name) {
        return Err(Failure::usage(
            "role name must be 1 to 64 letters, digits, '.', '_' or '-'",
        ));
    }
    if description.is_empty() {
        return Err(Failure::usage("description is empty"));
    }
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(Failure::usage("description is longer than 200 characters"));
    }
    Ok(())
}

fn list(store: &Store, json: bool) -> Result<(), Failure> {
    let views: Vec<RoleView> = store
        .read_now(store::roles::all)?
        .into_iter()
        .map(|role| RoleView {
            created_at: rfc3339(role.created_at),
            name: role.name,
            description: role.description,
        })
        .collect();
    if json {
        return say_json(&serde_json::json!({ "roles": views }));
    }
    if views.is_empty() {
        return say("no roles");
    }
    views.iter().try_for_each(|r| {
        say(format!(
            "{}  {:?}  created {}",
            r.name, r.description, r.created_at
        ))
    })
}

fn create(store: &Store, name: String, description: String) -> Result<(), Failure> {
    let role = RoleRecord {
        name,
        description,
        created_at: now_secs(),
    };
    let created = store.write_now(|txn| store::roles::create(txn, &role))?;
    created.map_err(|refusal| not_found(refusal, &role.name))?;
    say(format!("created role {}", role.name))
}

fn delete(store: &Store, name: &str) -> Result<(), Failure> {
    let deleted = store.write_now(|txn| store::roles::delete(txn, name))?;
    let holders = deleted.map_err(|refusal| not_found(refusal, name))?;
    say(format!(
        "deleted role {name} (taken from {} user(s))",
        holders.len()
    ))
}

fn link(store: &Store, username: &str, role: &str, grant: bool) -> Result<(), Failure> {
    let linked = store.write_now(|txn| store::roles::set_link(txn, username, role, grant))?;
    linked.map_err(|refusal| match refusal {
        Refusal::NoSuchUser => not_found(refusal, username),
        _ => not_found(refusal, role),
    })?;
    if grant {
        say(format!("{username} now holds role {role}"))
    } else {
        say(format!("{username} no longer holds role {role}"))
    }
}
