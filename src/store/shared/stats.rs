//! What the shared engine's commands cost: a latency histogram and a count
//! of failures, for `/metrics`.
//!
//! Every async command goes through [`Timed`], a connection that times
//! what it forwards, and every blocking read of a check through
//! `Checks::with`: no call site has to remember to record. The stream's
//! `XREAD BLOCK` is not timed (it waits on purpose), but its failures
//! count.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::{Cmd, ErrorKind, Pipeline, RedisFuture, RedisResult, ServerErrorKind, Value};

use crate::histogram::Histogram;

#[derive(Debug, Default)]
pub struct CommandStats {
    /// Time from sending a command (a script call, a pipeline) to its
    /// answer, failures included.
    pub latency: Histogram,
    /// Commands that failed: no connection, timeout, error reply.
    errors: AtomicU64,
}

impl CommandStats {
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    pub(super) fn failed(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Records one command sent at `started` that answered `answer`.
    pub(super) fn answered<T>(&self, started: Instant, answer: &RedisResult<T>) {
        self.latency.record(started.elapsed());
        if answer.as_ref().is_err_and(|e| !script_missing(e)) {
            self.failed();
        }
    }
}

/// `NOSCRIPT`: the script cache is empty (a restarted Redis); the script
/// call loads it and retries, so this is no failure of the store.
fn script_missing(error: &redis::RedisError) -> bool {
    error.kind() == ErrorKind::Server(ServerErrorKind::NoScript)
}

/// The data connection, timing every command it sends.
pub(super) struct Timed<'a> {
    pub(super) conn: ConnectionManager,
    pub(super) stats: &'a CommandStats,
}

impl ConnectionLike for Timed<'_> {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let started = Instant::now();
            let answer = self.conn.req_packed_command(cmd).await;
            self.stats.answered(started, &answer);
            answer
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let started = Instant::now();
            let answer = self.conn.req_packed_commands(pipeline, offset, count).await;
            self.stats.answered(started, &answer);
            answer
        })
    }

    fn get_db(&self) -> i64 {
        self.conn.get_db()
    }
}
