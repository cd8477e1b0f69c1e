//! Bounded room for bcrypt: at most `slots` hashes at once on the blocking
//! pool, at most `queue` callers waiting; beyond that, an immediate "busy"
//! instead of a queue that grows without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Semaphore;

/// No slot and no room to wait: answer 503 with `Retry-After`.
#[derive(Debug, PartialEq, Eq)]
pub struct Busy;

#[derive(Clone)]
pub struct LoginLimiter {
    admitted: Arc<Semaphore>,
    slots: Arc<Semaphore>,
    /// Computations finished, for `/metrics`.
    done: Arc<AtomicU64>,
}

impl LoginLimiter {
    pub fn new(slots: usize, queue: usize) -> LoginLimiter {
        let slots = slots.max(1);
        LoginLimiter {
            admitted: Arc::new(Semaphore::new(slots + queue)),
            slots: Arc::new(Semaphore::new(slots)),
            done: Arc::default(),
        }
    }

    /// bcrypt computations finished so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Whether a caller now would find no slot and no room to wait: a look,
    /// so a login can be turned away before its body is parsed.
    pub fn is_full(&self) -> bool {
        self.admitted.available_permits() == 0
    }

    /// Runs slow, blocking `work` (bcrypt) when a slot is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Busy>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let _admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        let _slot = self.slots.acquire().await.map_err(|_| Busy)?;
        let outcome = tokio::task::spawn_blocking(work).await.map_err(|_| Busy);
        // Counted before the slot is given to the next caller.
        self.done.fetch_add(1, Ordering::Relaxed);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[tokio::test]
    async fn callers_beyond_slots_and_queue_are_turned_away_at_once() {
        let limiter = LoginLimiter::new(1, 1);
        let (release, wait) = mpsc::channel::<()>();
        let wait = std::sync::Arc::new(std::sync::Mutex::new(wait));
        let blocker = {
            let (limiter, wait) = (limiter.clone(), wait.clone());
            tokio::spawn(async move { limiter.run(move || wait.lock().unwrap().recv().ok()).await })
        };
        let queued = {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.run(|| 2).await })
        };
        // Let both take their places, then a third must be refused.
        while limiter.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(limiter.run(|| 3).await, Err(Busy));
        release.send(()).unwrap();
        assert!(blocker.await.unwrap().is_ok());
        assert_eq!(queued.await.unwrap(), Ok(2));
    }
}
