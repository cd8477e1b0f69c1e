use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::sync::Cache;

use super::LiveUser;
use crate::auth::header::SignatureKey;

/// A token proven live: signature verified, entry found in the database.
#[derive(Debug)]
pub struct LiveToken {
    pub jti: String,
    /// Keyed hash of the token's header and payload: a hit must present
    /// exactly the token that was verified, not just its signature.
    pub fingerprint: u64,
    pub user: Arc<LiveUser>,
    /// The user's generation when the entry was checked against the database.
    pub generation: u64,
    /// The freshness epoch when it was checked (see `Freshness`).
    pub epoch: u64,
    pub expires_at: u64,
    /// Unix seconds of the last request, kept here and written in batches.
    pub last_used_at: AtomicU64,
    /// The last-used time already written to the database.
    pub flushed_used_at: AtomicU64,
    /// The user's roles joined with commas, for `/api/v1/verify`'s
    /// `X-Guestlist-Roles`: made on first use, once per entry. A role change
    /// moves the user's generation, so an entry with old roles is not used.
    roles_joined: OnceLock<Box<str>>,
}

impl LiveToken {
    pub fn new(
        jti: String,
        fingerprint: u64,
        user: Arc<LiveUser>,
        (generation, epoch): (u64, u64),
        expires_at: u64,
        used: u64,
    ) -> Self {
        LiveToken {
            jti,
            fingerprint,
            user,
            generation,
            epoch,
            expires_at,
            last_used_at: AtomicU64::new(used),
            flushed_used_at: AtomicU64::new(used),
            roles_joined: OnceLock::new(),
        }
    }

    /// The user's roles, comma-separated, as of this entry.
    pub fn roles_joined(&self) -> &str {
        self.roles_joined
            .get_or_init(|| self.user.roles().join(",").into())
    }

    /// Whether the user's tokens changed since this entry was checked.
    pub fn is_stale(&self) -> bool {
        self.generation != self.user.generation()
    }

    /// Dead by absolute expiry or, with an idle limit, by disuse.
    pub fn is_dead(&self, now: u64, idle_secs: Option<u64>) -> bool {
        let used = self.last_used_at.load(Ordering::Relaxed);
        !crate::rules::token_alive(self.expires_at, used, idle_secs, now)
    }

    /// A last-used time not yet written, if any.
    pub fn unflushed(&self) -> Option<u64> {
        let used = self.last_used_at.load(Ordering::Relaxed);
        (used > self.flushed_used_at.load(Ordering::Relaxed)).then_some(used)
    }

    pub fn mark_flushed(&self, at: u64) {
        self.flushed_used_at.fetch_max(at, Ordering::Relaxed);
    }

    /// Records a use; a plain store only when the second changed.
    pub fn touch(&self, now: u64) {
        if self.last_used_at.load(Ordering::Relaxed) < now {
            self.last_used_at.store(now, Ordering::Relaxed);
        }
    }
}

#[derive(Debug, Clone)]
pub enum Cached {
    Live(Arc<LiveToken>),
    /// Well signed but not on the list; remembered until `expires_at` so a
    /// flood of revoked tokens does not read the database each time.
    Revoked {
        expires_at: u64,
    },
}

impl Cached {
    fn expires_at(&self) -> u64 {
        match self {
            Cached::Live(token) => token.expires_at,
            Cached::Revoked { expires_at } => *expires_at,
        }
    }
}

/// Entries leave the cache when their token expires.
struct UntilTokenExpiry;

impl Expiry<SignatureKey, Cached> for UntilTokenExpiry {
    fn expire_after_create(
        &self,
        _: &SignatureKey,
        value: &Cached,
        _: Instant,
    ) -> Option<Duration> {
        Some(Duration::from_secs(
            value.expires_at().saturating_sub(crate::time::now_secs()),
        ))
    }

    fn expire_after_update(
        &self,
        key: &SignatureKey,
        value: &Cached,
        at: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        self.expire_after_create(key, value, at)
    }
}

#[derive(Clone)]
pub struct TokenCache {
    entries: Cache<SignatureKey, Cached>,
}

impl TokenCache {
    pub fn new(capacity: u64) -> TokenCache {
        let entries = Cache::builder()
            .max_capacity(capacity)
            .expire_after(UntilTokenExpiry)
            .build();
        TokenCache { entries }
    }

    /// The hit path: one hash lookup and an `Arc` clone.
    #[inline]
    pub fn get(&self, key: &SignatureKey) -> Option<Cached> {
        self.entries.get(key)
    }

    pub fn insert(&self, key: SignatureKey, value: Cached) {
        self.entries.insert(key, value);
    }

    pub fn len(&self) -> u64 {
        self.entries.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Live entries, for flushing last-used times.
    pub fn live_entries(&self) -> impl Iterator<Item = Arc<LiveToken>> + '_ {
        self.entries.iter().filter_map(|(_, v)| match v {
            Cached::Live(token) => Some(token),
            Cached::Revoked { .. } => None,
        })
    }

    /// In-memory last-used times of the live entries of the users `wanted`
    /// picks, by jti (the latest when a token has several entries). Walks
    /// the whole cache, so it is for rare callers (listings, a login at the
    /// cap), never for the hit path, which stays one lookup.
    pub fn uses_of(&self, wanted: impl Fn(&str) -> bool) -> HashMap<String, u64> {
        let mut uses = HashMap::new();
        for token in self.live_entries().filter(|t| wanted(&t.user.id)) {
            let at = token.last_used_at.load(Ordering::Relaxed);
            let seen = uses.entry(token.jti.clone()).or_insert(at);
            *seen = (*seen).max(at);
        }
        uses
    }

    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    /// moka's housekeeping: buffered reads and writes applied to its LRU
    /// and frequency records, expired entries dropped. moka does it on
    /// whichever request finds 64 records buffered (or 300 ms passed);
    /// the maintenance task calls this often enough that requests seldom do.
    pub fn run_pending_tasks(&self) {
        self.entries.run_pending_tasks();
    }
}
