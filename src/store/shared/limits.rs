//! Failed-login counters shared by the nodes: fixed windows as keys that
//! expire with their window (`INCR`, then `PEXPIRE … NX`), so an attacker's
//! budget is the same however many nodes they spread over.

use std::time::Duration;

use super::Shared;
use crate::store::{FailureCounts, StoreError};

fn pair(account: &str, address: &str) -> String {
    format!("{account}\u{0}{address}")
}

impl Shared {
    fn failure_keys(&self, account: &str, address: &str) -> [String; 3] {
        [
            self.key(&format!("fail:d:{}", pair(account, address))),
            self.key(&format!("fail:ip:{address}")),
            self.key(&format!("fail:a:{account}")),
        ]
    }

    pub(crate) async fn login_failures(
        &self,
        account: &str,
        address: &str,
    ) -> Result<FailureCounts, StoreError> {
        let [device, ip, acct] = self.failure_keys(account, address);
        let known = self.key(&format!("known:{}", pair(account, address)));
        let mut pipe = redis::pipe();
        for key in [&device, &ip, &acct] {
            pipe.get(key).pttl(key);
        }
        pipe.exists(known);
        type Reply = (Option<u32>, i64, Option<u32>, i64, Option<u32>, i64, bool);
        let mut conn = self.conn();
        let (d, d_ms, i, i_ms, a, a_ms, known): Reply = pipe.query_async(&mut conn).await?;
        let left = |ms: i64| Duration::from_millis(ms.max(0) as u64);
        Ok(FailureCounts {
            device: (d.unwrap_or(0), left(d_ms)),
            address: (i.unwrap_or(0), left(i_ms)),
            account: (a.unwrap_or(0), left(a_ms)),
            known,
        })
    }

    /// `windows`: of the device, address and account counters.
    pub(crate) async fn count_login_failure(
        &self,
        account: &str,
        address: &str,
        windows: [Duration; 3],
    ) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        for (key, window) in self.failure_keys(account, address).iter().zip(windows) {
            pipe.incr(key, 1).ignore();
            pipe.cmd("PEXPIRE")
                .arg(key)
                .arg(window.as_millis() as u64)
                .arg("NX")
                .ignore();
        }
        let mut conn = self.conn();
        Ok(pipe.query_async::<()>(&mut conn).await?)
    }

    pub(crate) async fn login_succeeded(
        &self,
        account: &str,
        address: &str,
        known_for: Duration,
    ) -> Result<(), StoreError> {
        let [device, _, _] = self.failure_keys(account, address);
        let known = self.key(&format!("known:{}", pair(account, address)));
        let mut conn = self.conn();
        redis::pipe()
            .del(device)
            .ignore()
            .cmd("SET")
            .arg(known)
            .arg(1)
            .arg("PX")
            .arg(known_for.as_millis() as u64)
            .ignore()
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }
}
