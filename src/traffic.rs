//! Requests by route and status class, and a latency histogram: fixed
//! arrays of atomics, filled by the accept loop for every request. No lock,
//! no allocation: the route label is an index the accept loop finds with
//! `api::label_of`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Room for this many route labels; `api` names them (its route table).
pub const MAX_ROUTES: usize = 16;

/// Status classes 1xx to 5xx.
pub const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Upper bounds of the latency buckets, in microseconds (then +Inf).
pub const BUCKETS_US: [u64; 12] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000, 500_000, 2_500_000,
];

#[derive(Debug, Default)]
pub struct Traffic {
    /// By route label index (see `api::labels`), then status class.
    pub requests: [[AtomicU64; 5]; MAX_ROUTES],
    /// Non-cumulative counts per bucket; the last is above every bound.
    pub latency: [AtomicU64; BUCKETS_US.len() + 1],
    pub latency_sum_us: AtomicU64,
}

impl Traffic {
    /// Counts one answered request. Relaxed: these are statistics.
    pub fn record(&self, route: usize, status: u16, elapsed: Duration) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[route.min(MAX_ROUTES - 1)][class].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = BUCKETS_US
            .iter()
            .position(|&bound| micros <= bound)
            .unwrap_or(BUCKETS_US.len());
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(micros, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_land_in_their_class_and_bucket() {
        let t = Traffic::default();
        t.record(1, 200, Duration::from_micros(40));
        t.record(1, 401, Duration::from_micros(300));
        t.record(0, 999, Duration::from_secs(10));
        assert_eq!(t.requests[1][1].load(Ordering::Relaxed), 1);
        assert_eq!(t.requests[1][3].load(Ordering::Relaxed), 1);
        assert_eq!(
            t.requests[0][4].load(Ordering::Relaxed),
            1,
            "clamped to 5xx"
        );
        assert_eq!(t.latency[0].load(Ordering::Relaxed), 1);
        assert_eq!(t.latency[3].load(Ordering::Relaxed), 1);
        assert_eq!(t.latency[BUCKETS_US.len()].load(Ordering::Relaxed), 1);
    }
}
