//! `guestlist roles list|create|delete|grant|revoke`, offline. Same rules
//! and the same outcomes as the admin routes of the HTTP API.

use clap::Subcommand;
use serde::Serialize;

use super::Failure;
use super::offline::{Offline, refused, say, say_json};
use crate::config::Config;
use crate::rules;
use crate::time::rfc3339;

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
    // Bad names are bad usage (exit 2), refused before the database opens.
    if let RolesCommand::Create { name, description } = &command {
        rules::check_role(name, description).map_err(|rule| match rule {
            rules::ROLE_RULE | "name is empty" => Failure::usage(format!("role {rule}")),
            rule => Failure::usage(rule),
        })?;
    }
    let offline = Offline::open_existing(config)?;
    match command {
        RolesCommand::List { json } => list(&offline, json),
        RolesCommand::Create { name, description } => create(&offline, name, description),
        RolesCommand::Delete { name } => delete(&offline, &name),
        RolesCommand::Grant { username, role } => link(&offline, &username, &role, true),
        RolesCommand::Revoke { username, role } => link(&offline, &username, &role, false),
    }
}

fn list(offline: &Offline, json: bool) -> Result<(), Failure> {
    let roles = offline.run(offline.guests.roles());
    let views: Vec<RoleView> = roles
        .map_err(|err| refused(err, ""))?
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

fn create(offline: &Offline, name: String, description: String) -> Result<(), Failure> {
    let created = offline.run(offline.guests.create_role(name.clone(), description));
    created.map_err(|err| refused(err, &name))?;
    say(format!("created role {name}"))
}

fn delete(offline: &Offline, name: &str) -> Result<(), Failure> {
    let deleted = offline.run(offline.guests.delete_role(name));
    let holders = deleted.map_err(|err| refused(err, name))?;
    say(format!(
        "deleted role {name} (taken from {holders} user(s))"
    ))
}

fn link(offline: &Offline, username: &str, role: &str, grant: bool) -> Result<(), Failure> {
    let linked = offline.run(offline.guests.set_role(username, role, grant));
    linked.map_err(|err| match err {
        crate::usecases::Error::NotFound(crate::usecases::Missing::Role) => refused(err, role),
        err => refused(err, username),
    })?;
    if grant {
        say(format!("{username} now holds role {role}"))
    } else {
        say(format!("{username} no longer holds role {role}"))
    }
}
