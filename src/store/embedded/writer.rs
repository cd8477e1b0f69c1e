//! The single writer: group commit for every write of the server.
//!
//! redb allows one write transaction at a time and a durable commit costs an
//! fsync (milliseconds). Callers queue closures; this thread takes whatever
//! is waiting, applies it all in one transaction, commits once, and only
//! then answers each caller. Under load one fsync carries many writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use redb::WriteTransaction;
use tokio::sync::{mpsc, oneshot};

use super::StoreError;
use super::slot::Slot;

/// Most writes that share one transaction.
const MAX_BATCH: usize = 1024;
/// Writes that may wait for the writer before callers wait to queue.
const QUEUE_DEPTH: usize = 8192;

/// Counters the metrics endpoint reads. Only ever incremented.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub writes: AtomicU64,
    pub failed_batches: AtomicU64,
    pub commit_micros: AtomicU64,
    /// Batch sizes in buckets of 1, 2–4, 5–16, 17–64, 65+.
    pub size_buckets: [AtomicU64; 5],
}

impl WriterStats {
    fn record(&self, size: usize, micros: u64, ok: bool) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(size as u64, Ordering::Relaxed);
        self.commit_micros.fetch_add(micros, Ordering::Relaxed);
        if !ok {
            self.failed_batches.fetch_add(1, Ordering::Relaxed);
        }
        let bucket = match size {
            1 => 0,
            2..=4 => 1,
            5..=16 => 2,
            17..=64 => 3,
            _ => 4,
        };
        self.size_buckets[bucket].fetch_add(1, Ordering::Relaxed);
    }
}

/// How a batch ended, shared by every job in it.
type BatchResult = Result<(), Arc<StoreError>>;

trait Job: Send {
    /// Applies the write; an error aborts the whole batch.
    fn apply(&mut self, txn: &WriteTransaction) -> Result<(), StoreError>;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, committed: BatchResult);
}

struct TypedJob<T, F> {
    work: Option<F>,
    outcome: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send,
    F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send,
{
    fn apply(&mut self, txn: &WriteTransaction) -> Result<(), StoreError> {
        let Some(work) = self.work.take() else {
            return Ok(());
        };
        match work(txn) {
            Ok(value) => {
                self.outcome = Some(Ok(value));
                Ok(())
            }
            // The job's own error is answered to the caller; the batch
            // aborts with a copy of its text.
            Err(err) => {
                let reason = StoreError::JobFailed(err.to_string());
                self.outcome = Some(Err(err));
                Err(reason)
            }
        }
    }

    fn finish(self: Box<Self>, committed: BatchResult) {
        let answer = match (committed, self.outcome) {
            (Ok(()), Some(outcome)) => outcome,
            (Err(_), Some(Err(own))) => Err(own),
            (Err(batch), _) => Err(StoreError::BatchFailed(batch)),
            (Ok(()), None) => Err(StoreError::NotApplied),
        };
        // The caller may have gone away (client hung up); the write stands.
        let _ = self.reply.send(answer);
    }
}

/// The writer's queue and thread. Dropping it closes the queue and waits
/// for the thread, so the database file is released when the last `Store`
/// is dropped, not some time later.
pub(super) struct Handle {
    queue: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    stats: Arc<WriterStats>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Handle {
    pub(super) async fn submit<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = TypedJob {
            work: Some(work),
            outcome: None,
            reply,
        };
        let queue = self.queue.as_ref().ok_or(StoreError::WriterGone)?;
        queue
            .send(Box::new(job))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    pub(super) fn stats(&self) -> &WriterStats {
        &self.stats
    }
}

/// Starts the writer thread; it ends when every `Handle` is dropped.
pub(super) fn spawn(db: Arc<Slot>) -> Handle {
    let (queue, jobs) = mpsc::channel(QUEUE_DEPTH);
    let stats = Arc::new(WriterStats::default());
    let thread_stats = stats.clone();
    let thread = std::thread::Builder::new()
        .name("guestlist-writer".into())
        .spawn(move || run(db, jobs, &thread_stats))
        .expect("spawning the writer thread");
    Handle {
        queue: Some(queue),
        thread: Some(thread),
        stats,
    }
}

fn run(db: Arc<Slot>, mut jobs: mpsc::Receiver<Box<dyn Job>>, stats: &WriterStats) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let committed = commit_batch(&db, &mut batch).map_err(Arc::new);
        let micros = started.elapsed().as_micros() as u64;
        if let Err(reason) = &committed {
            tracing::error!(%reason, size = batch.len(), "a write batch failed");
        }
        stats.record(batch.len(), micros, committed.is_ok());
        for job in batch {
            job.finish(committed.clone());
        }
        // After a failed commit redb refuses every write until the file is
        // reopened. The batch was answered (503) first; the next one gets a
        // fresh handle; reads go on meanwhile (see `slot`). Writes refused
        // for logical reasons are `Ok(Err(Refusal))`, so any failure here
        // is the database's own (I/O, a damaged page): reopen on each.
        if committed.is_err() {
            if let Err(err) = db.reopen() {
                tracing::error!(%err, "reopening the database failed; retrying on the next write");
            }
        }
    }
}

fn commit_batch(db: &Slot, batch: &mut [Box<dyn Job>]) -> Result<(), StoreError> {
    let txn = db.get()?.begin_write()?;
    for job in batch.iter_mut() {
        job.apply(&txn)?;
    }
    Ok(txn.commit()?)
}
