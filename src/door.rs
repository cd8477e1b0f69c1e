//! What a login is refused for before its body is parsed, and how many
//! logins each address and each account may have in flight.
//!
//! bcrypt makes a login the one request that costs the server more than the
//! attacker, so two things are decided as cheaply as possible:
//!
//! - **at the door**, from the client's address and the raw body bytes
//!   alone (no JSON, no allocation when refusing): an address over its
//!   failure budget, an address with its logins in flight, no room left to
//!   wait for bcrypt, or a body identical to one from the same address that
//!   the failure limits refused and whose `Retry-After` has not passed;
//! - **in flight**: at most `per_address` logins of one address and
//!   `per_account` of one account go ahead at once (to bcrypt's queue and
//!   on to their answer); a few more wait their turn, the rest get 429.
//!   With the default of one each, a flood from one address, or against
//!   one account, holds at most one bcrypt slot or place in its queue, so a
//!   login from elsewhere to another account waits for at most that one
//!   before its own (two bcrypt runs). Two people behind one address who
//!   log in at the same moment just take turns.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::sync::Cache;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Logins of a key (an address, an account) in flight: `limit` go ahead,
/// up to [`WAITING`] more wait their turn, the rest are refused. A login
/// takes its turn before it queues for bcrypt, so a key holds at most
/// `limit` places in bcrypt's queue however many logins it sends.
pub struct InFlight {
    limit: u32,
    keys: Mutex<HashMap<String, Key>>,
}

/// Logins a key may have waiting for its turn, beyond its limit.
pub const WAITING: u32 = 4;

struct Key {
    /// Logins registered: going ahead or waiting.
    logins: u32,
    turns: Arc<Semaphore>,
}

/// A login registered for a key; dropping it frees its place.
pub struct Ticket {
    owner: Arc<InFlight>,
    key: String,
    turn: Option<OwnedSemaphorePermit>,
}

impl InFlight {
    pub fn new(limit: u32) -> Arc<InFlight> {
        Arc::new(InFlight {
            limit: limit.max(1),
            keys: Mutex::new(HashMap::new()),
        })
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, HashMap<String, Key>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `key` has no room left, going ahead or waiting (a look).
    pub fn is_full(&self, key: &str) -> bool {
        let keys = self.keys();
        keys.get(key)
            .is_some_and(|k| k.logins >= self.limit + WAITING)
    }

    /// A place for `key`, or `None` when it has no room left. The map
    /// holds only keys with logins in flight.
    pub fn enter(self: &Arc<Self>, key: &str) -> Option<Ticket> {
        let mut keys = self.keys();
        match keys.get_mut(key) {
            Some(k) if k.logins >= self.limit + WAITING => return None,
            Some(k) => k.logins += 1,
            None => {
                let turns = Arc::new(Semaphore::new(self.limit as usize));
                keys.insert(key.to_owned(), Key { logins: 1, turns });
            }
        }
        Some(Ticket {
            owner: self.clone(),
            key: key.to_owned(),
            turn: None,
        })
    }
}

impl Ticket {
    /// Waits until this login may go ahead (first come, first served).
    pub async fn turn(&mut self) {
        if self.turn.is_some() {
            return;
        }
        let turns = self.owner.keys().get(&self.key).map(|k| k.turns.clone());
        if let Some(turns) = turns {
            self.turn = turns.acquire_owned().await.ok();
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        drop(self.turn.take());
        let mut keys = self.owner.keys();
        if let Some(k) = keys.get_mut(&self.key) {
            k.logins -= 1;
            if k.logins == 0 {
                keys.remove(&self.key);
            }
        }
    }
}

/// The last body per address that the failure limits refused, and until
/// when: the same bytes from the same address get the same answer without
/// being parsed. Sound because nothing but a successful login from that
/// address to that account shortens those limits, and these bytes are a
/// login the limits refuse.
pub struct Refusals {
    last: Cache<String, Refused>,
    /// Random keys, so nobody can choose two bodies with one fingerprint.
    keys: RandomState,
}

#[derive(Clone, Copy)]
struct Refused {
    body: u64,
    until: Instant,
}

impl Refusals {
    pub fn new(capacity: u64, window: Duration) -> Refusals {
        Refusals {
            last: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(window)
                .build(),
            keys: RandomState::new(),
        }
    }

    pub fn fingerprint(&self, body: &[u8]) -> u64 {
        self.keys.hash_one(body)
    }

    /// Seconds to wait if `body` from `address` was refused and still is.
    pub fn still_refused(&self, address: &str, body: u64) -> Option<u64> {
        let refused = self.last.get(address).filter(|r| r.body == body)?;
        let left = refused.until.checked_duration_since(Instant::now())?;
        Some(left.as_secs().max(1))
    }

    pub fn remember(&self, address: &str, body: u64, retry_after: u64) {
        let until = Instant::now() + Duration::from_secs(retry_after);
        self.last
            .insert(address.to_owned(), Refused { body, until });
    }

    /// After a successful login from `address`: its limits may have changed.
    pub fn forget(&self, address: &str) {
        self.last.invalidate(address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_goes_ahead_limit_at_a_time_and_waits_or_is_refused_beyond() {
        let in_flight = InFlight::new(1);
        let mut first = in_flight.enter("1.1.1.1").unwrap();
        first.turn().await;
        let mut waiting: Vec<Ticket> = (0..WAITING)
            .map(|_| in_flight.enter("1.1.1.1").unwrap())
            .collect();
        assert!(in_flight.is_full("1.1.1.1"));
        assert!(in_flight.enter("1.1.1.1").is_none());
        assert!(
            in_flight.enter("2.2.2.2").is_some(),
            "another key has its own"
        );
        let next = &mut waiting[0];
        let waited = tokio::time::timeout(std::time::Duration::from_millis(20), next.turn()).await;
        assert!(
            waited.is_err(),
            "the second waits while the first goes ahead"
        );
        drop(first);
        next.turn().await;
        assert!(!in_flight.is_full("1.1.1.1"));
    }

    #[test]
    fn the_map_forgets_keys_with_nothing_in_flight() {
        let in_flight = InFlight::new(1);
        drop(in_flight.enter("a").unwrap());
        assert!(in_flight.keys().is_empty());
    }

    #[test]
    fn only_the_same_body_from_the_same_address_is_refused_again() {
        let refusals = Refusals::new(100, Duration::from_secs(3600));
        let body = refusals.fingerprint(b"{\"username\":\"ann\"}");
        let other = refusals.fingerprint(b"{\"username\":\"bob\"}");
        refusals.remember("1.1.1.1", body, 60);
        let left = refusals.still_refused("1.1.1.1", body).unwrap();
        assert!((1..=60).contains(&left));
        assert_eq!(refusals.still_refused("1.1.1.1", other), None);
        assert_eq!(refusals.still_refused("2.2.2.2", body), None);
        refusals.forget("1.1.1.1");
        assert_eq!(refusals.still_refused("1.1.1.1", body), None);
    }
}
