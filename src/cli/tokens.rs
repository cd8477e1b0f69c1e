//! `guestlist tokens list|revoke|revoke-all|mint`, offline.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::Failure;
use super::offline::{TokenView, live_tokens, not_found, open_existing, say, say_json, user_named};
use crate::auth::jwt::Keys;
use crate::auth::now_secs;
use crate::config::Config;
use crate::store::{self, Store};

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
    let store = open_existing(config)?;
    match command {
        TokensCommand::List { username, json } => list(&store, &username, json),
        TokensCommand::Revoke { id } => revoke(&store, &id),
        TokensCommand::RevokeAll { username } => revoke_all(&store, &username),
        TokensCommand::Mint { count, users, out } => {
            mint(&store, config, count, users, out.as_deref())
        }
    }
}

fn list(store: &Store, username: &str, json: bool) -> Result<(), Failure> {
    let user = user_named(store, username)?;
    let tokens: Vec<TokenView> = live_tokens(store, &user.id, now_secs())?
        .iter()
        .map(TokenView::from)
        .collect();
    if json {
        return say_json(&serde_json::json!({ "tokens": tokens }));
    }
    if tokens.is_empty() {
        return say(format!("{username} has no live tokens"));
    }
    tokens.iter().try_for_each(|t| say(t.line()))
}

fn revoke(store: &Store, id: &str) -> Result<(), Failure> {
    let removed = store.write_now(|txn| store::tokens::remove(txn, id, None))?;
    removed.map_err(|refusal| not_found(refusal, id))?;
    say(format!("revoked token {id}"))
}

fn revoke_all(store: &Store, username: &str) -> Result<(), Failure> {
    let user = user_named(store, username)?;
    let removed = store.write_now(|txn| store::tokens::remove_all_of(txn, &user.id, None))?;
    say(format!("revoked {removed} token(s) of {username}"))
}

fn mint(
    store: &Store,
    config: &Config,
    count: u64,
    users: u64,
    out: Option<&Path>,
) -> Result<(), Failure> {
    let secret =
        crate::secret::load(&config.data_dir, config.secret.as_deref()).map_err(Failure::other)?;
    let keys = Keys::new(&secret).map_err(Failure::other)?;
    let mut sink: Box<dyn Write> = match out {
        Some(path) => Box::new(BufWriter::new(private_file(path)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let report = crate::mint::mint(store, &keys, config.token_ttl, count, users, &mut *sink)
        .map_err(Failure::other)?;
    sink.flush()
        .map_err(|e| Failure::other(format!("writing the tokens: {e}")))?;
    // The tokens own stdout; the summary goes to stderr.
    eprintln!(
        "minted {} token(s), {} new user(s), in {:.1?}",
        report.tokens, report.users_created, report.elapsed
    );
    Ok(())
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
