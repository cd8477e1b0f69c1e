//! Everything a running server shares, built once by [`AppState::open`].

use std::ops::Deref;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::auth::{self, jwt::Keys};
use crate::config::Config;
use crate::gate::Gate;
use crate::logins::LoginLimiter;
use crate::metrics::Metrics;
use crate::secret::{self, SecretError};
use crate::store::{Store, StoreError};
use crate::throttle::{Limits, Throttle};

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
}

/// Keys per failed-login counter: a few MB at most.
const THROTTLE_CAPACITY: u64 = 100_000;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub gate: Gate,
    pub logins: LoginLimiter,
    pub throttle: Throttle,
    pub metrics: Metrics,
    pub token_ttl: Duration,
    pub bcrypt_cost: u32,
    pub config: Config,
    /// Hash checked for unknown users, so they cost the same as a known one.
    dummy_hash: Arc<OnceLock<String>>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Opens the database and the secret in `config.data_dir`.
    pub fn open(config: &Config) -> Result<AppState, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let store = Store::open(&config.data_dir)?;
        let secret = secret::load(&config.data_dir, config.secret.as_deref())?;
        let idle = config.token_idle_ttl.map(|d| d.as_secs().max(1));
        let gate = Gate::new(
            Keys::new(&secret)?,
            store.clone(),
            config.cache_capacity,
            idle,
        );
        let dummy_hash = Arc::new(OnceLock::new());
        warm_dummy_hash(dummy_hash.clone(), config.bcrypt_cost);
        Ok(AppState(Arc::new(Inner {
            store,
            gate,
            logins: LoginLimiter::new(config.login_slots, config.login_queue),
            throttle: Throttle::new(Limits {
                window: config.login_failure_window,
                per_account: config.max_login_failures_per_account,
                per_address: config.max_login_failures_per_address,
                per_device: config.max_login_failures_per_device,
                capacity: THROTTLE_CAPACITY,
            }),
            metrics: Metrics::default(),
            token_ttl: config.token_ttl,
            bcrypt_cost: config.bcrypt_cost,
            config: config.clone(),
            dummy_hash,
        })))
    }

    /// The stand-in hash for unknown users. Blocking the first time only.
    pub fn dummy_hash(&self) -> &str {
        let cost = self.bcrypt_cost;
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
    auth::password::hash("not anybody's password", cost).unwrap_or_default()
}
