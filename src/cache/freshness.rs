//! How long a node may trust its cache when other nodes can revoke too.
//!
//! With a shared store, another node's revocation reaches this node through
//! the store's change stream. Each complete read of the stream proves that
//! every change acknowledged before the read was sent has been applied; the
//! node may then trust its cached entries until `sent_at + W` (the
//! staleness bound). Past that, or when the stream connection is lost, a
//! cached live entry is not trusted: the check goes to the store, and if
//! the store cannot answer, to a 503. Fail closed, never a stale 200.
//!
//! A gap in the stream (anything may have been missed) moves the epoch:
//! every entry stamped with an older one is rechecked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Freshness {
    origin: Instant,
    /// Milliseconds since `origin` until which the cache is trusted.
    fresh_until: AtomicU64,
    epoch: AtomicU64,
    bound: Duration,
    /// The stream reader's last read failed: the store does not answer.
    unreachable: std::sync::atomic::AtomicBool,
}

impl Freshness {
    /// Nothing is trusted until the first complete read.
    pub fn new(bound: Duration) -> Freshness {
        Freshness {
            origin: Instant::now(),
            fresh_until: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            bound,
            unreachable: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn millis(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_millis() as u64
    }

    /// The hit path: one clock read and two atomic loads. Acquire pairs
    /// with [`Freshness::confirmed`]'s release, so a hit that sees the new
    /// bound also sees the changes applied before it was set.
    #[inline]
    pub fn trusts(&self, epoch: u64) -> bool {
        let until = self.fresh_until.load(Ordering::Acquire);
        epoch == self.epoch.load(Ordering::Acquire) && self.millis(Instant::now()) < until
    }

    /// Whether the cache is trusted right now, whatever the epoch.
    pub fn is_fresh(&self) -> bool {
        self.millis(Instant::now()) < self.fresh_until.load(Ordering::Acquire)
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// A complete read sent at `sent_at` was applied.
    pub fn confirmed(&self, sent_at: Instant) {
        let until = self.millis(sent_at + self.bound);
        self.fresh_until.fetch_max(until, Ordering::Release);
    }

    /// The stream is gone: trust nothing until it is back. When the store
    /// did not answer at all (`unanswered`), untrusted checks are refused
    /// at once (503) instead of each waiting for the same timeout.
    pub fn lost(&self, unanswered: bool) {
        self.fresh_until.store(0, Ordering::Release);
        if unanswered {
            self.unreachable.store(true, Ordering::Release);
        }
    }

    /// A read of the stream succeeded.
    pub fn reached(&self) {
        self.unreachable.store(false, Ordering::Release);
    }

    /// Whether an untrusted check should be refused without asking.
    pub fn unreachable(&self) -> bool {
        self.unreachable.load(Ordering::Acquire)
    }

    /// Something may have been missed: every entry cached so far is stale.
    pub fn gap(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// How long the cache has been trusted for beyond now (negative: how
    /// long it has not been), in milliseconds, for metrics.
    pub fn margin_ms(&self) -> i64 {
        let until = self.fresh_until.load(Ordering::Acquire) as i64;
        until - self.millis(Instant::now()) as i64
    }

    pub fn bound(&self) -> Duration {
        self.bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_ends_at_the_bound_and_with_a_lost_stream_or_a_gap() {
        let link = Freshness::new(Duration::from_millis(200));
        assert!(!link.trusts(0), "nothing before the first read");
        link.confirmed(Instant::now());
        assert!(link.trusts(0));
        link.gap();
        assert!(!link.trusts(0) && link.trusts(1));
        link.lost(false);
        assert!(!link.trusts(1) && !link.unreachable());
        link.lost(true);
        assert!(link.unreachable());
        link.confirmed(Instant::now() - Duration::from_millis(300));
        assert!(
            !link.trusts(1),
            "a read older than the bound proves nothing now"
        );
    }
}
