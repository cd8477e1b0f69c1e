//! The hit path of a Redis-backed node against the design that asks Redis
//! on every request (`examples/jwt_redis.rs`: JWT verify plus one
//! `EXISTS` of the token's entry), both on the same Redis and the same
//! token, driven by wrk in alternated rounds (as `benches/ab.sh`): the
//! figure is the median of the per-round ratios. A bare warp route that
//! checks nothing (the floor) runs in the same rounds, so both designs are
//! also shown against the most any server on this warp can do here.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{Process, SECRET, env_usize, spread, status};

/// Builds the example (a no-op when it is up to date) and answers its path:
/// beside this bench's own binary, in the same target folder.
fn example_binary() -> PathBuf {
    let built = Command::new(env!("CARGO"))
        .args(["build", "--release", "--example", "jwt_redis"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::null())
        .status()
        .expect("cargo runs");
    assert!(built.success(), "cargo build --release --example jwt_redis");
    let exe = std::env::current_exe().unwrap();
    let release = exe.parent().and_then(Path::parent).unwrap();
    release.join("examples").join("jwt_redis")
}

/// The example server on the same Redis, reading the nodes' key prefix.
fn start(url: &str) -> (Process, String) {
    use std::io::BufRead;
    let mut child = Command::new(example_binary())
        .env("GUESTLIST_SECRET", SECRET)
        .env("JWT_REDIS_URL", url)
        .env("JWT_REDIS_PREFIX", "guestlist:")
        .stdout(Stdio::piped())
        .spawn()
        .expect("jwt_redis starts");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().expect("a line").expect("text");
    let base = line.strip_prefix("listening on ").unwrap().to_owned();
    (Process(child), base)
}

/// Requests per second of wrk -t1 -c64 on `url` with `token`; every
/// answer must be a 2xx (both designs accept the token).
pub fn wrk(url: &str, token: &str, secs: usize) -> f64 {
    let out = Command::new("wrk")
        .args(["-t1", "-c64", &format!("-d{secs}s"), "-H"])
        .arg(format!("Authorization: Bearer {token}"))
        .arg(url)
        .output()
        .expect("wrk runs (Debian: apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "refused answers from {url}:\n{text}"
    );
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|r| r.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rate from wrk:\n{text}"))
}

/// Rounds of the three `urls` (node, example, floor); per round the ratios
/// node ÷ example, node ÷ floor, example ÷ floor.
fn measure(urls: &[String; 3], token: &str, rounds: usize, secs: usize) -> [Vec<f64>; 3] {
    let mut ratios: [Vec<f64>; 3] = Default::default();
    for round in 0..rounds {
        // Each goes first in turn, so a drift of the machine hurts all.
        let mut rates = [0.0; 3];
        for i in 0..3 {
            let which = (round + i) % 3;
            rates[which] = wrk(&urls[which], token, secs);
        }
        let [ours, theirs, floor] = rates;
        println!(
            "  round {round}: node {ours:.0}/s, JWT + Redis EXISTS {theirs:.0}/s, floor {floor:.0}/s"
        );
        ratios[0].push(ours / theirs);
        ratios[1].push(ours / floor);
        ratios[2].push(theirs / floor);
    }
    ratios
}

/// `node` (a guestlist base URL) ÷ the example, round by round; prints the
/// median and the spread, and each against the floor.
pub async fn hit_path(node: &str, redis_url: &str, token: &str, gone: &str) {
    let (_example, example) = start(redis_url);
    let client = reqwest::Client::new();
    let (ours, theirs) = (
        format!("{node}/need_login"),
        format!("{example}/need_login"),
    );
    for url in [&ours, &theirs] {
        assert_eq!(status(&client, url, token).await, 200, "{url} accepts");
        assert_eq!(status(&client, url, gone).await, 401, "{url} refuses");
    }
    // The load bench's floor: it answers any path.
    let urls = [
        ours,
        theirs,
        format!("{}/need_login", super::floor::start()),
    ];
    let (rounds, secs) = (
        env_usize("GL_CLUSTER_ROUNDS", 5),
        env_usize("GL_CLUSTER_SECS", 3),
    );
    let ratios = measure(&urls, token, rounds, secs);
    let [versus, node_floor, theirs_floor] = ratios.map(|mut r| spread(&mut r));
    println!(
        "hit path /need_login, Redis-backed node / (JWT verify + one Redis EXISTS): {:.2} ({:.2}-{:.2}) over {rounds} rounds of {secs} s, wrk -t1 -c64 (target >= 1.5)",
        versus.0, versus.1, versus.2
    );
    println!(
        "  against the floor: node {:.2} ({:.2}-{:.2}), JWT + Redis EXISTS {:.2} ({:.2}-{:.2})",
        node_floor.0, node_floor.1, node_floor.2, theirs_floor.0, theirs_floor.1, theirs_floor.2
    );
}
