//! Background upkeep of a running server:
//!
//! - last-used times live in memory and are written at most once per
//!   `last_used_flush` (one group-committed transaction), and once more at
//!   shutdown, so a request never costs a write;
//! - expired token entries are purged every `purge_interval` through the
//!   expiry index, in bounded batches;
//! - the token cache's housekeeping runs every [`HOUSEKEEPING`], off the
//!   requests (see `TokenCache::run_pending_tasks`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::cache::LiveToken;
use crate::state::AppState;
use crate::store::StoreError;
use crate::time::now_secs;

/// Expired entries removed per transaction.
const PURGE_BATCH: usize = 1000;

/// How often the token cache's buffered records are applied: at 30k moka
/// reads a second, 60 arrive in 2 ms, under the 64 that make a request do
/// it. The hit path's front reads moka far less often than that.
pub const HOUSEKEEPING: Duration = Duration::from_millis(2);

/// Runs until `stop` changes.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut flush = ticker(state.config.last_used_flush);
    let mut purge = ticker(state.config.purge_interval);
    let mut housekeeping = ticker(HOUSEKEEPING);
    loop {
        tokio::select! {
            _ = housekeeping.tick() => state.gate.tokens().run_pending_tasks(),
            _ = flush.tick() => log_failure("flushing last-used times", flush_last_used(&state).await),
            _ = purge.tick() => log_failure("purging expired tokens", purge_expired(&state).await),
            _ = stop.changed() => break,
        }
    }
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let start = tokio::time::Instant::now() + period;
    let mut ticker = tokio::time::interval_at(start, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker
}

fn log_failure<T>(what: &str, outcome: Result<T, StoreError>) {
    if let Err(err) = outcome {
        tracing::warn!(%err, "{what} failed; will retry");
    }
}

/// Writes every last-used time not yet written, in one transaction.
pub async fn flush_last_used(state: &AppState) -> Result<usize, StoreError> {
    let pending: Vec<(Arc<LiveToken>, u64)> = state
        .gate
        .tokens()
        .live_entries()
        .filter_map(|token| token.unflushed().map(|at| (token, at)))
        .collect();
    if pending.is_empty() {
        return Ok(0);
    }
    let used: Vec<(String, u64)> = pending.iter().map(|(t, at)| (t.jti.clone(), *at)).collect();
    let written = state.guests.store().flush_last_used(used).await?;
    for (token, at) in pending {
        token.mark_flushed(at);
    }
    tracing::debug!(written, "last-used times flushed");
    Ok(written)
}

/// Removes expired entries in batches until none is left.
pub async fn purge_expired(state: &AppState) -> Result<usize, StoreError> {
    let mut purged = 0;
    loop {
        let now = now_secs();
        let gone = state.guests.store().purge_expired(now, PURGE_BATCH).await?;
        purged += gone;
        if gone < PURGE_BATCH {
            break;
        }
    }
    if purged > 0 {
        tracing::info!(purged, "expired tokens purged");
    }
    Ok(purged)
}
