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

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}
