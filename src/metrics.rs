//! Counters of the server, only atomics; rendered by `GET /metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    pub logins_succeeded: AtomicU64,
    pub logins_failed: AtomicU64,
    pub logins_throttled: AtomicU64,
    pub revocations: AtomicU64,
    /// Changes of other nodes applied from a shared store's stream.
    pub feed_events: AtomicU64,
    /// Gaps in that stream (the whole cache forgotten).
    pub feed_gaps: AtomicU64,
    /// Failed reads of that stream.
    pub feed_errors: AtomicU64,
    /// From the append of the last change read to its reading, in µs.
    pub feed_lag_us: AtomicU64,
    /// Requests by route and status, latencies: filled by the accept loop.
    pub traffic: crate::traffic::Traffic,
}

// Relaxed: these are statistics, read together by nobody.
impl Metrics {
    pub fn revoked(&self, tokens: u64) {
        self.revocations.fetch_add(tokens, Ordering::Relaxed);
    }

    pub fn login_succeeded(&self) {
        self.logins_succeeded.fetch_add(1, Ordering::Relaxed);
    }

    pub fn login_failed(&self) {
        self.logins_failed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn feed_applied(&self, changes: u64) {
        self.feed_events.fetch_add(changes, Ordering::Relaxed);
    }

    pub fn feed_lag(&self, lag: std::time::Duration) {
        let micros = u64::try_from(lag.as_micros()).unwrap_or(u64::MAX);
        self.feed_lag_us.store(micros, Ordering::Relaxed);
    }

    pub fn feed_gap(&self) {
        self.feed_gaps.fetch_add(1, Ordering::Relaxed);
    }

    pub fn feed_failed(&self) {
        self.feed_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn login_throttled(&self) {
        self.logins_throttled.fetch_add(1, Ordering::Relaxed);
    }
}
