//! The shared engine: the guest list in one Redis (or Valkey) primary that
//! several guestlist nodes use at once.
//!
//! Every write is one call of the Lua library `guestlist.lua`: atomic, and
//! with `appendfsync always` written to the append-only file before Redis
//! replies, so an answer is durable. A change the other nodes' caches must
//! learn of (a revocation, a role change) appends an event to a stream in
//! the same call: there is no moment when it is committed but not
//! announced. [`feed`] reads that stream for a node.
//!
//! The blocking `*_now` reads of a check use synchronous connections
//! ([`checks`]); the blocking export runs the async reads on the runtime
//! that opened the engine, from a thread that holds no lock. Every command
//! is timed and its failures counted ([`stats`]), for `/metrics`.

mod checks;
mod feed;
mod guests;
mod limits;
mod records;
mod sessions;
mod stats;
mod transfer;

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{AsyncConnectionConfig, Client, Script};

pub use feed::{Batch, Change, Feed};
pub use stats::CommandStats;

use super::StoreError;

/// How to reach and use the shared engine.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: String,
    /// Namespaces every key, so one Redis can hold several deployments.
    pub prefix: String,
    /// Start even if Redis may lose acknowledged writes (no AOF fsync).
    pub accept_weak_durability: bool,
}

/// Commands that take longer than this are failures (the node answers 503).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// The reads of a check wait less: past the staleness bound a check that
/// Redis cannot answer at once is a 503 soon, not seconds later.
const CHECK_TIMEOUT: Duration = Duration::from_millis(200);
/// How late past its block time a stream read may answer.
const FEED_SLACK: Duration = Duration::from_millis(250);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub(super) struct Shared {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    conn: ConnectionManager,
    /// Synchronous connections for the blocking reads of a check.
    checks: checks::Checks,
    prefix: String,
    script: Script,
    runtime: tokio::runtime::Handle,
    url_shown: String,
    stats: CommandStats,
}

impl Shared {
    /// Connects, refuses a Redis that may lose acknowledged writes, and
    /// marks the data set with an incarnation if it has none.
    pub(super) async fn connect(settings: &Settings) -> Result<Shared, StoreError> {
        install_tls_provider();
        let client = Client::open(settings.url.as_str()).map_err(StoreError::Redis)?;
        let conn = manager(&client, RESPONSE_TIMEOUT).await?;
        let shared = Shared {
            inner: Arc::new(Inner {
                url_shown: shown(&settings.url),
                client,
                conn,
                checks: checks::Checks::default(),
                prefix: settings.prefix.clone(),
                script: Script::new(include_str!("guestlist.lua")),
                runtime: tokio::runtime::Handle::current(),
                stats: CommandStats::default(),
            }),
        };
        if !settings.accept_weak_durability {
            shared.check_durability().await?;
        }
        shared.mark_incarnation().await?;
        Ok(shared)
    }

    pub(super) fn location(&self) -> String {
        format!("{} (prefix {})", self.inner.url_shown, self.inner.prefix)
    }

    /// The data connection (multiplexed: a clone is a handle on it), timed.
    fn conn(&self) -> stats::Timed<'_> {
        stats::Timed {
            conn: self.inner.conn.clone(),
            stats: &self.inner.stats,
        }
    }

    pub(super) fn command_stats(&self) -> &CommandStats {
        &self.inner.stats
    }

    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.inner.prefix)
    }

    /// One call of the Lua library: `op` with `args`.
    async fn call<T: redis::FromRedisValue>(
        &self,
        op: &str,
        args: &[String],
    ) -> Result<T, StoreError> {
        let mut invocation = self.inner.script.prepare_invoke();
        invocation.arg(&self.inner.prefix).arg(op);
        for arg in args {
            invocation.arg(arg);
        }
        let mut conn = self.conn();
        invocation
            .invoke_async(&mut conn)
            .await
            .map_err(StoreError::Redis)
    }

    /// Runs an async operation to its end from a blocking thread.
    fn now<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        self.inner.runtime.block_on(work)
    }

    /// The settings of `CONFIG GET` that make an answer durable.
    async fn check_durability(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let mut weak = Vec::new();
        for (name, wanted) in [
            ("appendonly", "yes"),
            ("appendfsync", "always"),
            ("maxmemory-policy", "noeviction"),
        ] {
            let pair: Vec<String> = redis::cmd("CONFIG")
                .arg("GET")
                .arg(name)
                .query_async(&mut conn)
                .await
                .map_err(StoreError::Redis)?;
            let found = pair.get(1).map(String::as_str).unwrap_or("(unset)");
            if found != wanted {
                weak.push(format!("{name} is {found}, not {wanted}"));
            }
        }
        match weak.is_empty() {
            true => Ok(()),
            false => Err(StoreError::WeakDurability(weak.join(", "))),
        }
    }

    async fn mark_incarnation(&self) -> Result<(), StoreError> {
        let id = crate::auth::ids::random_id().map_err(|e| StoreError::Random(e.to_string()))?;
        let mut conn = self.conn();
        redis::cmd("HSETNX")
            .arg(self.key("meta"))
            .arg("incarnation")
            .arg(id)
            .query_async::<i64>(&mut conn)
            .await
            .map_err(StoreError::Redis)?;
        Ok(())
    }

    /// Compares `fingerprint` with the one the first node left; keeps it
    /// if it is the first. A node with another secret would accept tokens
    /// nobody else does, and refuse theirs.
    pub(super) async fn agree_on_secret(&self, fingerprint: &str) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let key = self.key("meta");
        let _: i64 = redis::cmd("HSETNX")
            .arg(&key)
            .arg("secret_fingerprint")
            .arg(fingerprint)
            .query_async(&mut conn)
            .await
            .map_err(StoreError::Redis)?;
        let kept: Option<String> = redis::cmd("HGET")
            .arg(&key)
            .arg("secret_fingerprint")
            .query_async(&mut conn)
            .await
            .map_err(StoreError::Redis)?;
        match kept.as_deref() == Some(fingerprint) {
            true => Ok(()),
            false => Err(StoreError::SecretMismatch),
        }
    }

    pub(super) async fn healthy(&self) -> bool {
        let mut conn = self.conn();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok()
    }

    /// A dedicated connection for the feed: `XREAD BLOCK` holds it. A read
    /// not answered within its block time plus [`FEED_SLACK`] means the
    /// store does not answer (stopped, unreachable).
    async fn dedicated(
        &self,
        block: Duration,
    ) -> Result<redis::aio::MultiplexedConnection, StoreError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CHECK_TIMEOUT))
            .set_response_timeout(Some(block + FEED_SLACK));
        self.inner
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(StoreError::Redis)
    }
}

async fn manager(client: &Client, timeout: Duration) -> Result<ConnectionManager, StoreError> {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(timeout))
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_number_of_retries(1);
    Ok(client.get_connection_manager_with_config(config).await?)
}

/// rediss://: rustls takes a process-wide crypto provider, ring here
/// (Cargo.toml). rustls 0.23.48 deprecates ring's provider for lacking
/// post-quantum key exchange; TLS 1.3 with X25519 is what it offers. The
/// install fails only when a provider is installed already: as good.
#[allow(deprecated)]
fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The URL without its password, for messages.
fn shown(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
