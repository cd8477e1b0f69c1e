//! The shared store's part of `/metrics`: the stream as this node follows
//! it, and what Redis commands cost.

use std::fmt::Write;

use super::{family, get, seconds_histogram};
use crate::histogram::BOUNDS_US;
use crate::state::AppState;

/// A shared store's stream, as this node follows it.
pub(super) fn stream(out: &mut String, state: &AppState) {
    let Some(link) = state.gate.link() else {
        return;
    };
    let m = &state.metrics;
    for (name, help, value) in [
        (
            "guestlist_feed_events_total",
            "Changes of other nodes applied from the stream.",
            get(&m.feed_events),
        ),
        (
            "guestlist_feed_gaps_total",
            "Gaps in the stream: the whole cache forgotten.",
            get(&m.feed_gaps),
        ),
        (
            "guestlist_feed_errors_total",
            "Failed reads of the stream (Redis errors on its connection).",
            get(&m.feed_errors),
        ),
    ] {
        family(out, name, "counter", help);
        let _ = writeln!(out, "{name} {value}");
    }
    family(
        out,
        "guestlist_cache_trusted_seconds",
        "gauge",
        "How long the cache stays trusted without news (negative: untrusted since).",
    );
    let margin = link.margin_ms() as f64 / 1e3;
    let _ = writeln!(out, "guestlist_cache_trusted_seconds {margin}");
    family(
        out,
        "guestlist_feed_lag_seconds",
        "gauge",
        "From the append of the last change read to its reading on this node.",
    );
    let lag = get(&m.feed_lag_us) as f64 / 1e6;
    let _ = writeln!(out, "guestlist_feed_lag_seconds {lag}");
}

/// Every command the shared store sent (the stream's blocking reads are
/// not timed, but their failures count).
pub(super) fn commands(out: &mut String, state: &AppState) {
    let Some(stats) = state.guests.store().command_stats() else {
        return;
    };
    family(
        out,
        "guestlist_redis_errors_total",
        "counter",
        "Redis commands that failed (no connection, timeout, error reply), stream reads included.",
    );
    let _ = writeln!(out, "guestlist_redis_errors_total {}", stats.errors());
    let snapshot = stats.latency.snapshot();
    seconds_histogram(
        out,
        "guestlist_redis_command_seconds",
        "From sending a Redis command, script call or pipeline to its answer.",
        (&BOUNDS_US, snapshot.cumulative.into_iter()),
        snapshot.sum_us,
    );
}
