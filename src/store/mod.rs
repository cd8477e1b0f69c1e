//! The guest list's storage: named operations on users, roles and token
//! entries, taking and returning the records of [`records`].
//!
//! Nothing of an engine leaves this module: no transaction, table or
//! connection. Two engines implement the same operations: [`embedded`]
//! (redb in the data folder, behind a group-commit writer; one process) and
//! [`shared`] (one Redis primary that several nodes use, each operation one
//! Lua call that also announces its change on a stream; see [`Feed`]).
//!
//! # What every engine guarantees
//!
//! - **Atomicity**: each operation is one unit. A revocation, a password
//!   change that revokes the other devices, a user deletion (tokens, role
//!   links, names), a login that evicts at the cap: all of it happens or
//!   none of it does (one redb transaction here; one script or MULTI on a
//!   networked engine).
//! - **Durability before the answer**: a write operation returns only once
//!   its change survives a crash (kill -9, power cut). Callers answer
//!   clients after that and never before.
//! - **Refusals are values**: a well-formed write that cannot happen (a
//!   taken name, an unknown user) answers `Ok(Err(Refusal))` and changes
//!   nothing; `Err(StoreError)` means the engine itself failed.
//! - **Every change a cache must learn of is announced** in the same unit
//!   as the change (a shared engine's stream; the embedded engine has one
//!   process, whose use cases tell its cache themselves).
//! - **Reads see committed state only**, and the reads of a check are made
//!   in the order the cache depends on: the caller reads its in-memory
//!   generation of the user first, then [`Store::token_now`], so a
//!   revocation that commits in between is caught (see `cache`).
//!
//! Operations named `*_now` block the calling thread (the miss path runs
//! them on the blocking pool, in an order it controls); the others are
//! async and do their blocking work off the async workers.

mod embedded;
mod error;
pub mod export;
mod records;
mod shared;

use std::path::Path;

pub use embedded::{DB_FILE, FULL_CHECK_MAX_BYTES, WriterStats};
pub use error::StoreError;
pub use records::{
    Cap, FailureCounts, Refusal, Revoked, RoleRecord, TokenRecord, Totals, UserCounted, UserEntry,
    UserKey, UserRecord, fold,
};
pub use shared::{Batch, Change, CommandStats, Feed, Settings as SharedSettings};

use export::{Record, Rejected};

/// A cheap, cloneable handle on the guest list's storage.
#[derive(Clone)]
pub struct Store {
    engine: Engine,
}

#[derive(Clone)]
enum Engine {
    Embedded(embedded::Embedded),
    Shared(shared::Shared),
}

/// Runs the same call on whichever engine is open.
macro_rules! on_engine {
    ($store:expr, $db:ident => $call:expr) => {
        match &$store.engine {
            Engine::Embedded($db) => $call,
            Engine::Shared($db) => $call,
        }
    };
}

type Outcome<T> = Result<Result<T, Refusal>, StoreError>;

impl Store {
    /// Opens (or creates) the embedded database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        let engine = Engine::Embedded(embedded::Embedded::open(data_dir)?);
        Ok(Store { engine })
    }

    /// Connects to the shared engine (Redis) that several nodes use.
    pub async fn connect(settings: &SharedSettings) -> Result<Store, StoreError> {
        let engine = Engine::Shared(shared::Shared::connect(settings).await?);
        Ok(Store { engine })
    }

    /// Whether several nodes may share this store (their caches then follow
    /// its [`Feed`]).
    pub fn is_shared(&self) -> bool {
        matches!(self.engine, Engine::Shared(_))
    }

    /// A reader of the changes every node makes, for a shared store;
    /// `block` is how long one read waits for news.
    pub fn feed(&self, block: std::time::Duration) -> Option<Feed> {
        match &self.engine {
            Engine::Embedded(_) => None,
            Engine::Shared(db) => Some(db.feed(block)),
        }
    }

    /// Refuses to go on if other nodes of a shared store sign with another
    /// secret (compared by a keyed fingerprint, never the secret).
    pub async fn agree_on_secret(&self, fingerprint: &str) -> Result<(), StoreError> {
        match &self.engine {
            Engine::Embedded(_) => Ok(()),
            Engine::Shared(db) => db.agree_on_secret(fingerprint).await,
        }
    }

    /// Checksums every page of the embedded database in `data_dir`,
    /// whatever its size, without keeping it open (`guestlist check`).
    pub fn check(data_dir: &Path) -> Result<(), StoreError> {
        embedded::Embedded::check(data_dir)
    }

    /// Packs the embedded database in `data_dir`, offline: redb's
    /// compaction moves the pages in use to the front of the file and cuts
    /// off the free ones; answers the file's size before and after. Bulk
    /// loads (mint, import, a schema migration) free many pages as their
    /// transactions copy on write, and the file keeps them. It does not
    /// refill pages that random keys left part empty.
    pub fn compact(data_dir: &Path) -> Result<(u64, u64), StoreError> {
        embedded::Embedded::compact(data_dir)
    }

    /// Where the data lives, for messages.
    pub fn location(&self) -> String {
        match &self.engine {
            Engine::Embedded(db) => db.path().display().to_string(),
            Engine::Shared(db) => db.location(),
        }
    }

    // --- users -----------------------------------------------------------

    /// Adds a user unless the name or the email is taken (case ignored).
    pub async fn sign_up(&self, user: UserRecord) -> Outcome<()> {
        on_engine!(self, db => db.sign_up(user).await)
    }

    /// Which of the name and the email is taken already, if either.
    pub async fn taken(&self, username: &str, email: &str) -> Result<Option<Refusal>, StoreError> {
        on_engine!(self, db => db.taken(username, email).await)
    }

    /// The user and password hash behind a login name (case ignored).
    pub async fn credentials_of(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        on_engine!(self, db => db.user_named(username).await)
    }

    /// [`Store::credentials_of`] on the calling thread.
    pub fn credentials_of_now(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        on_engine!(self, db => db.user_named_now(username))
    }

    pub async fn user(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError> {
        on_engine!(self, db => db.user(user_id).await)
    }

    /// [`Store::user`] on the calling thread.
    pub fn user_now(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError> {
        on_engine!(self, db => db.user_now(user_id))
    }

    /// A user's name and roles, for the in-memory user of the hit path.
    pub fn identity_now(&self, user_id: &str) -> Result<Option<(String, Vec<String>)>, StoreError> {
        on_engine!(self, db => db.identity_now(user_id))
    }

    /// A user's role names, sorted.
    pub fn roles_of_now(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        on_engine!(self, db => db.roles_of_now(user_id))
    }

    /// A user with their roles and stored token entries (live or not: the
    /// caller decides what is live).
    pub async fn user_entry(&self, who: UserKey) -> Result<Option<UserEntry>, StoreError> {
        on_engine!(self, db => db.user_entry(who).await)
    }

    /// Users in id order after `after`, at most `limit`, with their roles
    /// and how many of their entries had not expired at `now`: a stable
    /// cursor.
    pub async fn users_page(
        &self,
        after: Option<String>,
        limit: usize,
        now: u64,
    ) -> Result<Vec<UserCounted>, StoreError> {
        on_engine!(self, db => db.users_page(after, limit, now).await)
    }

    /// Sets the password hash and revokes every token of the user but `keep`.
    pub async fn change_password(
        &self,
        user_id: &str,
        password_hash: String,
        keep: Option<String>,
    ) -> Outcome<Revoked> {
        on_engine!(self, db => db.change_password(user_id, password_hash, keep).await)
    }

    /// Disables (revoking every token) or enables a user.
    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Outcome<Revoked> {
        on_engine!(self, db => db.set_disabled(username, disabled).await)
    }

    /// Deletes a user, their role links and every token of theirs.
    pub async fn delete_user(&self, username: &str) -> Outcome<Revoked> {
        on_engine!(self, db => db.delete_user(username).await)
    }

    /// Load-test users: each record whose name is free is added; for a
    /// taken name the stored user is answered instead. One unit.
    pub async fn sign_up_many(
        &self,
        users: Vec<UserRecord>,
    ) -> Result<Vec<Result<UserRecord, Refusal>>, StoreError> {
        on_engine!(self, db => db.sign_up_many(users).await)
    }

    // --- roles -----------------------------------------------------------

    pub async fn roles(&self) -> Result<Vec<RoleRecord>, StoreError> {
        on_engine!(self, db => db.roles().await)
    }

    pub async fn create_role(&self, role: RoleRecord) -> Outcome<()> {
        on_engine!(self, db => db.create_role(role).await)
    }

    /// Deletes a role and every link to it; answers its former holders.
    pub async fn delete_role(&self, name: &str) -> Outcome<Vec<String>> {
        on_engine!(self, db => db.delete_role(name).await)
    }

    /// Gives or takes a role (repeating either is harmless); answers the
    /// user's id.
    pub async fn grant_role(&self, username: &str, role: &str, granted: bool) -> Outcome<String> {
        on_engine!(self, db => db.grant_role(username, role, granted).await)
    }

    /// Creates `role` if missing, adds `new_user` if given, and gives the
    /// role to `username`, in one unit (`create-admin`).
    pub async fn seat_role_holder(
        &self,
        role: RoleRecord,
        new_user: Option<UserRecord>,
        username: &str,
    ) -> Outcome<String> {
        on_engine!(self, db => db.seat_role_holder(role, new_user, username).await)
    }

    // --- tokens ----------------------------------------------------------

    /// Adds a token entry for an enabled user, keeping them under `cap`;
    /// answers what was evicted to make room.
    pub async fn issue_token(&self, record: TokenRecord, cap: Cap) -> Outcome<Revoked> {
        on_engine!(self, db => db.issue_token(record, cap).await)
    }

    /// The entry of a token id, if it is on the list.
    pub async fn token(&self, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
        on_engine!(self, db => db.token(jti).await)
    }

    /// [`Store::token`] on the calling thread: the second read of a check.
    pub fn token_now(&self, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
        on_engine!(self, db => db.token_now(jti))
    }

    /// Every stored entry of a user, newest first.
    pub async fn tokens_of(&self, user_id: &str) -> Result<Vec<TokenRecord>, StoreError> {
        on_engine!(self, db => db.tokens_of(user_id).await)
    }

    /// How many entries a user holds.
    pub async fn count_tokens_of(&self, user_id: &str) -> Result<usize, StoreError> {
        on_engine!(self, db => db.count_tokens_of(user_id).await)
    }

    /// Removes one entry if it belongs to `owner` (anyone's when `None`).
    pub async fn revoke(&self, jti: &str, owner: Option<&str>) -> Outcome<Revoked> {
        on_engine!(self, db => db.revoke(jti, owner).await)
    }

    /// Removes every entry of a user except `keep`.
    pub async fn revoke_all(&self, who: UserKey, keep: Option<String>) -> Outcome<Revoked> {
        on_engine!(self, db => db.revoke_all(who, keep).await)
    }

    /// Adds entries of existing users in bulk, no cap (load tests).
    pub async fn add_tokens(&self, records: Vec<TokenRecord>) -> Result<(), StoreError> {
        on_engine!(self, db => db.add_tokens(records).await)
    }

    // --- upkeep ----------------------------------------------------------

    /// Raises stored last-used times; answers how many changed.
    pub async fn flush_last_used(&self, used: Vec<(String, u64)>) -> Result<usize, StoreError> {
        on_engine!(self, db => db.flush_last_used(used).await)
    }

    /// Removes up to `limit` entries expired at `now`; answers how many.
    pub async fn purge_expired(&self, now: u64, limit: usize) -> Result<usize, StoreError> {
        match &self.engine {
            Engine::Embedded(db) => db
                .purge_expired(now, limit)
                .await
                .map(|owners| owners.len()),
            Engine::Shared(db) => db.purge_expired(now, limit).await,
        }
    }

    /// Users and token entries stored.
    pub async fn totals(&self) -> Result<Totals, StoreError> {
        on_engine!(self, db => db.totals().await)
    }

    /// Whether a write can be made durable right now.
    pub async fn healthy(&self) -> bool {
        on_engine!(self, db => db.healthy().await)
    }

    /// Latency and failures of the shared engine's commands, for metrics.
    pub fn command_stats(&self) -> Option<&CommandStats> {
        match &self.engine {
            Engine::Embedded(_) => None,
            Engine::Shared(db) => Some(db.command_stats()),
        }
    }

    /// Group-commit figures of the embedded engine, for metrics.
    pub fn writer_stats(&self) -> Option<&WriterStats> {
        match &self.engine {
            Engine::Embedded(db) => Some(db.writer_stats()),
            Engine::Shared(_) => None,
        }
    }

    // --- failed logins, shared by the nodes of a shared store -------------

    /// The failure counters of an (account, address); `None` on the
    /// embedded engine, whose single process counts in memory.
    pub async fn login_failures(
        &self,
        account: &str,
        address: &str,
    ) -> Result<Option<FailureCounts>, StoreError> {
        match &self.engine {
            Engine::Embedded(_) => Ok(None),
            Engine::Shared(db) => db.login_failures(account, address).await.map(Some),
        }
    }

    /// Counts a failed login in the device, address and account windows.
    pub async fn count_login_failure(
        &self,
        account: &str,
        address: &str,
        windows: [std::time::Duration; 3],
    ) -> Result<(), StoreError> {
        match &self.engine {
            Engine::Embedded(_) => Ok(()),
            Engine::Shared(db) => db.count_login_failure(account, address, windows).await,
        }
    }

    /// A right password: the device's counter starts afresh and the pair
    /// is known for `known_for`.
    pub async fn login_succeeded(
        &self,
        account: &str,
        address: &str,
        known_for: std::time::Duration,
    ) -> Result<(), StoreError> {
        match &self.engine {
            Engine::Embedded(_) => Ok(()),
            Engine::Shared(db) => db.login_succeeded(account, address, known_for).await,
        }
    }

    // --- transfer --------------------------------------------------------

    /// Hands every record to `emit` from one consistent snapshot, header
    /// and end included, skipping entries expired at `now`; stops at the
    /// first error of `emit`. Blocking.
    pub fn export_now<E: From<StoreError>>(
        &self,
        now: u64,
        emit: impl FnMut(Record) -> Result<(), E>,
    ) -> Result<(), E> {
        on_engine!(self, db => db.export_now(now, emit))
    }

    /// Loads checked records into an empty guest list in one unit: all of
    /// them or, on the first that does not fit, none.
    pub async fn import(&self, records: Vec<Record>) -> Result<Result<u64, Rejected>, StoreError> {
        on_engine!(self, db => db.import(records).await)
    }

    /// Deletes every user, role and token in one unit.
    pub async fn reset(&self) -> Result<(), StoreError> {
        on_engine!(self, db => db.reset().await)
    }
}
