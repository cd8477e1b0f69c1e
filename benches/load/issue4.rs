//! Issue 4's targets other than t1 (which `hit` measures beside the floor):
//! t2 the spread, t4 a login storm, t3 durable logouts, t6 the RSS with the
//! cache full, t5 the open-loop p99.

use std::path::Path;
use std::time::Duration;

use crate::hit::median;
use crate::wrk::{Run, better, token_script, wrk};
use crate::{Server, cache_counts, metrics, oha, ratio, show, storm};

/// t2: `/need_login` over `distinct` tokens ÷ over one, both through the
/// same Lua script (wrk's per-request Lua costs client CPU on these shared
/// cores), after every token of the spread went once through the miss path.
pub fn spread(server: &Server, dir: &Path, tokens: &[&str], distinct: u64, rounds: u64, secs: u64) {
    let url = format!("{}/need_login", server.base);
    let spread = dir.join("spread.txt");
    std::fs::write(&spread, tokens[..distinct as usize].join("\n") + "\n").unwrap();
    let spread_lua = token_script(dir, "spread.lua", &spread, "GET", "/need_login");
    let first = dir.join("first.txt");
    std::fs::write(&first, format!("{}\n", tokens[0])).unwrap();
    let one_lua = token_script(dir, "one.lua", &first, "GET", "/need_login");
    let warmup = crate::env_u64("GL_BENCH_WARMUP", secs * 2);
    wrk(&url, 64, warmup, Some(&spread_lua), None);
    let (mut single, mut many, mut ratios) = (Run::default(), Run::default(), Vec::new());
    for _ in 0..rounds {
        let round_single = wrk(&url, 64, secs, Some(&one_lua), None);
        let (hits, misses) = cache_counts(&server.base);
        let round_many = wrk(&url, 64, secs, Some(&spread_lua), None);
        let (hits_after, misses_after) = cache_counts(&server.base);
        ratios.push(round_many.rps / round_single.rps);
        single = better(single, round_single);
        many = better(many, round_many);
        println!(
            "t2   token cache during the spread run: {:.0} hits, {:.0} misses, {:.0} entries",
            hits_after - hits,
            misses_after - misses,
            metrics::metric(&server.base, "guestlist_token_cache_entries")
        );
    }
    let stored = tokens.len();
    show(
        "t2",
        &format!("GET /need_login, {distinct} of {stored} tokens"),
        many,
    );
    show("t2", "GET /need_login, one token via the same Lua", single);
    crate::rounds_of("t2", &ratios);
    let goal = "≥ 0.75";
    ratio(
        "t2",
        "many ÷ one token, both Lua (median round)",
        median(&ratios),
        goal,
    );
}

/// t4: logins at ten times what bcrypt can serve, at a fixed rate, beside
/// `/need_login`. The storm's user logs in with the right password, so
/// every login that gets a slot costs a full bcrypt and none is throttled
/// as a failure. `calm` is `/need_login`'s unloaded req/s.
pub fn storm_beside(base: &str, one: &str, calm: f64, secs: u64) {
    let url = |p: &str| format!("{base}{p}");
    let signup =
        r#"{"username":"stormer","email":"stormer@example.com","password":"storm-password"}"#;
    let (status, _) = storm::one_by_one(&url("/api/v1/signup"), signup, 1);
    assert_eq!(status, [201], "the storm's user signs up");
    let login = r#"{"username":"stormer","password":"storm-password"}"#;
    let (statuses, per_login) = storm::one_by_one(&url("/api/v1/login"), login, 3);
    assert!(statuses.iter().all(|s| *s == 200), "logins {statuses:?}");
    let slots =
        std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1));
    let capacity = slots as f64 / per_login;
    let rate = 10.0 * capacity;
    let login_url = url("/api/v1/login");
    let storm_secs = secs as f64 + 2.0;
    let stormer = std::thread::spawn(move || storm::storm(&login_url, login, rate, storm_secs));
    std::thread::sleep(Duration::from_millis(1000));
    let stormed = wrk(&url("/need_login"), 64, secs, None, Some(one));
    let logins = stormer.join().unwrap();
    println!(
        "t4   bcrypt serves {capacity:.1} logins/s ({slots} slot(s), {:.0} ms each, unloaded); storm at {rate:.1}/s",
        per_login * 1e3
    );
    show("t4", "GET /need_login during the storm", stormed);
    ratio(
        "t4",
        "/need_login stormed ÷ unloaded",
        stormed.rps / calm,
        "≥ 0.5",
    );
    println!(
        "t4   logins sent {}: 200 {} (p50 {:.0} ms), refused {} (503 {}, 429 {}), other {}",
        logins.sent,
        logins.ok,
        logins.ok_p50_ms,
        logins.busy,
        logins.full,
        logins.busy - logins.full,
        logins.other
    );
    println!(
        "t4   refusal latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target: each within 100 ms)",
        logins.busy_p50_ms, logins.busy_p99_ms, logins.busy_max_ms
    );
}

/// t3: logouts, each token of `spent` once, 64 connections.
pub fn logouts(base: &str, dir: &Path, spent: &Path, secs: u64) {
    let logout_lua = token_script(dir, "logout.lua", spent, "POST", "/api/v1/logout");
    let commits = |name: &str| metrics::metric(base, name);
    let (batches, batched, commit_secs) = (
        commits("guestlist_group_commit_batch_size_count"),
        commits("guestlist_group_commit_batch_size_sum"),
        commits("guestlist_group_commit_seconds_total"),
    );
    let logouts = wrk(
        &format!("{base}/api/v1/logout"),
        64,
        secs,
        Some(&logout_lua),
        None,
    );
    let batches = commits("guestlist_group_commit_batch_size_count") - batches;
    println!(
        "t3   group commits {batches:.0}: {:.1} writes and {:.2} ms each on average",
        (commits("guestlist_group_commit_batch_size_sum") - batched) / batches,
        (commits("guestlist_group_commit_seconds_total") - commit_secs) * 1e3 / batches
    );
    show("t3", "POST /api/v1/logout, 64 conns", logouts);
    let ok = logouts.requests.saturating_sub(logouts.non_2xx) as f64 / secs as f64;
    println!("t3   durable logouts/s {ok:.0} (target ≥ 5000)");
}

/// t6: the cache filled to its default capacity (tokens from the end of
/// the list, so none is one t3 logged out), then the RSS.
pub fn fill(server: &Server, dir: &Path, tokens: &[&str], secs: u64) {
    let capacity = (guestlist::config::defaults::CACHE_CAPACITY as usize).min(tokens.len());
    let fill = dir.join("fill.txt");
    std::fs::write(&fill, tokens[tokens.len() - capacity..].join("\n") + "\n").unwrap();
    let fill_lua = token_script(dir, "fill.lua", &fill, "GET", "/need_login");
    for _ in 0..2 {
        wrk(
            &format!("{}/need_login", server.base),
            64,
            secs,
            Some(&fill_lua),
            None,
        );
    }
    println!(
        "t6   RSS {:.1} MiB with {} stored and {:.0} tokens cached (default capacity {capacity})",
        server.rss_mib(),
        tokens.len(),
        metrics::metric(&server.base, "guestlist_token_cache_entries")
    );
}

/// t5: `/need_login` and `/` at the same fixed rate, half the maximum,
/// alternated `rounds` times; the p99 ratio of the median round counts.
pub fn open_loop(base: &str, rate: f64, secs: u64, rounds: u64, one: &str) {
    if !oha::installed() {
        println!(
            "t5   NOT MEASURED: oha is not installed (cargo install oha; it must be on PATH, e.g. ~/.cargo/bin)"
        );
        return;
    }
    let mut p99_ratios = Vec::new();
    for _ in 0..rounds {
        let hello = oha::fixed_rate(&format!("{base}/"), rate, secs, None);
        let checked = oha::fixed_rate(&format!("{base}/need_login"), rate, secs, Some(one));
        for (name, run) in [
            ("GET /", hello),
            ("GET /need_login, one live token", checked),
        ] {
            println!(
                "t5   {name:40} at {rate:.0}/s: {:>8.0} req/s  p50 {:>7.3} ms  p99 {:>7.3} ms  not 200 {}",
                run.rps, run.p50_ms, run.p99_ms, run.not_ok
            );
        }
        p99_ratios.push(checked.p99_ms / hello.p99_ms);
    }
    crate::rounds_of("t5", &p99_ratios);
    let goal = "≤ 1.2";
    let what = "p99 /need_login ÷ p99 / (median round; issue 14's target 2)";
    ratio("t5", what, median(&p99_ratios), goal);
}
