//! `guestlist tokens mint`: live tokens in bulk for load tests, offline.
//!
//! Speed comes from batching: [`BATCH`] tokens are signed and inserted in
//! one write transaction (the store sorts each table's rows by its key). A
//! token is written to `out` only after its batch committed durably, so the
//! file never names a token the store does not hold.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::auth::jwt::{Claims, ISSUER, Keys};
use crate::auth::{AuthError, ids, password};
use crate::store::{Refusal, Store, StoreError, TokenRecord, UserRecord};
use crate::time::{now_micros, now_secs};

/// Tokens per write transaction. The tokens table is keyed by random jtis,
/// so every batch rewrites (copy on write) most leaf pages of the table:
/// fewer, larger batches write far less. Measured for 1M tokens: 20k per
/// batch 79 s, 200k per batch 44 s (BENCHMARKS.md); RSS stays ≈ 200 MB.
const BATCH: u64 = 200_000;

#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("writing the tokens: {0}")]
    Io(#[from] std::io::Error),
    #[error("the load-test user {0} exists but cannot hold tokens ({1:?})")]
    Refused(String, Refusal),
}

/// What was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintReport {
    pub users_created: u64,
    pub tokens: u64,
    pub elapsed: Duration,
}

/// The name of the `i`th load-test user.
pub fn user_name(i: u64) -> String {
    format!("mint-user-{i}")
}

/// Creates (or reuses) `users` load-test users and `count` tokens spread over
/// them round-robin, valid for `ttl`, writing one token per line to `out`.
pub async fn mint(
    store: &Store,
    keys: &Keys,
    ttl: Duration,
    count: u64,
    users: u64,
    out: &mut dyn Write,
) -> Result<MintReport, MintError> {
    let started = Instant::now();
    let (user_ids, users_created) = ensure_users(store, users).await?;
    let mut made = 0;
    while made < count {
        let n = BATCH.min(count - made);
        let mut batch = Vec::with_capacity(n as usize);
        for k in made..made + n {
            batch.push(sign(keys, &user_ids[(k % users) as usize], ttl)?);
        }
        let records: Vec<TokenRecord> = batch.iter().map(|(_, r)| r.clone()).collect();
        store.add_tokens(records).await?;
        for (token, _) in &batch {
            writeln!(out, "{token}")?;
        }
        made += n;
    }
    Ok(MintReport {
        users_created,
        tokens: made,
        elapsed: started.elapsed(),
    })
}

/// The ids of `mint-user-0..users`, creating the missing ones in one unit.
/// Their password is random and thrown away, so nobody can log in as them;
/// its hash is computed once at the lowest cost, because a 256-bit random
/// password needs no key stretching.
async fn ensure_users(store: &Store, users: u64) -> Result<(Vec<String>, u64), MintError> {
    let unknown = ids::random_bytes(32)?;
    let hash = password::hash(&hex(&unknown), 4)?;
    let now = now_secs();
    let mut wanted = Vec::with_capacity(users as usize);
    for i in 0..users {
        let username = user_name(i);
        wanted.push(UserRecord {
            id: ids::random_id()?,
            email: format!("{username}@mint.invalid"),
            username,
            password_hash: hash.clone(),
            created_at: now,
            disabled: false,
        });
    }
    let new_ids: std::collections::HashSet<String> = wanted.iter().map(|u| u.id.clone()).collect();
    let stored = store.sign_up_many(wanted).await?;
    let mut ids = Vec::with_capacity(stored.len());
    let mut created = 0;
    for (i, user) in stored.into_iter().enumerate() {
        match user {
            Ok(user) if !user.disabled => {
                created += u64::from(new_ids.contains(&user.id));
                ids.push(user.id);
            }
            Ok(_) => return Err(MintError::Refused(user_name(i as u64), Refusal::NoSuchUser)),
            Err(refusal) => return Err(MintError::Refused(user_name(i as u64), refusal)),
        }
    }
    Ok((ids, created))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One signed token and the entry that makes it live, as login makes them.
fn sign(keys: &Keys, user_id: &str, ttl: Duration) -> Result<(String, TokenRecord), AuthError> {
    let now = now_secs();
    let jti = ids::random_id()?;
    let expires_at = now + ttl.as_secs();
    let claims = Claims {
        sub: user_id.to_owned(),
        jti: jti.clone(),
        iat: now,
        exp: expires_at,
        iss: ISSUER.into(),
    };
    let token = keys.issue(&claims)?;
    let record = TokenRecord {
        jti,
        user_id: user_id.to_owned(),
        description: "minted for a load test".into(),
        user_agent: String::new(),
        ip: String::new(),
        created_at: now,
        created_us: now_micros(),
        last_used_at: now,
        expires_at,
    };
    Ok((token, record))
}
