//! A latency histogram of fixed buckets, in atomics: recording is one
//! bucket increment and one sum increment (no lock, no allocation), so any
//! layer may record into one from any thread, and `/metrics` reads it.
//! [`bucket_of`] is also the bucketing of `traffic`'s striped histogram.
//!
//! A leaf: the store times its Redis commands with it without knowing who
//! renders the figures.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in microseconds (then +Inf): from a
/// loopback round trip (well under 0.5 ms) to the two-second command
/// timeout of the shared store.
pub const BOUNDS_US: [u64; 11] = [
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
];

/// Buckets, the last one above every bound.
const BUCKETS: usize = BOUNDS_US.len() + 1;

#[derive(Debug, Default)]
pub struct Histogram {
    /// Non-cumulative: a record touches one counter, not all above it.
    counts: [AtomicU64; BUCKETS],
    sum_us: AtomicU64,
}

/// The histogram at one moment, as Prometheus shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Cumulative counts by bucket of [`BOUNDS_US`], then +Inf (the count).
    pub cumulative: [u64; BUCKETS],
    pub sum_us: u64,
}

impl Snapshot {
    pub fn count(&self) -> u64 {
        self.cumulative[BUCKETS - 1]
    }
}

// Relaxed: statistics. A snapshot taken during records may see a count
// without its sum; the buckets stay cumulative and +Inf equals the count,
// because both are derived from the same loads.
impl Histogram {
    pub fn record(&self, elapsed: Duration) {
        let (bucket, micros) = bucket_of(&BOUNDS_US, elapsed);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        let mut cumulative = [0; BUCKETS];
        let mut running = 0u64;
        for (out, count) in cumulative.iter_mut().zip(&self.counts) {
            running = running.wrapping_add(count.load(Ordering::Relaxed));
            *out = running;
        }
        Snapshot {
            cumulative,
            sum_us: self.sum_us.load(Ordering::Relaxed),
        }
    }
}

/// The bucket of `elapsed` among upper bounds `bounds_us` (the first it
/// does not exceed; `bounds_us.len()` above them all), and its microseconds.
pub fn bucket_of(bounds_us: &[u64], elapsed: Duration) -> (usize, u64) {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    let bucket = bounds_us
        .iter()
        .position(|&bound| micros <= bound)
        .unwrap_or(bounds_us.len());
    (bucket, micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_land_in_the_first_bucket_whose_bound_they_do_not_exceed() {
        let h = Histogram::default();
        h.record(Duration::from_micros(200));
        h.record(Duration::from_micros(500));
        h.record(Duration::from_micros(501));
        h.record(Duration::from_millis(30));
        h.record(Duration::from_secs(5));
        let s = h.snapshot();
        assert_eq!(s.cumulative[0], 2, "≤ 0.5 ms, the bound included");
        assert_eq!(s.cumulative[1], 3, "≤ 1 ms");
        assert_eq!(s.cumulative[5], 3, "≤ 25 ms");
        assert_eq!(s.cumulative[6], 4, "≤ 50 ms");
        assert_eq!(s.cumulative[BOUNDS_US.len() - 1], 4, "≤ 1 s");
        assert_eq!(s.count(), 5, "+Inf holds everything");
        assert_eq!(s.sum_us, 200 + 500 + 501 + 30_000 + 5_000_000);
    }

    #[test]
    fn a_snapshot_is_cumulative_and_ends_with_the_count_under_concurrent_records() {
        let h = std::sync::Arc::new(Histogram::default());
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let h = h.clone();
                std::thread::spawn(move || {
                    for i in 0..10_000u64 {
                        h.record(Duration::from_micros((i * 37 + t) % 2_000_000));
                    }
                })
            })
            .collect();
        for _ in 0..100 {
            let s = h.snapshot();
            assert!(s.cumulative.windows(2).all(|w| w[0] <= w[1]), "{s:?}");
        }
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(h.snapshot().count(), 40_000);
    }

    #[test]
    fn an_empty_histogram_counts_nothing() {
        let s = Histogram::default().snapshot();
        assert_eq!(s.count(), 0);
        assert_eq!(s.sum_us, 0);
    }
}
