//! `guestlist tokens list|revoke|revoke-all|mint`, offline.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::Failure;
use super::offline::{Offline, private_file, refused, say, say_json};
use crate::auth::jwt::Keys;
use crate::config::Config;

#[derive(Subcommand)]
pub enum TokensCommand {
    /// The live tokens (devices) of USERNAME, newest first
    List {
        username: String,
        /// One JSON document instead of lines
        #[arg(long)]
        json: bool,
    },
    /// Revoke the token with id ID (as shown by `tokens list`)
    Revoke {
        /// Ids are base64url and may start with '-'
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Revoke every token of USERNAME
    RevokeAll { username: String },
    /// Mint live tokens for load tests, one per line (never on production data)
    Mint {
        /// How many tokens
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        count: u64,
        /// Spread over this many load-test users
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        users: u64,
        /// Write the tokens here (mode 0600) instead of stdout
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(config: &Config, command: TokensCommand) -> Result<(), Failure> {
    let offline = Offline::open_existing(config)?;
    match command {
        TokensCommand::List { username, json } => list(&offline, &username, json),
        TokensCommand::Revoke { id } => revoke(&offline, &id),
        TokensCommand::RevokeAll { username } => revoke_all(&offline, &username),
        TokensCommand::Mint { count, users, out } => {
            mint(&offline, config, count, users, out.as_deref())?;
            drop(offline);
            match config.shared {
                None => super::admin::pack(config, &mut std::io::stderr()),
                Some(_) => Ok(()),
            }
        }
    }
}

fn list(offline: &Offline, username: &str, json: bool) -> Result<(), Failure> {
    let shown = offline.run(offline.guests.user_devices(username));
    let (_, tokens) = shown.map_err(|err| refused(err, username))?;
    if json {
        return say_json(&serde_json::json!({ "tokens": tokens }));
    }
    if tokens.is_empty() {
        return say(format!("{username} has no live tokens"));
    }
    tokens.iter().try_for_each(|t| say(t.line()))
}

fn revoke(offline: &Offline, id: &str) -> Result<(), Failure> {
    let revoked = offline.run(offline.guests.revoke_token(id));
    revoked.map_err(|err| refused(err, id))?;
    say(format!("revoked token {id}"))
}

fn revoke_all(offline: &Offline, username: &str) -> Result<(), Failure> {
    let revoked = offline.run(offline.guests.sign_out_user(username));
    let removed = revoked.map_err(|err| refused(err, username))?;
    say(format!("revoked {removed} token(s) of {username}"))
}

fn mint(
    offline: &Offline,
    config: &Config,
    count: u64,
    users: u64,
    out: Option<&Path>,
) -> Result<(), Failure> {
    if config.shared.is_some() && config.secret.is_none() {
        return Err(Failure::usage(
            "with a shared store, mint signs with GUESTLIST_SECRET: set it as on the nodes",
        ));
    }
    let secret =
        crate::secret::load(&config.data_dir, config.secret.as_deref()).map_err(Failure::other)?;
    let keys = Keys::new(&secret).map_err(Failure::other)?;
    let mut sink: Box<dyn Write> = match out {
        Some(path) => Box::new(BufWriter::new(private_file(path)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let store = offline.guests.store();
    let minted =
        crate::usecases::mint::mint(store, &keys, config.token_ttl, count, users, &mut *sink);
    let report = offline.run(minted).map_err(Failure::other)?;
    sink.flush()
        .map_err(|e| Failure::other(format!("writing the tokens: {e}")))?;
    // The tokens own stdout; the summary goes to stderr.
    eprintln!(
        "minted {} token(s), {} new user(s), in {:.1?}",
        report.tokens, report.users_created, report.elapsed
    );
    Ok(())
}
