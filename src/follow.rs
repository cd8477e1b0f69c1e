//! A node of a shared store follows what the other nodes change: it reads
//! the store's change stream, applies each change to its cache (a user's
//! tokens rechecked, roles reloaded, everything forgotten after a gap), and
//! after each complete read extends how long its cache is trusted (see
//! `cache::Freshness`). While the stream cannot be read, nothing cached is
//! trusted and checks go to the store.

use std::time::Duration;

use tokio::sync::watch;

use crate::gate::Gate;
use crate::state::AppState;
use crate::store::{Batch, Change};

/// Pause before reconnecting after the stream failed.
const RETRY: Duration = Duration::from_millis(100);

/// How long one read may wait for news: well under the staleness bound, so
/// a quiet stream still renews trust in time.
fn block_for(bound: Duration) -> Duration {
    (bound / 3).min(Duration::from_millis(100))
}

/// Runs until `stop` changes; nothing to do without a shared store.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let gate = state.gate.clone();
    let Some(link) = gate.link().cloned() else {
        return;
    };
    let Some(mut feed) = state.guests.store().feed(block_for(link.bound())) else {
        return;
    };
    let mut failures = 0u32;
    loop {
        tokio::select! {
            read = feed.next() => match read {
                Ok(batch) => {
                    failures = 0;
                    link.reached();
                    apply(&gate, &state, batch).await;
                }
                Err(err) => {
                    link.lost(err.is_unanswered());
                    state.metrics.feed_failed();
                    tracing::warn!(%err, "the change stream is unreadable; untrusted checks get 503");
                    // Reconnect at once after one failure, then pause.
                    failures += 1;
                    if failures > 1 {
                        tokio::time::sleep(RETRY).await;
                    }
                }
            },
            _ = stop.changed() => break,
        }
    }
}

/// Applies one batch in order, then (if it was complete) renews trust.
async fn apply(gate: &Gate, state: &AppState, batch: Batch) {
    if batch.gap {
        tracing::warn!("a gap in the change stream: forgetting the whole cache");
        gate.forget_everything();
        state.metrics.feed_gap();
    }
    let applied = batch.changes.len() as u64;
    if let Some(lag) = batch.lag {
        state.metrics.feed_lag(lag);
    }
    for change in batch.changes {
        match change {
            Change::User(user_id) => gate.revoked(&user_id),
            Change::Roles(user_id) => refresh_roles(gate, user_id).await,
            Change::All => gate.forget_everything(),
        }
    }
    state.metrics.feed_applied(applied);
    if batch.complete {
        if let Some(link) = gate.link() {
            link.confirmed(batch.sent_at);
        }
    }
}

/// Reloads a user's roles off the async workers; if that fails, the user
/// is forgotten so their next check reads the store.
async fn refresh_roles(gate: &Gate, user_id: String) {
    let worker = gate.clone();
    let id = user_id.clone();
    let refreshed = tokio::task::spawn_blocking(move || worker.roles_changed(&id)).await;
    if !matches!(refreshed, Ok(Ok(()))) {
        tracing::warn!(%user_id, "roles could not be reloaded; forgetting the cache");
        gate.forget_everything();
    }
}
