//! Counters of the server, only atomics; rendered by `GET /metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    pub logins_succeeded: AtomicU64,
    pub logins_failed: AtomicU64,
    pub logins_throttled: AtomicU64,
    pub revocations: AtomicU64,
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

    pub fn login_throttled(&self) {
        self.logins_throttled.fetch_add(1, Ordering::Relaxed);
    }
}
