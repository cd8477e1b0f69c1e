//! Cluster benchmark: `cargo bench --bench cluster`. Starts a real
//! redis-server (`appendfsync always`, a Unix socket in a temp folder) and
//! two release guestlist nodes on it, then measures:
//!
//! - propagation: from node A's answer to a logout to node B's first 401
//!   for that token, over GL_CLUSTER_REVOCATIONS (1000) tokens cached on B,
//!   while a background client keeps B busy; p50 and p99;
//! - durable logouts per second from 64 clients spread over both nodes;
//! - the time from SIGSTOP of Redis to B's first 503 for a cached token;
//! - the hit path of node A against JWT verify plus one Redis lookup per
//!   request (`versus`, `examples/jwt_redis.rs`);
//! - logins per second on both nodes against node A alone (`logins`).
//!
//! Hit-path ratios (a Redis-backed node against a redb-backed one) come
//! from `benches/ab.sh` (see BENCHMARKS.md). Needs redis-server and wrk.

#[path = "load/floor.rs"]
mod floor;
#[path = "cluster/logins.rs"]
mod logins;
#[path = "cluster/versus.rs"]
mod versus;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_guestlist");
const SECRET: &str = "a shared secret of the cluster benchmark, 32+ bytes";

/// bcrypt cost of the nodes' users: below the default 12 so that a round
/// of the login measurement counts dozens of logins, not a handful.
const BCRYPT_COST: u32 = 10;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A child process killed (after SIGCONT) when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let pid = self.0.id().to_string();
        let _ = Command::new("kill").args(["-CONT", &pid]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn redis(dir: &Path) -> (Process, String) {
    let socket = dir.join("redis.sock");
    let child = Command::new("redis-server")
        .args(["--port", "0", "--unixsocket"])
        .arg(&socket)
        .arg("--dir")
        .arg(dir)
        .args([
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    while !socket.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
    (Process(child), format!("redis+unix://{}", socket.display()))
}

fn guestlist(dir: &Path, url: &str) -> Command {
    let mut command = Command::new(BIN);
    command.env("GUESTLIST_SECRET", SECRET).args([
        "--data-dir",
        dir.to_str().unwrap(),
        "--store",
        url,
    ]);
    command
}

fn node(dir: &Path, url: &str) -> (Process, String) {
    use std::io::BufRead;
    std::fs::create_dir_all(dir).unwrap();
    let log = std::fs::File::create(dir.join("node.log")).unwrap();
    let mut child = guestlist(dir, url)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--bcrypt-cost",
            &BCRYPT_COST.to_string(),
        ])
        // The login measurement's 16 clients share one address.
        .args(["--max-logins-in-flight-per-address", "64"])
        .arg("serve")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("the node starts");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().expect("a line").expect("text");
    std::thread::spawn(move || lines.for_each(drop));
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (Process(child), base)
}

fn mint(dir: &Path, url: &str, count: usize) -> Vec<String> {
    let out = dir.join(format!("tokens-{count}.txt"));
    let status = guestlist(dir, url)
        .args([
            "tokens",
            "mint",
            "--count",
            &count.to_string(),
            "--users",
            "64",
        ])
        .arg("--out")
        .arg(&out)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "mint");
    let text = std::fs::read_to_string(out).unwrap();
    text.lines().map(str::to_owned).collect()
}

async fn status(client: &reqwest::Client, url: &str, token: &str) -> u16 {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// The median, lowest and highest of `ratios`.
fn spread(ratios: &mut [f64]) -> (f64, f64, f64) {
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    let median = match n % 2 {
        1 => ratios[n / 2],
        _ => (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0,
    };
    (median, ratios[0], ratios[n - 1])
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// From A's answer to a logout to B's first 401, token by token.
async fn propagation(a: &str, b: &str, tokens: &[String]) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let check = format!("{b}/need_login");
    for token in tokens {
        assert_eq!(status(&client, &check, token).await, 200, "cached on B");
    }
    let busy = Arc::new(AtomicBool::new(true));
    let load = tokio::spawn(keep_busy(check.clone(), tokens[0].clone(), busy.clone()));
    let mut took = Vec::with_capacity(tokens.len() - 1);
    for token in &tokens[1..] {
        let answer = client
            .post(format!("{a}/api/v1/logout"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let answered = Instant::now();
        while status(&client, &check, token).await != 401 {}
        took.push(answered.elapsed());
    }
    busy.store(false, Ordering::Relaxed);
    let _ = load.await;
    took.sort();
    took
}

/// Four clients checking one token on B in a loop: B is not idle.
async fn keep_busy(url: String, token: String, busy: Arc<AtomicBool>) {
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (url, token, busy) = (url.clone(), token.clone(), busy.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            while busy.load(Ordering::Relaxed) {
                status(&client, &url, &token).await;
            }
        }));
    }
    for client in clients {
        let _ = client.await;
    }
}

/// 64 clients, each logging out its own tokens, on A and B in turn.
async fn logouts(nodes: [&str; 2], tokens: Vec<String>) -> f64 {
    let per_client = tokens.len() / 64;
    let started = Instant::now();
    let mut clients = Vec::new();
    for (i, chunk) in tokens.chunks(per_client).take(64).enumerate() {
        let url = format!("{}/api/v1/logout", nodes[i % 2]);
        let chunk = chunk.to_vec();
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for token in chunk {
                let answer = client.post(&url).bearer_auth(&token).send().await;
                assert_eq!(answer.unwrap().status(), 200);
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    (per_client * 64) as f64 / started.elapsed().as_secs_f64()
}

/// From SIGSTOP of Redis to B's first 503 for a token it has cached.
async fn time_to_503(redis: &Process, b: &str, token: &str) -> Duration {
    let client = reqwest::Client::new();
    let check = format!("{b}/need_login");
    assert_eq!(status(&client, &check, token).await, 200);
    let pid = redis.0.id().to_string();
    Command::new("kill").args(["-STOP", &pid]).status().unwrap();
    let stopped = Instant::now();
    loop {
        let code = status(&client, &check, token).await;
        if code == 503 {
            break;
        }
        assert_eq!(code, 200, "only 200 or 503 while Redis is stopped");
    }
    let took = stopped.elapsed();
    Command::new("kill").args(["-CONT", &pid]).status().unwrap();
    took
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("cluster bench SKIPPED: redis-server is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    println!("work folder (node logs): {}", dir.path().display());
    let (redis, url) = redis(dir.path());
    let dirs: Vec<PathBuf> = (0..2).map(|i| dir.path().join(format!("n{i}"))).collect();
    let (_a, a) = node(&dirs[0], &url);
    let (_b, b) = node(&dirs[1], &url);
    let revocations = env_usize("GL_CLUSTER_REVOCATIONS", 1000);
    let tokens = mint(dir.path(), &url, revocations + 1);
    let took = propagation(&a, &b, &tokens).await;
    println!(
        "propagation A logout -> B 401 over {} revocations (B under load): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= 10 ms)",
        took.len(),
        percentile(&took, 0.5).as_secs_f64() * 1e3,
        percentile(&took, 0.99).as_secs_f64() * 1e3,
        took.last().unwrap().as_secs_f64() * 1e3
    );
    let many = mint(dir.path(), &url, env_usize("GL_CLUSTER_LOGOUTS", 64 * 200));
    let rate = logouts([&a, &b], many).await;
    println!("durable logouts, 64 clients over 2 nodes: {rate:.0}/s (target >= 5000/s)");
    logins::sign_up(&a).await;
    let (token, gone) = logins::live_and_gone(&a).await;
    versus::hit_path(&a, &url, &token, &gone).await;
    logins::compare(&a, &b, BCRYPT_COST).await;
    let last = mint(dir.path(), &url, 1);
    let stop = time_to_503(&redis, &b, &last[0]).await;
    println!(
        "SIGSTOP of Redis -> first 503 on B for a cached token: {:.0} ms (bound 500 ms; target <= 600 ms)",
        stop.as_secs_f64() * 1e3
    );
}
