//! The failed-login limits of a login: counted in memory on the embedded
//! store (one process), and in the shared store when nodes share one, so
//! an attacker's budget does not grow with the number of nodes.

use super::{Error, GuestList};
use crate::throttle::{KNOWN_FOR, Throttled};

impl GuestList {
    /// Before the password check: whether the failure budgets allow it.
    pub(super) async fn failure_budget(
        &self,
        account: &str,
        address: &str,
    ) -> Result<Result<(), Throttled>, Error> {
        Ok(match self.store.login_failures(account, address).await? {
            Some(counts) => self.throttle.limits().judge(&counts),
            None => self.throttle.admit(account, address),
        })
    }

    /// After a wrong password (or an unknown user).
    pub(super) async fn login_failed(&self, account: &str, address: &str) -> Result<(), Error> {
        self.metrics.login_failed();
        if !self.store.is_shared() {
            self.throttle.failed(account, address);
            return Ok(());
        }
        let windows = self.throttle.limits().windows();
        Ok(self
            .store
            .count_login_failure(account, address, windows)
            .await?)
    }

    /// After a right password: this device is known and starts afresh.
    pub(super) async fn login_passed(&self, account: &str, address: &str) -> Result<(), Error> {
        if !self.store.is_shared() {
            self.throttle.succeeded(account, address);
            return Ok(());
        }
        Ok(self
            .store
            .login_succeeded(account, address, KNOWN_FOR)
            .await?)
    }
}
