//! Issue 14's target 6 (14.6), the miss path: a server restarted on a full
//! store (its cache cold), then `clients` distinct tokens arriving at once,
//! each sent once, so every check is a first check (JWT verify, one read of
//! the store, the cache filled). Driven from this process by 256 concurrent
//! HTTP/1.1 clients (reqwest, kept-alive connections) that take the next
//! token as they finish one; the rate is tokens ÷ the time to check them
//! all, the p99 is over every answer's latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CONCURRENT: usize = 256;

/// What the clients saw: each answer's latency, and the statuses.
#[derive(Default)]
struct Seen {
    latencies: Vec<Duration>,
    ok: u64,
    busy: u64,
    other: u64,
}

pub fn first_checks(base: &str, tokens: &[&str]) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let tokens: Arc<Vec<String>> = Arc::new(tokens.iter().map(|t| t.to_string()).collect());
    let started = Instant::now();
    let mut seen = runtime.block_on(drive(format!("{base}/need_login"), tokens.clone()));
    let elapsed = started.elapsed().as_secs_f64();
    seen.latencies.sort();
    let at = |q: f64| seen.latencies[((seen.latencies.len() - 1) as f64 * q) as usize];
    println!(
        "14.6 {} first checks after a restart in {elapsed:.2} s: {:.0}/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        tokens.len(),
        tokens.len() as f64 / elapsed,
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
    );
    println!(
        "14.6 answers: 200 {}, 503 {} (target 0), other {}",
        seen.ok, seen.busy, seen.other
    );
}

async fn drive(url: String, tokens: Arc<Vec<String>>) -> Seen {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENT)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENT {
        let (client, url, tokens, next) =
            (client.clone(), url.clone(), tokens.clone(), next.clone());
        clients.spawn(async move {
            let mut seen = Seen::default();
            while let Some(token) = tokens.get(next.fetch_add(1, Ordering::Relaxed)) {
                let sent = Instant::now();
                let status = client
                    .get(&url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                seen.latencies.push(sent.elapsed());
                match status {
                    Ok(200) => seen.ok += 1,
                    Ok(503) => seen.busy += 1,
                    _ => seen.other += 1,
                }
            }
            seen
        });
    }
    let mut all = Seen::default();
    while let Some(seen) = clients.join_next().await {
        let seen = seen.unwrap();
        all.latencies.extend(seen.latencies);
        (all.ok, all.busy, all.other) = (
            all.ok + seen.ok,
            all.busy + seen.busy,
            all.other + seen.other,
        );
    }
    all
}
