//! The door of a login (see `crate::door`): what is refused before its
//! body is parsed, and the per-account place it takes once it is.

use super::{Error, GuestList};
use crate::door::Ticket;

/// A login let in at the door: its address's place among the logins in
/// flight (freed when this is dropped), and its body's fingerprint.
pub struct Admitted {
    address: Ticket,
    body: Option<u64>,
}

impl GuestList {
    /// Refuses from the client's `address` and the raw `body` alone what
    /// would be refused anyway, cheapest first: the same bytes the failure
    /// limits refused from there, an address over its failure budget, an
    /// address with its logins in flight, no room left to wait for bcrypt.
    /// `body` is `None` where the caller has no raw body.
    pub fn at_the_door(&self, address: &str, body: Option<&[u8]>) -> Result<Admitted, Error> {
        let body = body.map(|bytes| self.refusals.fingerprint(bytes));
        let refused = |err| {
            self.metrics.login_throttled();
            Err(err)
        };
        if let Some(wait) = body.and_then(|b| self.refusals.still_refused(address, b)) {
            return refused(Error::Throttled(wait));
        }
        if let Err(throttled) = self.throttle.admit_address(address) {
            return refused(Error::Throttled(throttled.retry_after));
        }
        if self.addresses.is_full(address) {
            return refused(Error::TooManyAtOnce);
        }
        if self.logins.is_full() {
            return refused(Error::Busy);
        }
        match self.addresses.enter(address) {
            Some(place) => Ok(Admitted {
                address: place,
                body,
            }),
            None => refused(Error::TooManyAtOnce),
        }
    }

    /// Waits for the login's turns: its address's, then its account's
    /// (which a device that logged in to the account before does not need,
    /// so a flood against an account cannot lock its owner out). Answers
    /// the account's place, held until the login is answered.
    pub(super) async fn take_turns(
        &self,
        admitted: &mut Admitted,
        account: &str,
        address: &str,
    ) -> Result<Option<Ticket>, Error> {
        admitted.address.turn().await;
        if self.throttle.is_known(account, address) {
            return Ok(None);
        }
        let Some(mut place) = self.accounts.enter(account) else {
            self.metrics.login_throttled();
            return Err(Error::TooManyAtOnce);
        };
        place.turn().await;
        Ok(Some(place))
    }

    /// The failure limits refused this login: its bytes from its address
    /// are refused at the door until `retry_after` has passed.
    pub(super) fn refused_at(&self, admitted: &Admitted, address: &str, retry_after: u64) {
        if let Some(body) = admitted.body {
            self.refusals.remember(address, body, retry_after);
        }
    }

    /// A success from `address`: what was remembered for it may be stale.
    pub(super) fn let_in(&self, address: &str) {
        self.refusals.forget(address);
    }
}
