//! The use cases: one function per thing a user or an administrator does,
//! called alike by the HTTP API (`api`) and the command line (`cli`).
//!
//! This layer owns
//! - the rules of what may be sent (through `rules`, one definition each);
//! - the one meaning of a live token ([`GuestList::is_live`]: not expired,
//!   not idle past the limit; disabled and deleted users hold none);
//! - the one sequence of every revocation ([`GuestList::revoked`]): the
//!   store commits durably, then the cache is made to recheck the user's
//!   tokens, then the revocation is counted, and only then the caller
//!   answers. No handler and no command writes that sequence itself.
//!
//! A server's `GuestList` has a [`Gate`] (the cache of the hit path); the
//! offline commands' has none: the database is theirs alone while they run
//! (redb's lock), so no cache anywhere can hold what they change.

mod accounts;
mod admin;
mod devices;
mod door;
mod error;
mod limits;
pub mod mint;
mod views;

use std::sync::{Arc, OnceLock};

pub use accounts::{Issued, LogIn, Profile, SignUp};
pub use admin::{AdminSeat, PAGE_MAX, Page};
pub use door::Admitted;
pub use error::{Conflict, Error, Missing};
pub use views::{Device, UserSummary};

use crate::config::{Config, TokenLimit};
use crate::door::{InFlight, Refusals};
use crate::gate::Gate;
use crate::logins::LoginLimiter;
use crate::metrics::Metrics;
use crate::store::{Revoked, Store, StoreError, TokenRecord};
use crate::throttle::{Limits, Throttle};

/// Keys per failed-login counter: a few MB at most.
const THROTTLE_CAPACITY: u64 = 100_000;

/// Who is calling: user agent and address, as the API resolved them.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub user_agent: String,
    pub ip: String,
}

/// The use cases, over one store. Cheap to clone.
#[derive(Clone)]
pub struct GuestList {
    store: Store,
    gate: Option<Gate>,
    metrics: Arc<Metrics>,
    logins: LoginLimiter,
    throttle: Arc<Throttle>,
    /// Logins between the door and their answer, per address, per account.
    addresses: Arc<InFlight>,
    accounts: Arc<InFlight>,
    /// Bodies the failure limits refused, answered again at the door.
    refusals: Arc<Refusals>,
    config: Arc<Config>,
    /// Hash checked for unknown users, so they cost the same as a known one.
    dummy_hash: Arc<OnceLock<String>>,
}

impl GuestList {
    /// The use cases of a server: revocations reach `gate`'s cache.
    pub fn serving(store: Store, gate: Gate, metrics: Arc<Metrics>, config: &Config) -> GuestList {
        let guests = GuestList::new(store, Some(gate), metrics, config);
        warm_dummy_hash(guests.dummy_hash.clone(), config.bcrypt_cost);
        guests
    }

    /// The use cases of the offline commands: no cache to keep in step.
    pub fn offline(store: Store, config: &Config) -> GuestList {
        GuestList::new(store, None, Arc::default(), config)
    }

    fn new(store: Store, gate: Option<Gate>, metrics: Arc<Metrics>, config: &Config) -> GuestList {
        GuestList {
            store,
            gate,
            metrics,
            logins: LoginLimiter::new(config.login_slots, config.login_queue),
            throttle: Arc::new(Throttle::new(Limits {
                window: config.login_failure_window,
                per_account: config.max_login_failures_per_account,
                per_address: config.max_login_failures_per_address,
                per_device: config.max_login_failures_per_device,
                capacity: THROTTLE_CAPACITY,
            })),
            addresses: InFlight::new(config.max_logins_in_flight_per_address),
            accounts: InFlight::new(config.max_logins_in_flight_per_account),
            refusals: Arc::new(Refusals::new(
                THROTTLE_CAPACITY,
                config.login_failure_window,
            )),
            config: Arc::new(config.clone()),
            dummy_hash: Arc::new(OnceLock::new()),
        }
    }

    /// bcrypt computations finished (password checks and hashes).
    pub fn password_checks(&self) -> u64 {
        self.logins.done()
    }

    /// The store, for what is not a use case: health, figures, the export
    /// stream's blocking walk.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The one revocation sequence. `committed` is the store's answer,
    /// already durable; the cache rechecks the user's tokens before anybody
    /// is answered, then the revocation is counted.
    fn revoked(&self, committed: &Revoked) {
        if let Some(gate) = &self.gate {
            gate.revoked(&committed.user_id);
        }
        self.metrics.revoked(committed.tokens as u64);
    }

    /// After a committed role change, before answering: the hit path must
    /// see the user's roles as they now are. Blocking work off the workers.
    async fn roles_changed(&self, user_ids: Vec<String>) -> Result<(), Error> {
        let Some(gate) = self.gate.clone() else {
            return Ok(());
        };
        let refresh = move || user_ids.iter().try_for_each(|id| gate.roles_changed(id));
        tokio::task::spawn_blocking(refresh)
            .await
            .map_err(|_| StoreError::TaskFailed)??;
        Ok(())
    }

    /// The one meaning of a live entry at `now`: not expired and, with an
    /// idle limit, used within it. `used` is the latest use seen in memory,
    /// which may be newer than the stored one (written in batches).
    pub fn is_live(&self, record: &TokenRecord, used: u64, now: u64) -> bool {
        let last_used = record.last_used_at.max(used);
        let idle = self.config.idle_secs();
        crate::rules::token_alive(record.expires_at, last_used, idle, now)
    }

    fn cap_policy(&self) -> (usize, bool) {
        let evict = self.config.on_token_limit == TokenLimit::Evict;
        (self.config.max_tokens_per_user, evict)
    }

    /// The stand-in hash for unknown users. Blocking the first time only.
    fn dummy_hash(&self) -> &str {
        let cost = self.config.bcrypt_cost;
        self.dummy_hash.get_or_init(|| make_dummy_hash(cost))
    }
}

/// Computes the dummy hash on its own thread so start-up does not wait.
fn warm_dummy_hash(cell: Arc<OnceLock<String>>, cost: u32) {
    let spawned = std::thread::Builder::new()
        .name("guestlist-warmup".into())
        .spawn(move || cell.get_or_init(|| make_dummy_hash(cost)).len());
    if let Err(err) = spawned {
        tracing::debug!(%err, "dummy hash will be computed on first use");
    }
}

fn make_dummy_hash(cost: u32) -> String {
    let hashed = crate::auth::password::hash("not anybody's password", cost);
    hashed.unwrap_or_else(|err| {
        // Unknown users are then answered faster than known ones.
        tracing::error!(%err, "the stand-in hash for unknown users failed");
        String::new()
    })
}
