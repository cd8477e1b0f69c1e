//! A small front of the token cache on each worker thread, for the hit
//! path: the entry a thread found for a signature in the last second,
//! with the exact bytes of its token.
//!
//! Why: a moka `get` clones the entry's handle and the value, queues a
//! read record and now and then applies 64 of them (LRU and frequency
//! bookkeeping) on the request that finds the queue full; for the one
//! signature a client sends thousands of times a second, those are atomic
//! writes to the same few cache lines from both cores. A front hit is one
//! thread-local array slot and a byte comparison.
//!
//! What keeps it right: a front entry is only ever a live entry moka handed
//! out, and every hit still checks what moka's path checks (the user's
//! generation, which every revocation moves; expiry and idle time; the
//! role). A slot is used only by the gate that filled it, only while that
//! gate has not forgotten its cache, and only within the second it was
//! read from moka, so moka still sees each token read at least once a
//! second per thread (its LRU order stays right) and a refill in moka is
//! picked up within a second.

use std::cell::RefCell;
use std::sync::Arc;

use super::LiveToken;
use crate::auth::header::SignatureKey;

/// Slots per thread, direct-mapped by the signature's first bytes.
const SLOTS: usize = 64;

struct Slot {
    key: SignatureKey,
    /// The token's bytes before the signature: an exact match, no hash.
    signed: Box<[u8]>,
    token: Arc<LiveToken>,
    /// (gate, generation of its cache, Unix second of the moka read).
    stamp: (u64, u64, u64),
}

thread_local! {
    static FRONT: RefCell<Vec<Option<Slot>>> = RefCell::new((0..SLOTS).map(|_| None).collect());
}

fn index(key: &SignatureKey) -> usize {
    let mut first = [0u8; 8];
    first.copy_from_slice(&key[..8]);
    u64::from_le_bytes(first) as usize % SLOTS
}

/// Runs `f` on the front entry of `key` if it holds exactly `signed` and
/// was read from moka by `stamp`'s gate, cache generation and second.
pub fn with<R>(
    key: &SignatureKey,
    signed: &[u8],
    stamp: (u64, u64, u64),
    f: impl FnOnce(&Arc<LiveToken>) -> R,
) -> Option<R> {
    FRONT.with(|front| {
        let front = front.borrow();
        let slot = front[index(key)].as_ref()?;
        let fresh = slot.stamp == stamp && slot.key == *key && *slot.signed == *signed;
        fresh.then(|| f(&slot.token))
    })
}

/// Remembers `token`, just read from moka under `stamp`, for `key`.
pub fn put(key: &SignatureKey, signed: &[u8], stamp: (u64, u64, u64), token: &Arc<LiveToken>) {
    FRONT.with(|front| {
        let mut front = front.borrow_mut();
        let slot = &mut front[index(key)];
        match slot {
            // Reuse the byte buffer when the length matches.
            Some(old) if old.signed.len() == signed.len() => {
                old.signed.copy_from_slice(signed);
                old.key = *key;
                old.token = token.clone();
                old.stamp = stamp;
            }
            _ => {
                *slot = Some(Slot {
                    key: *key,
                    signed: signed.into(),
                    token: token.clone(),
                    stamp,
                })
            }
        }
    });
}
