//! Load benchmark: `cargo bench --bench load`. Starts the real release
//! binary on 127.0.0.1, drives it with `wrk` over loopback (keep-alive, one
//! thread, 64 connections, as in issue 4) and prints req/s, p50 and p99 of
//! each target with its ratio. Routes compared are run alternately in
//! rounds; a ratio is taken within each round and the median round counts,
//! so a noisy neighbour on the 2 cores hurts both sides alike.
//!
//! Scale (env): GL_BENCH_TOKENS stored tokens (100000; issue: 1000000),
//! GL_BENCH_DISTINCT tokens the load spreads over (10000; issue: 100000),
//! GL_BENCH_SECS per run (5), GL_BENCH_ROUNDS of alternation (3).
//! Target 5 (open loop) needs `oha` (`cargo install oha`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "load/metrics.rs"]
mod metrics;
#[path = "load/oha.rs"]
mod oha;
#[path = "load/storm.rs"]
mod storm;
#[path = "load/wrk.rs"]
mod wrk;
use wrk::{Run, better, token_script, wrk};

const BIN: &str = env!("CARGO_BIN_EXE_guestlist");

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Server {
    child: Child,
    base: String,
    started_in: Duration,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let started = Instant::now();
        let mut child = Command::new(BIN)
            .args([
                "--data-dir",
                dir.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "serve",
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines.next().expect("a line").expect("text");
        let started_in = started.elapsed();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .expect("listening on")
            .to_owned();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server {
            child,
            base,
            started_in,
        }
    }

    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        kib / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn show(target: &str, name: &str, run: Run) {
    println!(
        "{target:4} {name:44} {:>10.0} req/s  p50 {:>7.3} ms  p99 {:>7.3} ms  non-2xx {}",
        run.rps, run.p50_ms, run.p99_ms, run.non_2xx
    );
}

fn ratio(target: &str, what: &str, value: f64, goal: &str) {
    println!("{target:4} RATIO {what}: {value:.3} (target {goal})");
}

fn cache_counts(base: &str) -> (f64, f64) {
    (
        metrics::metric(base, "guestlist_token_cache_hits_total"),
        metrics::metric(base, "guestlist_token_cache_misses_total"),
    )
}

fn cli(dir: &Path, args: &[&str]) {
    let status = Command::new(BIN)
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "guestlist {args:?}");
}

fn main() {
    if std::env::args().any(|a| a == "--list") || Command::new("wrk").arg("-v").output().is_err() {
        println!("load: needs wrk (apt-get install -y wrk); nothing measured");
        return;
    }
    let stored = env_u64("GL_BENCH_TOKENS", 100_000);
    let distinct = env_u64("GL_BENCH_DISTINCT", 10_000).min(stored);
    let secs = env_u64("GL_BENCH_SECS", 5);
    let rounds = env_u64("GL_BENCH_ROUNDS", 3).max(1);
    let work = tempfile::tempdir().unwrap();

    // t6, idle: an empty data folder.
    let empty = work.path().join("empty");
    let server = Server::start(&empty);
    std::thread::sleep(Duration::from_millis(500));
    println!(
        "t6   idle RSS {:.1} MiB, start to listening {:.0} ms (empty store)",
        server.rss_mib(),
        server.started_in.as_secs_f64() * 1e3
    );
    drop(server);

    let data = work.path().join("data");
    cli(&data, &["reset-db", "--yes"]);
    let all = work.path().join("tokens.txt");
    let minted = Instant::now();
    cli(
        &data,
        &[
            "tokens",
            "mint",
            "--count",
            &stored.to_string(),
            "--users",
            "1000",
            "--out",
            all.to_str().unwrap(),
        ],
    );
    println!(
        "mint {stored} tokens in {:.1} s",
        minted.elapsed().as_secs_f64()
    );
    let text = std::fs::read_to_string(&all).unwrap();
    let tokens: Vec<&str> = text.lines().collect();
    let spread = work.path().join("spread.txt");
    std::fs::write(&spread, tokens[..distinct as usize].join("\n") + "\n").unwrap();
    let spent = work.path().join("logout.txt");
    std::fs::write(&spent, tokens[distinct as usize..].join("\n") + "\n").unwrap();

    let server = Server::start(&data);
    println!(
        "t6   start to listening {:.0} ms with {stored} tokens stored",
        server.started_in.as_secs_f64() * 1e3
    );
    let url = |p: &str| format!("{}{p}", server.base);
    let one = format!("Authorization: Bearer {}", tokens[0]);
    let spread_lua = token_script(work.path(), "spread.lua", &spread, "GET", "/need_login");
    // The same Lua script over one token: wrk's per-request Lua costs client
    // CPU on these shared cores, so t2 compares Lua with Lua.
    let first = work.path().join("first.txt");
    std::fs::write(&first, format!("{}\n", tokens[0])).unwrap();
    let one_lua = token_script(work.path(), "one.lua", &first, "GET", "/need_login");

    // Warm-up: every token of the spread once through the miss path, so
    // the runs below measure the cache, not its first fill.
    wrk(&url("/need_login"), 64, secs * 2, Some(&spread_lua), None);

    // t1 and t2: alternate /, one token, one token via Lua, many tokens,
    // `rounds` times; each ratio is taken within a round, and the median
    // round counts, so a burst of noise on the shared cores moves one round.
    let (mut hello, mut single, mut single_lua, mut many): (Run, Run, Run, Run) =
        Default::default();
    let (mut t1_ratios, mut t2_ratios) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let round_hello = wrk(&url("/"), 64, secs, None, None);
        let round_single = wrk(&url("/need_login"), 64, secs, None, Some(&one));
        let round_single_lua = wrk(&url("/need_login"), 64, secs, Some(&one_lua), None);
        let (hits, misses) = cache_counts(&server.base);
        let round_many = wrk(&url("/need_login"), 64, secs, Some(&spread_lua), None);
        t1_ratios.push(round_single.rps / round_hello.rps);
        t2_ratios.push(round_many.rps / round_single_lua.rps);
        hello = better(hello, round_hello);
        single = better(single, round_single);
        single_lua = better(single_lua, round_single_lua);
        many = better(many, round_many);
        let (hits_after, misses_after) = cache_counts(&server.base);
        println!(
            "t2   token cache during the spread run: {:.0} hits, {:.0} misses, {:.0} entries",
            hits_after - hits,
            misses_after - misses,
            metrics::metric(&server.base, "guestlist_token_cache_entries")
        );
    }
    println!("the best run of each route:");
    show("t1", "GET / (nothing checked)", hello);
    show("t1", "GET /need_login, one live token", single);
    rounds_of("t1", &t1_ratios);
    ratio(
        "t1",
        "/need_login ÷ / (median round)",
        median(&t1_ratios),
        "≥ 0.90",
    );
    show(
        "t2",
        &format!("GET /need_login, {distinct} of {stored} tokens"),
        many,
    );
    show(
        "t2",
        "GET /need_login, one token via the same Lua",
        single_lua,
    );
    rounds_of("t2", &t2_ratios);
    ratio(
        "t2",
        "many ÷ one token, both Lua (median round)",
        median(&t2_ratios),
        "≥ 0.75",
    );
    ratio(
        "t2",
        "many ÷ one token plain (best runs)",
        many.rps / single.rps,
        "≥ 0.75",
    );
    println!(
        "t6   RSS after the load: {:.1} MiB ({stored} stored, cache filled by {distinct})",
        server.rss_mib()
    );

    // t4: logins at ten times what bcrypt can serve, at a fixed rate,
    // beside /need_login. The storm's user logs in with the right password,
    // so every login that gets a slot costs a full bcrypt and none is
    // throttled as a failure.
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
    let stormed = wrk(&url("/need_login"), 64, secs, None, Some(&one));
    let logins = stormer.join().unwrap();
    println!(
        "t4   bcrypt serves {capacity:.1} logins/s ({slots} slot(s), {:.0} ms each, unloaded); storm at {rate:.1}/s",
        per_login * 1e3
    );
    show("t4", "GET /need_login during the storm", stormed);
    ratio(
        "t4",
        "/need_login stormed ÷ unloaded",
        stormed.rps / single.rps,
        "≥ 0.5",
    );
    println!(
        "t4   logins sent {}: 200 {} (p50 {:.0} ms), 503 {}, other {}",
        logins.sent, logins.ok, logins.ok_p50_ms, logins.busy, logins.other
    );
    println!(
        "t4   503 latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target: each within 100 ms)",
        logins.busy_p50_ms, logins.busy_p99_ms, logins.busy_max_ms
    );

    // t3: logouts, each token once, 64 connections.
    let logout_lua = token_script(work.path(), "logout.lua", &spent, "POST", "/api/v1/logout");
    let commits = |name: &str| metrics::metric(&server.base, name);
    let (batches, batched, commit_secs) = (
        commits("guestlist_group_commit_batch_size_count"),
        commits("guestlist_group_commit_batch_size_sum"),
        commits("guestlist_group_commit_seconds_total"),
    );
    let logouts = wrk(&url("/api/v1/logout"), 64, secs, Some(&logout_lua), None);
    let batches = commits("guestlist_group_commit_batch_size_count") - batches;
    println!(
        "t3   group commits {batches:.0}: {:.1} writes and {:.2} ms each on average",
        (commits("guestlist_group_commit_batch_size_sum") - batched) / batches,
        (commits("guestlist_group_commit_seconds_total") - commit_secs) * 1e3 / batches
    );
    show("t3", "POST /api/v1/logout, 64 conns", logouts);
    let ok = logouts.requests.saturating_sub(logouts.non_2xx) as f64 / secs as f64;
    println!(
        "t3   durable logouts/s {ok:.0} (target ≥ 5000); tokens available {}",
        tokens.len() as u64 - distinct
    );

    // t6: the cache filled to its default capacity (tokens from the end of
    // the list, so none is one t3 logged out), then the RSS.
    let capacity = (guestlist::config::defaults::CACHE_CAPACITY as usize).min(tokens.len());
    let fill = work.path().join("fill.txt");
    std::fs::write(&fill, tokens[tokens.len() - capacity..].join("\n") + "\n").unwrap();
    let fill_lua = token_script(work.path(), "fill.lua", &fill, "GET", "/need_login");
    for _ in 0..2 {
        wrk(&url("/need_login"), 64, secs, Some(&fill_lua), None);
    }
    println!(
        "t6   RSS {:.1} MiB with {stored} stored and {:.0} tokens cached (default capacity {capacity})",
        server.rss_mib(),
        metrics::metric(&server.base, "guestlist_token_cache_entries")
    );

    open_loop(&server.base, single.rps / 2.0, secs, rounds, &one);
}

/// t5: `/need_login` and `/` at the same fixed rate, half the maximum,
/// alternated `rounds` times; the p99 ratio of the median round counts.
fn open_loop(base: &str, rate: f64, secs: u64, rounds: u64, one: &str) {
    if !oha::installed() {
        println!("t5   needs oha (cargo install oha); not measured");
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
    rounds_of("t5", &p99_ratios);
    ratio(
        "t5",
        "p99 /need_login ÷ p99 / (median round)",
        median(&p99_ratios),
        "≤ 1.2",
    );
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    storm::percentile(&sorted, 0.5)
}

fn rounds_of(target: &str, ratios: &[f64]) {
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.3}")).collect();
    println!("{target:4} ratio of each round: {}", each.join(", "));
}
