//! Requests by route and status class, and a latency histogram: fixed
//! arrays of atomics, filled by the accept loop for every request. No lock,
//! no allocation, no cache line shared between the cores: the route label
//! is an index the accept loop finds with `api::label_of`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::striped::{self, STRIPES};

/// Room for this many route labels; `api` names them (its route table).
pub const MAX_ROUTES: usize = 16;

/// Status classes 1xx to 5xx.
pub const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Upper bounds of the latency buckets, in microseconds (then +Inf).
pub const BUCKETS_US: [u64; 12] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000, 500_000, 2_500_000,
];

/// The counters, one copy per thread stripe (see `striped`): every
/// request bumps three of them, and one shared copy would move its cache
/// lines between the cores on each.
#[derive(Debug, Default)]
pub struct Traffic {
    stripes: [Stripe; STRIPES],
}

#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe {
    /// By route label index (see `api::labels`), then status class.
    requests: [[AtomicU64; 5]; MAX_ROUTES],
    /// Non-cumulative counts per bucket; the last is above every bound.
    latency: [AtomicU64; BUCKETS_US.len() + 1],
    latency_sum_us: AtomicU64,
}

impl Traffic {
    /// Counts one answered request. Relaxed: these are statistics.
    pub fn record(&self, route: usize, status: u16, elapsed: Duration) {
        let stripe = &self.stripes[striped::stripe()];
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        stripe.requests[route.min(MAX_ROUTES - 1)][class].fetch_add(1, Ordering::Relaxed);
        let (bucket, micros) = crate::histogram::bucket_of(&BUCKETS_US, elapsed);
        stripe.latency[bucket].fetch_add(1, Ordering::Relaxed);
        stripe.latency_sum_us.fetch_add(micros, Ordering::Relaxed);
    }

    /// Requests of route label `route` in status class `class` (0 = 1xx).
    pub fn requests(&self, route: usize, class: usize) -> u64 {
        self.sum(|s| &s.requests[route][class])
    }

    /// Requests in latency bucket `bucket` (not cumulative).
    pub fn latency(&self, bucket: usize) -> u64 {
        self.sum(|s| &s.latency[bucket])
    }

    pub fn latency_sum_us(&self) -> u64 {
        self.sum(|s| &s.latency_sum_us)
    }

    fn sum(&self, counter: impl Fn(&Stripe) -> &AtomicU64) -> u64 {
        let each = self
            .stripes
            .iter()
            .map(|s| counter(s).load(Ordering::Relaxed));
        each.fold(0, u64::wrapping_add)
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
        assert_eq!(t.requests(1, 1), 1);
        assert_eq!(t.requests(1, 3), 1);
        assert_eq!(t.requests(0, 4), 1, "clamped to 5xx");
        assert_eq!(t.latency(0), 1);
        assert_eq!(t.latency(3), 1);
        assert_eq!(t.latency(BUCKETS_US.len()), 1);
        assert_eq!(t.latency_sum_us(), 40 + 300 + 10_000_000);
    }
}
