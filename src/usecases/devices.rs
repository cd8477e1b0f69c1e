//! A user's devices (token entries): list them, sign one out, all of them,
//! or all but the current one. Every revocation here ends in
//! [`GuestList::revoked`].

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use super::{Device, Error, GuestList, Missing};
use crate::cache::LiveToken;
use crate::store::{TokenRecord, UserKey};
use crate::time::now_secs;

impl GuestList {
    /// `POST /api/v1/logout`: only the presented token dies.
    pub async fn log_out(&self, caller: &LiveToken) -> Result<(), Error> {
        match self.sign_out_device(caller, &caller.jti).await {
            // Revoked by another request meanwhile: signed out either way.
            Err(Error::NotFound(Missing::Token)) => Ok(()),
            other => other,
        }
    }

    /// Signs out one of the caller's own devices (possibly itself).
    pub async fn sign_out_device(&self, caller: &LiveToken, jti: &str) -> Result<(), Error> {
        let revoked = self.store.revoke(jti, Some(&caller.user.id)).await?;
        match revoked {
            Ok(revoked) => {
                self.revoked(&revoked);
                Ok(())
            }
            Err(_) => Err(Error::NotFound(Missing::Token)),
        }
    }

    /// Signs out every device of the caller, or every other one.
    pub async fn sign_out_devices(
        &self,
        caller: &LiveToken,
        keep_current: bool,
    ) -> Result<usize, Error> {
        let keep = keep_current.then(|| caller.jti.clone());
        let who = UserKey::Id(caller.user.id.clone());
        let revoked = self.store.revoke_all(who, keep).await??;
        self.revoked(&revoked);
        Ok(revoked.tokens)
    }

    /// Signs out one token by id, whoever holds it (the command line).
    pub async fn revoke_token(&self, jti: &str) -> Result<(), Error> {
        let revoked = self.store.revoke(jti, None).await??;
        self.revoked(&revoked);
        Ok(())
    }

    /// The caller's live devices, newest first.
    pub async fn my_devices(&self, caller: &LiveToken) -> Result<Vec<Device>, Error> {
        let records = self.store.tokens_of(&caller.user.id).await?;
        Ok(self.live_devices(records, Some(caller)))
    }

    /// The entries still live, as shown. Last-used times are raised to what
    /// memory saw since the last flush, so the list shows them and the idle
    /// limit judges by them (not by a stored time up to a flush old).
    pub(super) fn live_devices(
        &self,
        records: Vec<TokenRecord>,
        caller: Option<&LiveToken>,
    ) -> Vec<Device> {
        let uses = match records.first() {
            Some(first) => self.memory_uses(|user| user == first.user_id),
            None => HashMap::new(),
        };
        let now = now_secs();
        let mut devices = Vec::with_capacity(records.len());
        for record in records {
            let mut used = uses.get(&record.jti).copied().unwrap_or(0);
            let current = caller.map(|c| c.jti == record.jti);
            if let (Some(true), Some(caller)) = (current, caller) {
                used = used.max(caller.last_used_at.load(Ordering::Relaxed));
            }
            if self.is_live(&record, used, now) {
                let last_used = record.last_used_at.max(used);
                devices.push(Device::new(record, last_used, current));
            }
        }
        devices
    }

    /// How many of `records` are live at `now`, by the same rule as the
    /// lists; `uses` as from [`GuestList::memory_uses`].
    pub(super) fn count_live(
        &self,
        records: &[TokenRecord],
        uses: &HashMap<String, u64>,
        now: u64,
    ) -> usize {
        records
            .iter()
            .filter(|r| self.is_live(r, uses.get(&r.jti).copied().unwrap_or(0), now))
            .count()
    }

    /// Last-used times seen in memory since the last flush, by jti, of the
    /// users `wanted` picks. Walks the whole cache once: for listings and a
    /// login at the cap, never for the hit path.
    pub(super) fn memory_uses(&self, wanted: impl Fn(&str) -> bool) -> HashMap<String, u64> {
        match &self.gate {
            Some(gate) => gate.tokens().uses_of(wanted),
            None => HashMap::new(),
        }
    }
}
