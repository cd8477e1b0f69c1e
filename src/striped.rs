//! A counter that many threads add to without sharing a cache line: each
//! thread adds to its own stripe, a reader sums them. A plain `AtomicU64`
//! bumped on every request by both cores moves its cache line between
//! them each time; the hit path counts several things per request.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// Stripes per counter: threads beyond this share, which is still correct.
pub const STRIPES: usize = 8;

/// One stripe on a cache line of its own (128 bytes: adjacent-line
/// prefetching pairs 64-byte lines on x86).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe(AtomicU64);

#[derive(Debug, Default)]
pub struct Striped([Stripe; STRIPES]);

/// This thread's stripe, handed out in turn as threads first count.
pub fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: usize = NEXT.fetch_add(1, Relaxed) % STRIPES;
    }
    MINE.with(|mine| *mine)
}

impl Striped {
    #[inline]
    pub fn add(&self, n: u64) {
        self.0[stripe()].0.fetch_add(n, Relaxed);
    }

    pub fn sum(&self) -> u64 {
        self.0.iter().map(|s| s.0.load(Relaxed)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_from_many_threads_all_count() {
        let counter = std::sync::Arc::new(Striped::default());
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let counter = counter.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| counter.add(1)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(counter.sum(), 12_000);
    }
}
