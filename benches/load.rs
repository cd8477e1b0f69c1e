//! Load benchmark: `cargo bench --bench load`. Starts the real release
//! binary on 127.0.0.1, drives it with `wrk` over loopback (keep-alive, one
//! thread, 64 connections, as in issue 4) and prints req/s, p50 and p99 of
//! each target with its ratio. Routes compared are run alternately in
//! rounds; a ratio is taken within each round and the median round counts,
//! so a noisy neighbour on the 2 cores hurts both sides alike.
//!
//! Targets: t1–t6 are issue 4's; 14.1, 14.3–14.6 are issue 14's (the hit
//! path against a bare warp floor, refusals at the door, fair logins, the
//! guest list at 10M, the miss path after a restart; issue 14's target 2
//! is t5 run reliably).
//!
//! Scale (env): GL_BENCH_TOKENS stored tokens (100000; issue 4: 1000000,
//! issue 14: 10000000), GL_BENCH_USERS they are minted over (1000; issue
//! 14: 100000), GL_BENCH_DISTINCT tokens the load spreads over (10000;
//! issue 4: 100000, issue 14: 1000000), GL_BENCH_WARMUP seconds of the
//! spread's first pass (twice GL_BENCH_SECS), GL_BENCH_CACHE the server's
//! `--cache-capacity` (its default when unset), GL_BENCH_COLD distinct
//! tokens of 14.6's cold start (100000, at most GL_BENCH_DISTINCT),
//! GL_BENCH_SECS per run (5), GL_BENCH_ROUNDS of alternation (3),
//! GL_BENCH_HIT_ROUNDS and GL_BENCH_HIT_SECS for 14.1 (7 rounds of 3 s).
//! GL_BENCH_ONLY=14.1,t5 runs only the targets listed. GL_BENCH_BIN runs
//! another guestlist binary than the one cargo built (a copy, say, that a
//! build in another worktree cannot replace halfway through).
//! Target 5 (open loop) needs `oha` (`cargo install oha`); without it the
//! bench says so and measures the rest.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "load/door.rs"]
mod door;
#[path = "load/floor.rs"]
mod floor;
#[path = "load/hit.rs"]
mod hit;
#[path = "load/issue4.rs"]
mod issue4;
#[path = "load/metrics.rs"]
mod metrics;
#[path = "load/miss.rs"]
mod miss;
#[path = "load/oha.rs"]
mod oha;
#[path = "load/scale.rs"]
mod scale;
#[path = "load/storm.rs"]
mod storm;
#[path = "load/wrk.rs"]
mod wrk;
use wrk::{Run, wrk};

/// The binary under test: `GL_BENCH_BIN`, else the one cargo built.
fn bin() -> String {
    std::env::var("GL_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_guestlist").to_owned())
}

/// Whether `target` is to be run (all of them without GL_BENCH_ONLY).
fn wanted(target: &str) -> bool {
    std::env::var("GL_BENCH_ONLY").map_or(true, |only| only.split(',').any(|t| t.trim() == target))
}

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
        let mut child = Command::new(bin())
            .args([
                "--data-dir",
                dir.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "serve",
            ])
            .args(std::env::var("GL_BENCH_CACHE").map(|n| format!("--cache-capacity={n}")))
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
    let status = Command::new(bin())
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "guestlist {args:?}");
}

/// The scale and pace of a run, from the environment (see the top).
struct Scale {
    distinct: u64,
    secs: u64,
    rounds: u64,
}

fn main() {
    if std::env::args().any(|a| a == "--list") || Command::new("wrk").arg("-v").output().is_err() {
        println!("load: needs wrk (apt-get install -y wrk); nothing measured");
        return;
    }
    let stored = env_u64("GL_BENCH_TOKENS", 100_000);
    let scale = Scale {
        distinct: env_u64("GL_BENCH_DISTINCT", 10_000).min(stored),
        secs: env_u64("GL_BENCH_SECS", 5),
        rounds: env_u64("GL_BENCH_ROUNDS", 3).max(1),
    };
    let work = tempfile::tempdir().unwrap();
    if wanted("t6") {
        idle(work.path());
    }
    let data = work.path().join("data");
    let tokens_file = mint(&data, work.path(), stored);
    if wanted("14.5") {
        scale::listings(&data);
        scale::make_admin(&data);
    }
    let text = std::fs::read_to_string(&tokens_file).unwrap();
    let tokens: Vec<&str> = text.lines().collect();
    let server = Server::start(&data);
    println!(
        "t6   start to listening {:.0} ms with {stored} tokens stored (14.5: ≤ 250 ms at 10M)",
        server.started_in.as_secs_f64() * 1e3
    );
    if wanted("14.5") {
        scale::admin_listings(&server.base);
    }
    targets(&server, work.path(), &tokens, &scale);
    if wanted("14.6") {
        drop(server);
        let restarted = Server::start(&data);
        let cold = env_u64("GL_BENCH_COLD", 100_000).min(scale.distinct) as usize;
        miss::first_checks(&restarted.base, &tokens[..cold]);
    }
}

/// Every target wanted, against `server`, in an order where none spoils
/// the next (the logouts of t3 use tokens no other target sends).
fn targets(server: &Server, work: &Path, tokens: &[&str], scale: &Scale) {
    let Scale {
        distinct,
        secs,
        rounds,
    } = *scale;
    let one = format!("Authorization: Bearer {}", tokens[0]);
    let mut need_login_rps = None;
    if wanted("14.1") || wanted("t1") {
        let hit_rounds = env_u64("GL_BENCH_HIT_ROUNDS", 7).max(1);
        let hit_secs = env_u64("GL_BENCH_HIT_SECS", 3);
        let hit = hit::rounds(&floor::start(), &server.base, &one, hit_rounds, hit_secs);
        need_login_rps = Some(hit.need_login_rps);
    }
    if wanted("t2") {
        issue4::spread(server, work, tokens, distinct, rounds, secs);
        if wanted("14.5") {
            scale::rss_after_spread(server, distinct);
        }
    }
    if wanted("14.3") {
        door::refusals(&server.base, &one, work, rounds, secs);
    }
    if wanted("14.4") {
        door::fair(&server.base, work, secs);
    }
    let need_login = format!("{}/need_login", server.base);
    let calm = need_login_rps.unwrap_or_else(|| wrk(&need_login, 64, secs, None, Some(&one)).rps);
    if wanted("t4") {
        issue4::storm_beside(&server.base, &one, calm, secs);
    }
    if wanted("t3") {
        let spent = work.join("logout.txt");
        // Enough for any run's logouts, without writing out millions.
        let end = tokens.len().min(distinct as usize + 500_000);
        std::fs::write(&spent, tokens[distinct as usize..end].join("\n") + "\n").unwrap();
        issue4::logouts(&server.base, work, &spent, secs);
    }
    if wanted("t6") {
        issue4::fill(server, work, tokens, secs);
    }
    if wanted("t5") {
        issue4::open_loop(&server.base, calm / 2.0, secs, rounds, &one);
    }
}

/// t6, idle: the RSS and start of a server on an empty data folder.
fn idle(work: &Path) {
    let server = Server::start(&work.join("empty"));
    std::thread::sleep(Duration::from_millis(500));
    println!(
        "t6   idle RSS {:.1} MiB, start to listening {:.0} ms (empty store)",
        server.rss_mib(),
        server.started_in.as_secs_f64() * 1e3
    );
}

/// Mints `stored` tokens into a new store in `data`; answers their file.
fn mint(data: &Path, work: &Path, stored: u64) -> std::path::PathBuf {
    cli(data, &["reset-db", "--yes"]);
    let all = work.join("tokens.txt");
    let minted = Instant::now();
    let count = stored.to_string();
    let out = all.to_str().unwrap();
    let users = env_u64("GL_BENCH_USERS", 1000).to_string();
    let args = [
        "tokens", "mint", "--count", &count, "--users", &users, "--out", out,
    ];
    cli(data, &args);
    scale::file_per_token(data, stored, minted.elapsed());
    all
}

fn rounds_of(target: &str, ratios: &[f64]) {
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.3}")).collect();
    println!("{target:4} ratio of each round: {}", each.join(", "));
}
