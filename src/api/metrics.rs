//! GET /metrics: Prometheus text format (0.0.4).
//!
//! Who may read it: only a client connected from a loopback address whose
//! request carries no `Forwarded` or `X-Forwarded-For` header. A scraper on
//! the same host gets it; a request relayed by a reverse proxy (which would
//! also connect from loopback) does not, so putting guestlist behind nginx
//! does not publish its counters. Everyone else gets 403.
//!
//! Everything is read from atomics, except the count of live tokens, which
//! is one O(1) length read of the tokens table on the blocking pool: never
//! on the hot path, only when scraped.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use warp::Filter;
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;

use super::Route;
use super::error::error_response;
use super::filters::{PeerAddr, with_state};
use crate::state::AppState;
use crate::traffic::{BUCKETS_US, CLASSES};

mod shared;

pub fn route(state: &AppState) -> Route {
    warp::path!("metrics")
        .and(warp::get())
        .and(warp::ext::optional::<PeerAddr>())
        .and(warp::header::headers_cloned())
        .and(with_state(state.clone()))
        .then(
            |peer: Option<PeerAddr>, headers: HeaderMap, state: AppState| async move {
                if !may_read(peer, &headers) {
                    return error_response(StatusCode::FORBIDDEN, "metrics are local only");
                }
                render(&state).await
            },
        )
        .boxed()
}

fn may_read(peer: Option<PeerAddr>, headers: &HeaderMap) -> bool {
    let local = peer.is_some_and(|p| p.0.ip().is_loopback());
    local && !headers.contains_key("forwarded") && !headers.contains_key("x-forwarded-for")
}

fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// Writes one metric family's header.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

async fn render(state: &AppState) -> Response {
    let live = state.guests.store().totals().await.map(|t| t.tokens);
    let mut out = String::with_capacity(8 * 1024);
    traffic(&mut out, state);
    let gate = state.gate.stats();
    family(
        &mut out,
        "guestlist_token_cache_hits_total",
        "counter",
        "Tokens admitted from the cache.",
    );
    let _ = writeln!(out, "guestlist_token_cache_hits_total {}", gate.hits.sum());
    family(
        &mut out,
        "guestlist_token_cache_misses_total",
        "counter",
        "Tokens looked up in the store.",
    );
    let _ = writeln!(
        out,
        "guestlist_token_cache_misses_total {}",
        get(&gate.misses)
    );
    family(
        &mut out,
        "guestlist_token_cache_entries",
        "gauge",
        "Entries in the token cache (approximate).",
    );
    let _ = writeln!(
        out,
        "guestlist_token_cache_entries {}",
        state.gate.tokens().len()
    );
    if let Ok(live) = live {
        family(
            &mut out,
            "guestlist_live_tokens",
            "gauge",
            "Token entries in the store.",
        );
        let _ = writeln!(out, "guestlist_live_tokens {live}");
    }
    let m = &state.metrics;
    family(
        &mut out,
        "guestlist_logins_total",
        "counter",
        "Logins by outcome.",
    );
    for (outcome, counter) in [
        ("succeeded", &m.logins_succeeded),
        ("failed", &m.logins_failed),
        ("throttled", &m.logins_throttled),
    ] {
        let _ = writeln!(
            out,
            "guestlist_logins_total{{outcome=\"{outcome}\"}} {}",
            get(counter)
        );
    }
    family(
        &mut out,
        "guestlist_password_checks_total",
        "counter",
        "bcrypt computations finished (logins, sign-ups, password changes).",
    );
    let checks = state.guests.password_checks();
    let _ = writeln!(out, "guestlist_password_checks_total {checks}");
    family(
        &mut out,
        "guestlist_revocations_total",
        "counter",
        "Tokens revoked.",
    );
    let _ = writeln!(out, "guestlist_revocations_total {}", get(&m.revocations));
    writer(&mut out, state);
    shared::stream(&mut out, state);
    shared::commands(&mut out, state);
    let mut response = Response::new(out.into());
    response.headers_mut().insert(
        warp::http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

fn traffic(out: &mut String, state: &AppState) {
    let t = &state.metrics.traffic;
    family(
        out,
        "guestlist_http_requests_total",
        "counter",
        "Answered requests by route and status class.",
    );
    for (index, route) in super::labels().iter().enumerate() {
        for (c, class) in CLASSES.iter().enumerate() {
            let n = t.requests(index, c);
            if n > 0 {
                let _ = writeln!(
                    out,
                    "guestlist_http_requests_total{{route=\"{route}\",status=\"{class}\"}} {n}"
                );
            }
        }
    }
    let cumulative = (0..=BUCKETS_US.len()).scan(0, |total, bucket| {
        *total += t.latency(bucket);
        Some(*total)
    });
    seconds_histogram(
        out,
        "guestlist_http_request_duration_seconds",
        "Time to answer, from the request head to the response.",
        (&BUCKETS_US, cumulative),
        t.latency_sum_us(),
    );
}

/// A histogram family of durations: `cumulative` gives one count per bound
/// of `bounds_us` (microseconds), then the +Inf count, which is the count.
fn seconds_histogram(
    out: &mut String,
    name: &str,
    help: &str,
    (bounds_us, cumulative): (&[u64], impl Iterator<Item = u64>),
    sum_us: u64,
) {
    family(out, name, "histogram", help);
    let mut count = 0;
    for (i, total) in cumulative.enumerate() {
        count = total;
        match bounds_us.get(i) {
            Some(bound) => {
                let le = *bound as f64 / 1e6;
                let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {total}");
            }
            None => {
                let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {total}");
            }
        }
    }
    let _ = writeln!(out, "{name}_sum {}", sum_us as f64 / 1e6);
    let _ = writeln!(out, "{name}_count {count}");
}

/// The group-commit writer: batch sizes as a histogram (its buckets are
/// 1, 2–4, 5–16, 17–64, 65+) and the time spent committing.
fn writer(out: &mut String, state: &AppState) {
    let Some(w) = state.guests.store().writer_stats() else {
        return;
    };
    family(
        out,
        "guestlist_group_commit_batch_size",
        "histogram",
        "Writes per durable transaction.",
    );
    let mut cumulative = 0;
    for (le, counter) in ["1", "4", "16", "64", "+Inf"].iter().zip(&w.size_buckets) {
        cumulative += get(counter);
        let _ = writeln!(
            out,
            "guestlist_group_commit_batch_size_bucket{{le=\"{le}\"}} {cumulative}"
        );
    }
    let _ = writeln!(
        out,
        "guestlist_group_commit_batch_size_sum {}",
        get(&w.writes)
    );
    let _ = writeln!(
        out,
        "guestlist_group_commit_batch_size_count {}",
        get(&w.batches)
    );
    family(
        out,
        "guestlist_group_commit_seconds_total",
        "counter",
        "Time spent in batches, commit included.",
    );
    let secs = get(&w.commit_micros) as f64 / 1e6;
    let _ = writeln!(out, "guestlist_group_commit_seconds_total {secs}");
    family(
        out,
        "guestlist_group_commit_failed_total",
        "counter",
        "Batches whose commit failed.",
    );
    let _ = writeln!(
        out,
        "guestlist_group_commit_failed_total {}",
        get(&w.failed_batches)
    );
}
