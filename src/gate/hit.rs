//! The hit path, synchronous: what a protected request costs when its
//! token is cached. Find the entry in this thread's front
//! (`cache::front`), comparing the token's bytes with those of the token
//! that was verified; else parse the header and read moka. Either way,
//! check it as every hit always was checked. A front hit takes no lock,
//! allocates nothing and touches no shared counter; nothing here awaits,
//! so a filter can answer a hit without a future of its own.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use super::{Denied, Gate};
use crate::auth::header::{self, Presented, SIGNATURE_LEN};
use crate::cache::{Cached, LiveToken, front};
use crate::time::now_secs;

impl Gate {
    /// The cache's verdict on `authorization` (for `role`, if given), with
    /// `f` applied to the entry admitted; `None` when the token must take
    /// the miss path ([`Gate::admit`]).
    pub fn admit_cached<R>(
        &self,
        authorization: Option<&[u8]>,
        role: Option<&str>,
        f: impl Fn(&Arc<LiveToken>) -> R,
    ) -> Option<Result<R, Denied>> {
        let now = now_secs();
        let stamp = (self.id, self.cleared.load(Relaxed), now);
        let judged = |live: &Arc<LiveToken>| Some(self.judge(live, now, role)?.map(|()| f(live)));
        if let Some((signed, key)) = authorization.and_then(header::split) {
            if let Some(Some(verdict)) = front::with(&key, signed, stamp, judged) {
                return Some(verdict);
            }
        }
        let (token, key) = match authorization.map(header::parse) {
            None | Some(Presented::Nothing) => return Some(Err(Denied::NoCredentials)),
            Some(Presented::Malformed) => return Some(Err(Denied::Invalid)),
            Some(Presented::Token { token, key }) => (token, key),
        };
        let live = match self.tokens.get(&key)? {
            Cached::Revoked { .. } => return Some(Err(Denied::Invalid)),
            // The signature of a live token under another header or payload.
            Cached::Live(live) if live.fingerprint != self.fingerprint(token) => {
                return Some(Err(Denied::Invalid));
            }
            Cached::Live(live) => live,
        };
        let verdict = judged(&live)?;
        let signed = &token.as_bytes()[..token.len() - SIGNATURE_LEN];
        if verdict.is_ok() {
            front::put(&key, signed, stamp, &live);
        }
        Some(verdict)
    }

    /// What every hit checks; `None` when the user's tokens changed since
    /// the entry was filled, so it must be checked against the store again.
    #[inline]
    fn judge(&self, live: &LiveToken, now: u64, role: Option<&str>) -> Option<Result<(), Denied>> {
        if live.is_dead(now, self.idle_secs) {
            return Some(Err(Denied::Invalid));
        }
        if live.is_stale() {
            return None;
        }
        // Not heard from the other nodes within the bound: ask the store.
        if self.link.as_ref().is_some_and(|l| !l.trusts(live.epoch)) {
            return None;
        }
        self.stats.hits.add(1);
        live.touch(now);
        match role {
            Some(role) if !live.user.has_role(role) => Some(Err(Denied::Forbidden)),
            _ => Some(Ok(())),
        }
    }
}
