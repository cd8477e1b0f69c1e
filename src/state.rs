//! Everything a running server shares, built once by [`AppState::open`].

use std::ops::Deref;
use std::sync::Arc;

use crate::auth::{self, jwt::Keys};
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
    /// Opens the database and the secret in `config.data_dir`.
    pub fn open(config: &Config) -> Result<AppState, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let store = Store::open(&config.data_dir)?;
        let secret = secret::load(&config.data_dir, config.secret.as_deref())?;
        let gate = Gate::new(
            Keys::new(&secret)?,
            store.clone(),
            config.cache_capacity,
            config.idle_secs(),
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
