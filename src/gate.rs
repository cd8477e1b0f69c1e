//! The check at the door of every protected request.
//!
//! Hit path ([`Gate::admit`] when the token's signature is cached and its
//! user's generation unchanged): parse the header, one cache lookup, two
//! atomic loads, the role from memory. No allocation, no lock, no database,
//! no signature verification: the signature bytes were proven when the
//! entry was filled, and an exact match on them cannot be forged.
//!
//! Miss path: verify the JWT strictly, then on the blocking pool read the
//! user's generation *before* reading the token entry, and fill the cache
//! stamped with that generation. A revocation commits, then bumps the
//! generation, so a fill that raced it is stale on arrival and is rechecked.

mod hit;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::auth::header::{self, Presented, SignatureKey};
use crate::auth::jwt::{Claims, Keys};
use crate::cache::{Cached, Freshness, LiveToken, LiveUser, TokenCache, UserRegistry};
use crate::store::{Store, StoreError, TokenRecord};
use crate::time::now_secs;

/// Why a request is not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    NoCredentials,
    Invalid,
    Forbidden,
    Unavailable,
}

/// Counters of the check, read by the metrics endpoint.
#[derive(Debug, Default)]
pub struct GateStats {
    /// Striped: bumped on every hit by every worker.
    pub hits: crate::striped::Striped,
    pub misses: AtomicU64,
}

#[derive(Clone)]
pub struct Gate {
    keys: Arc<Keys>,
    tokens: TokenCache,
    users: Arc<UserRegistry>,
    store: Store,
    stats: Arc<GateStats>,
    /// Seconds of disuse after which a token dies, if limited.
    idle_secs: Option<u64>,
    /// Random keys for token fingerprints, fixed for the process.
    fingerprints: std::hash::RandomState,
    /// This gate among the gates of the process (the front is per thread,
    /// and tests run several servers in one process).
    id: u64,
    /// Moved by `forget_all`: the front's entries from before are not used.
    cleared: Arc<AtomicU64>,
    /// With a shared store: how long cached entries are trusted.
    link: Option<Arc<Freshness>>,
}

impl Gate {
    pub fn new(
        keys: Keys,
        store: Store,
        cache_capacity: u64,
        idle_secs: Option<u64>,
        link: Option<Arc<Freshness>>,
    ) -> Gate {
        static GATES: AtomicU64 = AtomicU64::new(0);
        Gate {
            id: GATES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            cleared: Arc::default(),
            link,
            idle_secs,
            fingerprints: std::hash::RandomState::new(),
            keys: Arc::new(keys),
            tokens: TokenCache::new(cache_capacity),
            users: Arc::new(UserRegistry::default()),
            store,
            stats: Arc::default(),
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn tokens(&self) -> &TokenCache {
        &self.tokens
    }

    pub fn stats(&self) -> &GateStats {
        &self.stats
    }

    /// Admits the holder of `authorization` if their token is live and, when
    /// `role` is given, they hold that role right now: the hit path
    /// ([`Gate::admit_cached`]), else the miss path.
    pub async fn admit(
        &self,
        authorization: Option<&[u8]>,
        role: Option<&str>,
    ) -> Result<Arc<LiveToken>, Denied> {
        if let Some(verdict) = self.admit_cached(authorization, role, Arc::clone) {
            return verdict;
        }
        // The hit path answered every header that is not a well-shaped token.
        let Some(Presented::Token { token, key }) = authorization.map(header::parse) else {
            return Err(Denied::Invalid);
        };
        let now = now_secs();
        let live = (self.verify_and_fill(token, key, self.fingerprint(token), now)).await?;
        match role {
            Some(role) if !live.user.has_role(role) => Err(Denied::Forbidden),
            _ => Ok(live),
        }
    }

    /// Keyed hash of everything before the signature.
    #[inline]
    pub fn fingerprint(&self, token: &str) -> u64 {
        use std::hash::BuildHasher;
        let signed = token.len().saturating_sub(header::SIGNATURE_LEN);
        self.fingerprints.hash_one(&token.as_bytes()[..signed])
    }

    async fn verify_and_fill(
        &self,
        token: &str,
        key: SignatureKey,
        fingerprint: u64,
        now: u64,
    ) -> Result<Arc<LiveToken>, Denied> {
        self.stats
            .misses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Forged and expired tokens stop here: no database, no cache entry.
        let claims = self.keys.verify(token, now).map_err(|_| Denied::Invalid)?;
        let (users, store) = (self.users.clone(), self.store.clone());
        let exp = claims.exp;
        // Read before the store, like the generation: a gap after this
        // makes the entry stale.
        let epoch = self.epoch();
        let trusted = self.link.as_ref().is_none_or(|l| l.is_fresh());
        // The stream reader could not reach the store: asking it would
        // only wait for a timeout before the same 503.
        if !trusted && self.link.as_ref().is_some_and(|l| l.unreachable()) {
            return Err(Denied::Unavailable);
        }
        let found = tokio::task::spawn_blocking(move || look_up(&store, &users, &claims, trusted))
            .await
            .map_err(|_| StoreError::TaskFailed)
            .and_then(|found| found)
            .map_err(|err| {
                tracing::warn!(%err, "token check could not read the database");
                Denied::Unavailable
            })?;
        match found {
            Some((user, generation, record)) => {
                let expires_at = record.expires_at.min(exp);
                let live = LiveToken::new(
                    record.jti,
                    fingerprint,
                    user,
                    (generation, epoch),
                    expires_at,
                    record.last_used_at,
                );
                if live.is_dead(now, self.idle_secs) {
                    return Err(Denied::Invalid);
                }
                live.touch(now);
                let live = Arc::new(live);
                self.tokens.insert(key, Cached::Live(live.clone()));
                Ok(live)
            }
            None => {
                self.tokens.insert(key, Cached::Revoked { expires_at: exp });
                Err(Denied::Invalid)
            }
        }
    }

    /// Puts a token just issued into the cache, stamped with a generation
    /// read before its entry was committed.
    pub fn prefill(&self, token: &str, user: Arc<LiveUser>, generation: u64, record: &TokenRecord) {
        let Presented::Token { token, key } = header::parse(token.as_bytes()) else {
            return;
        };
        let (jti, used) = (record.jti.clone(), record.last_used_at);
        let fingerprint = self.fingerprint(token);
        let stamp = (generation, self.epoch());
        let live = LiveToken::new(jti, fingerprint, user, stamp, record.expires_at, used);
        self.tokens.insert(key, Cached::Live(Arc::new(live)));
    }

    /// The shared in-memory user, loading it if needed. Blocking.
    pub fn live_user(&self, user_id: &str) -> Result<Option<Arc<LiveUser>>, StoreError> {
        self.users
            .get_or_load(user_id, || load_user(&self.store, user_id))
    }

    /// Call after a committed revocation of any of `user_id`'s tokens,
    /// before answering: their cached entries must be rechecked.
    pub fn revoked(&self, user_id: &str) {
        self.users.bump(user_id);
    }

    /// Call after a committed role change, before answering. Blocking.
    /// The user's cached entries are then rechecked too: they carry what
    /// `/api/v1/verify` answers about the roles.
    pub fn roles_changed(&self, user_id: &str) -> Result<(), StoreError> {
        self.users
            .refresh_roles(user_id, || self.store.roles_of_now(user_id))?;
        self.users.bump(user_id);
        Ok(())
    }

    /// Forgets every cached token, so the next check of each reads the
    /// store (tests and benches measure the miss path with it).
    pub fn forget_all(&self) {
        self.cleared
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.tokens.clear();
    }

    /// After a gap in what this node heard from the others: every entry
    /// and every in-memory user is rechecked against the store.
    pub fn forget_everything(&self) {
        if let Some(link) = &self.link {
            link.gap();
        }
        self.users.forget_all();
        self.forget_all();
    }

    /// The freshness of a shared store's cache, if the store is shared.
    pub fn link(&self) -> Option<&Arc<Freshness>> {
        self.link.as_ref()
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.link.as_ref().map_or(0, |l| l.epoch())
    }
}

fn load_user(store: &Store, user_id: &str) -> Result<Option<(String, Vec<String>)>, StoreError> {
    store.identity_now(user_id)
}

/// Blocking half of the miss path. The order of reads is the point. When
/// the cache is not `trusted` (a shared store not heard from within the
/// bound), the user's roles are read again too: a role taken on another
/// node may not have reached this one.
fn look_up(
    store: &Store,
    users: &UserRegistry,
    claims: &Claims,
    trusted: bool,
) -> Result<Option<(Arc<LiveUser>, u64, TokenRecord)>, StoreError> {
    let Some(user) = users.get_or_load(&claims.sub, || load_user(store, &claims.sub))? else {
        return Ok(None);
    };
    if !trusted {
        users.refresh_roles(&claims.sub, || store.roles_of_now(&claims.sub))?;
    }
    let generation = user.generation();
    let record = store.token_now(&claims.jti)?;
    Ok(record
        .filter(|r| r.user_id == claims.sub)
        .map(|r| (user, generation, r)))
}
