//! Brute-force limit on failed logins, checked before any bcrypt work.
//!
//! Three fixed-window failure counters, each a bounded moka cache whose
//! entries die with their window (so memory is bounded by `capacity` per
//! counter, whatever an attacker sends):
//!
//! - per account (the folded username): `per_account` failures per `window`
//!   (default 100 an hour), whoever sends them;
//! - per client address: `per_address` failures per `window`, across all
//!   accounts (password spraying from one address);
//! - per (account, address): `per_device` failures per `window / 4`.
//!
//! Lockout denial of service: a success resets the (account, address)
//! counter and remembers the pair as known for `KNOWN_FOR`; a known pair is
//! exempt from the per-account counter. So an attacker who burns an
//! account's budget from elsewhere does not lock its owner out on a device
//! they logged in from before; a new device waits at most one `window`.
//!
//! We use moka rather than `governor`: governor's keyed limiter grows a map
//! without bound unless it is pruned by hand, and moka is already here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use moka::sync::Cache;

/// How long a successful (account, address) pair stays exempt.
pub const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);

/// The limits; see `Config` for the defaults and the flags.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub window: Duration,
    pub per_account: u32,
    pub per_address: u32,
    pub per_device: u32,
    /// Entries per counter at most.
    pub capacity: u64,
}

impl Limits {
    /// The windows of the device, address and account counters.
    pub fn windows(&self) -> [Duration; 3] {
        let device = (self.window / 4).max(Duration::from_secs(1));
        [device, self.window, self.window]
    }

    /// The same decision as [`Throttle::admit`], on counts kept elsewhere
    /// (a shared store, for every node).
    pub fn judge(&self, counts: &crate::store::FailureCounts) -> Result<(), Throttled> {
        let over = |(failures, left): (u32, Duration), limit: u32| {
            (failures >= limit).then_some(Throttled {
                retry_after: left.as_secs().max(1),
            })
        };
        if let Some(throttled) = over(counts.device, self.per_device) {
            return Err(throttled);
        }
        if let Some(throttled) = over(counts.address, self.per_address) {
            return Err(throttled);
        }
        match counts.known {
            true => Ok(()),
            false => over(counts.account, self.per_account).map_or(Ok(()), Err),
        }
    }
}

/// Too many failures: try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after: u64,
}

struct Window {
    started: Instant,
    failures: AtomicU32,
}

struct Counter {
    entries: Cache<String, Arc<Window>>,
    limit: u32,
    span: Duration,
}

impl Counter {
    fn new(limit: u32, span: Duration, capacity: u64) -> Counter {
        let entries = Cache::builder()
            .max_capacity(capacity)
            .time_to_live(span)
            .build();
        Counter {
            entries,
            limit,
            span,
        }
    }

    /// `Err` when `key` already used up its failures in this window.
    fn check(&self, key: &str) -> Result<(), Throttled> {
        let Some(window) = self.entries.get(key) else {
            return Ok(());
        };
        if window.failures.load(Ordering::Relaxed) < self.limit {
            return Ok(());
        }
        let left = self.span.saturating_sub(window.started.elapsed());
        Err(Throttled {
            retry_after: left.as_secs().max(1),
        })
    }

    fn fail(&self, key: String) {
        let window = self.entries.get_with(key, || {
            Arc::new(Window {
                started: Instant::now(),
                failures: AtomicU32::new(0),
            })
        });
        window.failures.fetch_add(1, Ordering::Relaxed);
    }
}

/// The failed-login counters of a server.
pub struct Throttle {
    limits: Limits,
    account: Counter,
    address: Counter,
    device: Counter,
    known: Cache<String, ()>,
}

fn pair(account: &str, address: &str) -> String {
    format!("{account}\u{0}{address}")
}

impl Throttle {
    pub fn new(limits: Limits) -> Throttle {
        let (window, capacity) = (limits.window, limits.capacity);
        Throttle {
            limits,
            account: Counter::new(limits.per_account, window, capacity),
            address: Counter::new(limits.per_address, window, capacity),
            device: Counter::new(
                limits.per_device,
                (window / 4).max(Duration::from_secs(1)),
                capacity,
            ),
            known: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(KNOWN_FOR)
                .build(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Before the password check: may this attempt go ahead?
    pub fn admit(&self, account: &str, address: &str) -> Result<(), Throttled> {
        let pair = pair(account, address);
        self.device.check(&pair)?;
        self.address.check(address)?;
        if self.known.contains_key(&pair) {
            return Ok(());
        }
        self.account.check(account)
    }

    /// The per-address budget alone, which needs no body (see `door`).
    pub fn admit_address(&self, address: &str) -> Result<(), Throttled> {
        self.address.check(address)
    }

    /// Whether this (account, address) logged in successfully before.
    pub fn is_known(&self, account: &str, address: &str) -> bool {
        self.known.contains_key(&pair(account, address))
    }

    /// After a wrong password (or an unknown user).
    pub fn failed(&self, account: &str, address: &str) {
        self.device.fail(pair(account, address));
        self.address.fail(address.to_owned());
        self.account.fail(account.to_owned());
    }

    /// After a right password: this device is known and starts afresh.
    pub fn succeeded(&self, account: &str, address: &str) {
        let pair = pair(account, address);
        self.device.entries.invalidate(&pair);
        self.known.insert(pair, ());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            window: Duration::from_secs(3600),
            per_account: 5,
            per_address: 8,
            per_device: 3,
            capacity: 100,
        }
    }

    #[test]
    fn each_budget_runs_out_on_its_own() {
        let throttle = Throttle::new(limits());
        for _ in 0..3 {
            assert!(throttle.admit("ann", "1.1.1.1").is_ok());
            throttle.failed("ann", "1.1.1.1");
        }
        let refused = throttle.admit("ann", "1.1.1.1").unwrap_err();
        assert!(refused.retry_after > 0 && refused.retry_after <= 900);
        // Two more from elsewhere use up the account's five.
        throttle.failed("ann", "2.2.2.2");
        throttle.failed("ann", "3.3.3.3");
        assert!(throttle.admit("ann", "4.4.4.4").is_err());
        assert!(throttle.admit("bob", "4.4.4.4").is_ok());
        // Spraying from one address hits the address budget.
        for user in ["c", "d", "e", "f", "g", "h", "i", "j"] {
            throttle.failed(user, "5.5.5.5");
        }
        assert!(throttle.admit("k", "5.5.5.5").is_err());
    }

    #[test]
    fn a_known_device_is_not_locked_out_by_others() {
        let throttle = Throttle::new(limits());
        throttle.failed("ann", "1.1.1.1");
        throttle.succeeded("ann", "1.1.1.1");
        for n in 0..5 {
            throttle.failed("ann", &format!("9.9.9.{n}"));
        }
        assert!(throttle.admit("ann", "8.8.8.8").is_err());
        assert!(throttle.admit("ann", "1.1.1.1").is_ok());
    }
}
