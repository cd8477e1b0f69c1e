//! The blocking reads of a check (`*_now`), on plain synchronous
//! connections kept in a small pool.
//!
//! They run on blocking threads, some of them while holding the user
//! registry's lock (the order of reads in a check). Driving them through
//! the async runtime would deadlock under load: the runtime's workers can
//! themselves wait for that lock (a revocation's cache update), and then
//! nothing drives the I/O the lock holder waits for. A synchronous socket
//! needs no runtime. A read that takes longer than `CHECK_TIMEOUT` fails:
//! the check answers 503.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use redis::{Client, Connection};

use super::records::{Fields, token_of, user_of};
use super::stats::CommandStats;
use super::{CHECK_TIMEOUT, Shared};
use crate::store::{StoreError, TokenRecord, UserRecord, fold};

/// Connections kept for reuse; more are opened when all are busy.
const POOL: usize = 16;

#[derive(Default)]
pub(super) struct Checks {
    idle: Mutex<Vec<Connection>>,
}

impl Checks {
    /// Runs `read` on a pooled connection; a failed one is not returned.
    /// Counts into `stats` like the async commands (see `stats`).
    fn with<T>(
        &self,
        client: &Client,
        stats: &CommandStats,
        read: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => open(client).inspect_err(|_| stats.failed())?,
        };
        let started = Instant::now();
        let answer = read(&mut conn);
        stats.answered(started, &answer);
        let answer = answer?;
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < POOL {
            idle.push(conn);
        }
        Ok(answer)
    }
}

/// Connecting waits no longer than a read: a Redis that does not answer
/// (stopped, overloaded) must cost a check `CHECK_TIMEOUT`, not more.
fn open(client: &Client) -> Result<Connection, StoreError> {
    let conn = client.get_connection_with_timeout(CHECK_TIMEOUT)?;
    conn.set_read_timeout(Some(CHECK_TIMEOUT))?;
    conn.set_write_timeout(Some(CHECK_TIMEOUT))?;
    Ok(conn)
}

impl Shared {
    /// One blocking read on a pooled connection.
    fn read_now<T>(
        &self,
        read: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let inner = &self.inner;
        inner.checks.with(&inner.client, &inner.stats, read)
    }

    fn hash_now(&self, key: String) -> Result<Fields, StoreError> {
        self.read_now(|conn| redis::cmd("HGETALL").arg(key).query(conn))
    }

    pub(crate) fn user_now(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError> {
        user_of(&self.hash_now(self.key(&format!("u:{user_id}")))?)
    }

    pub(crate) fn user_named_now(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let key = self.key(&format!("un:{}", fold(username)));
        let id: Option<String> = self.read_now(|conn| redis::cmd("GET").arg(key).query(conn))?;
        match id {
            Some(id) => self.user_now(&id),
            None => Ok(None),
        }
    }

    pub(crate) fn roles_of_now(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let key = self.key(&format!("ur:{user_id}"));
        let mut roles: Vec<String> =
            self.read_now(|conn| redis::cmd("SMEMBERS").arg(key).query(conn))?;
        roles.sort();
        Ok(roles)
    }

    pub(crate) fn identity_now(
        &self,
        user_id: &str,
    ) -> Result<Option<(String, Vec<String>)>, StoreError> {
        let Some(user) = self.user_now(user_id)? else {
            return Ok(None);
        };
        Ok(Some((user.username, self.roles_of_now(user_id)?)))
    }

    pub(crate) fn token_now(&self, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
        token_of(&self.hash_now(self.key(&format!("t:{jti}")))?)
    }
}
