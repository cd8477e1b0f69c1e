//! Token entries (by jti), the per-user index and the expiry index. Knows
//! no other table; operations that span tables are in `sessions`. Ids are
//! stored as `compact::id` makes them; callers pass and get text.

use redb::{ReadTransaction, ReadableMultimapTable, ReadableTable, Table, WriteTransaction};

use super::compact::{self, id, id_text};
use super::tables::*;
use crate::store::{Cap, Refusal, StoreError, TokenRecord};

pub(super) fn get(txn: &ReadTransaction, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
    let key = id(jti);
    let found = txn.open_table(TOKENS)?.get(key.as_slice())?;
    found
        .map(|value| compact::record(&key, value.value()))
        .transpose()
}

/// The entries a per-user index names that are still stored: the index may
/// name revoked ones (see `tables::TOKEN_EXPIRY`).
fn stored_of(
    index: &impl ReadableMultimapTable<&'static [u8], &'static [u8]>,
    tokens: &impl ReadableTable<&'static [u8], &'static [u8]>,
    user_id: &str,
) -> Result<Vec<TokenRecord>, StoreError> {
    let mut out = Vec::new();
    for jti in index.get(id(user_id).as_slice())? {
        let jti = jti?;
        if let Some(value) = tokens.get(jti.value())? {
            out.push(compact::record(jti.value(), value.value())?);
        }
    }
    Ok(out)
}

/// Every entry of one user, newest first.
pub(super) fn of_user(
    txn: &ReadTransaction,
    user_id: &str,
) -> Result<Vec<TokenRecord>, StoreError> {
    let index = txn.open_multimap_table(USER_TOKENS)?;
    let mut out = stored_of(&index, &txn.open_table(TOKENS)?, user_id)?;
    out.sort_by(|a, b| {
        (b.created_at, b.created_us, &b.jti).cmp(&(a.created_at, a.created_us, &a.jti))
    });
    Ok(out)
}

/// How many entries a user holds, without reading them.
pub(super) fn count_of_user(txn: &ReadTransaction, user_id: &str) -> Result<usize, StoreError> {
    let held = txn.open_table(TOKENS_HELD)?;
    let count = held.get(id(user_id).as_slice())?.map_or(0, |n| n.value());
    Ok(count as usize)
}

/// Entries still held that expired at or before `now` (the purge has not
/// reached them yet), counted by owner. Walks only the expired end of the
/// expiry index: about one purge interval's worth while a server runs.
pub(super) fn expired_held(
    txn: &ReadTransaction,
    now: u64,
) -> Result<std::collections::HashMap<String, usize>, StoreError> {
    let index = txn.open_table(TOKEN_EXPIRY)?;
    let tokens = txn.open_table(TOKENS)?;
    let mut counts = std::collections::HashMap::new();
    let (first, past): (&[u8], &[u8]) = (&[], &[]);
    for row in index.range((0u64, first)..(now.saturating_add(1), past))? {
        let (key, user) = row?;
        if tokens.get(key.value().1)?.is_some() {
            *counts.entry(id_text(user.value())?).or_default() += 1;
        }
    }
    Ok(counts)
}

/// Adds `delta` to a user's count of entries (a row at zero goes).
fn count_change(
    held: &mut Table<&'static [u8], u64>,
    user: &[u8],
    delta: i64,
) -> Result<(), StoreError> {
    let before = held.get(user)?.map_or(0, |n| n.value());
    match before.saturating_add_signed(delta) {
        0 => held.remove(user)?.map(drop),
        after => held.insert(user, after)?.map(drop),
    };
    Ok(())
}

/// Whether an entry with this id is stored (inside a write).
pub(super) fn exists(txn: &WriteTransaction, jti: &str) -> Result<bool, StoreError> {
    Ok(txn.open_table(TOKENS)?.get(id(jti).as_slice())?.is_some())
}

/// Writes entries and their two index rows as they are: no cap, no check
/// of the user. Opens each table once and inserts into each in its own key
/// order, for bulk loads: each B-tree page is then rewritten once per call,
/// not once per entry that lands on it.
pub(super) fn put_all(txn: &WriteTransaction, records: &[TokenRecord]) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(records.len());
    for record in records {
        let entry = compact::entry(record)?;
        rows.push((
            id(&record.jti),
            id(&record.user_id),
            record.expires_at,
            entry,
        ));
    }
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut tokens = txn.open_table(TOKENS)?;
    let mut added = Vec::with_capacity(rows.len());
    for (jti, _, _, entry) in &rows {
        added.push(tokens.insert(jti.as_slice(), entry.as_slice())?.is_none());
    }
    let mut added: Vec<_> = rows.iter().zip(added).collect();
    added.sort_unstable_by(|a, b| (&a.0.1, &a.0.0).cmp(&(&b.0.1, &b.0.0)));
    let mut index = txn.open_multimap_table(USER_TOKENS)?;
    let mut held = txn.open_table(TOKENS_HELD)?;
    for same_user in added.chunk_by(|a, b| a.0.1 == b.0.1) {
        let user = &same_user[0].0.1;
        for ((jti, ..), _) in same_user {
            index.insert(user.as_slice(), jti.as_slice())?;
        }
        let new = same_user.iter().filter(|(_, new)| *new).count();
        count_change(&mut held, user, new as i64)?;
    }
    rows.sort_unstable_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
    let mut expiry = txn.open_table(TOKEN_EXPIRY)?;
    for (jti, user, expires_at, _) in &rows {
        expiry.insert((*expires_at, jti.as_slice()), user.as_slice())?;
    }
    Ok(())
}

/// Frees places so that one more entry fits under `cap` (least recently
/// used first); answers how many went.
pub(super) fn make_room(
    txn: &WriteTransaction,
    user_id: &str,
    cap: &Cap,
) -> Result<Result<usize, Refusal>, StoreError> {
    let index = txn.open_multimap_table(USER_TOKENS)?;
    let mut held = stored_of(&index, &txn.open_table(TOKENS)?, user_id)?;
    drop(index);
    if held.len() < cap.max {
        return Ok(Ok(0));
    }
    if !cap.evict {
        return Ok(Err(Refusal::TooManyTokens));
    }
    // Last-used times have one-second granularity (finer would cost the hit
    // path a write per request). Within one second the older login goes
    // first: a login is itself a use, and the newest one is the device the
    // user is holding right now.
    held.sort_by_key(|r| {
        let used = cap.recent.get(&r.jti).copied().unwrap_or(0);
        (r.last_used_at.max(used), r.created_at, r.created_us)
    });
    let excess = held.len() + 1 - cap.max;
    for record in held.iter().take(excess) {
        remove(txn, &record.jti, Some(user_id))?.ok();
    }
    Ok(Ok(excess))
}

/// Raises stored last-used times; entries gone meanwhile are skipped.
pub(super) fn touch_many(
    txn: &WriteTransaction,
    used: &[(String, u64)],
) -> Result<usize, StoreError> {
    let mut tokens = txn.open_table(TOKENS)?;
    let mut written = 0;
    for (jti, at) in used {
        let key = id(jti);
        let record = match tokens.get(key.as_slice())? {
            Some(value) => compact::record(&key, value.value())?,
            None => continue,
        };
        if record.last_used_at < *at {
            let record = TokenRecord {
                last_used_at: *at,
                ..record
            };
            tokens.insert(key.as_slice(), compact::entry(&record)?.as_slice())?;
            written += 1;
        }
    }
    Ok(written)
}

/// Removes up to `limit` entries that expired at or before `now`, walking
/// the expiry index in order (never the tokens table). Answers their owners.
pub(super) fn purge_expired(
    txn: &WriteTransaction,
    now: u64,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    type Due = (u64, Vec<u8>, Vec<u8>);
    let due: Vec<Due> = {
        let index = txn.open_table(TOKEN_EXPIRY)?;
        let mut due = Vec::new();
        let (first, past): (&[u8], &[u8]) = (&[], &[]);
        for entry in index.range((0u64, first)..(now + 1, past))?.take(limit) {
            let (key, user) = entry?;
            let (at, jti) = key.value();
            due.push((at, jti.to_vec(), user.value().to_vec()));
        }
        due
    };
    let mut owners = Vec::new();
    for (at, jti, user) in due {
        txn.open_table(TOKEN_EXPIRY)?.remove((at, jti.as_slice()))?;
        txn.open_multimap_table(USER_TOKENS)?
            .remove(user.as_slice(), jti.as_slice())?;
        if txn.open_table(TOKENS)?.remove(jti.as_slice())?.is_some() {
            count_change(&mut txn.open_table(TOKENS_HELD)?, &user, -1)?;
            owners.push(id_text(&user)?);
        }
    }
    Ok(owners)
}

/// Removes one entry if it belongs to `owner` (or to anyone when `owner` is
/// `None`). Answers the owner's id.
pub(super) fn remove(
    txn: &WriteTransaction,
    jti: &str,
    owner: Option<&str>,
) -> Result<Result<String, Refusal>, StoreError> {
    let mut tokens = txn.open_table(TOKENS)?;
    let key = id(jti);
    let user = match tokens.get(key.as_slice())? {
        Some(value) => compact::owner_of(value.value())?,
        None => return Ok(Err(Refusal::NoSuchToken)),
    };
    if owner.is_some_and(|owner| id(owner) != user) {
        return Ok(Err(Refusal::NoSuchToken));
    }
    // The index rows stay for the purge (see `tables::TOKEN_EXPIRY`).
    tokens.remove(key.as_slice())?;
    count_change(&mut txn.open_table(TOKENS_HELD)?, &user, -1)?;
    Ok(Ok(id_text(&user)?))
}

/// Removes every entry of a user except `keep`; answers how many went.
pub(super) fn remove_all_of(
    txn: &WriteTransaction,
    user_id: &str,
    keep: Option<&str>,
) -> Result<usize, StoreError> {
    let jtis: Vec<String> = {
        let index = txn.open_multimap_table(USER_TOKENS)?;
        let mut jtis = Vec::new();
        for jti in index.get(id(user_id).as_slice())? {
            jtis.push(id_text(jti?.value())?);
        }
        jtis
    };
    let mut removed = 0;
    for jti in jtis.iter().filter(|jti| Some(jti.as_str()) != keep) {
        if remove(txn, jti, Some(user_id))?.is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}
