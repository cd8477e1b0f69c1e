//! Everything a running server shares, built once by [`AppState::open`].

use std::ops::Deref;
use std::sync::Arc;

use crate::auth::{self, jwt::Keys};
use crate::cache::Freshness;
use crate::config::Config;
use crate::gate::Gate;
use crate::metrics::Metrics;
use crate::secret::{self, SecretError};
use crate::store::{Store, StoreError};
use crate::usecases::GuestList;

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
    #[error(
        "with a shared store every node needs the same signing secret: set GUESTLIST_SECRET (at least 32 bytes) on each"
    )]
    SharedSecretMissing,
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    /// The use cases, which every handler calls.
    pub guests: GuestList,
    /// The check of the hit path, which the authentication filter calls.
    pub gate: Gate,
    pub metrics: Arc<Metrics>,
    pub config: Config,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Opens the store of `config` (the database in `config.data_dir`, or
    /// the shared Redis) and the signing secret.
    pub async fn open(config: &Config) -> Result<AppState, StartError> {
        let (store, secret) = open_store(config).await?;
        let link = store
            .is_shared()
            .then(|| Arc::new(Freshness::new(config.max_staleness)));
        let gate = Gate::new(
            Keys::new(&secret)?,
            store.clone(),
            config.cache_capacity,
            config.idle_secs(),
            link,
        );
        let metrics = Arc::new(Metrics::default());
        let guests = GuestList::serving(store, gate.clone(), metrics.clone(), config);
        Ok(AppState(Arc::new(Inner {
            guests,
            gate,
            metrics,
            config: config.clone(),
        })))
    }
}

/// The store and the signing secret. A shared store needs the secret from
/// the environment (the same on every node), and checks that the nodes
/// before this one signed with it too.
async fn open_store(config: &Config) -> Result<(Store, Vec<u8>), StartError> {
    if let Some(shared) = &config.shared {
        let secret = config
            .secret
            .clone()
            .ok_or(StartError::SharedSecretMissing)?;
        let secret = secret::check(secret)?;
        let store = Store::connect(shared).await?;
        store.agree_on_secret(&secret::fingerprint(&secret)).await?;
        return Ok((store, secret));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    let store = Store::open(&config.data_dir)?;
    let secret = secret::load(&config.data_dir, config.secret.as_deref())?;
    Ok((store, secret))
}
