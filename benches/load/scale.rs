//! Issue 14's target 5 (14.5), the guest list at scale: what minting cost,
//! the file's bytes per token, and the offline listings timed on the full
//! store. The start, the spread (t2), the RSS after it and the durable
//! logouts (t3) are measured by the other targets on the same store; run
//! them together (see BENCHMARKS.md for the command at 10M).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The file's size per stored token, after mint packed it.
pub fn file_per_token(data: &Path, stored: u64, minted_in: Duration) {
    let bytes = std::fs::metadata(data.join("guestlist.redb")).map_or(0, |m| m.len());
    println!(
        "14.5 mint {stored} tokens in {:.1} s (target ≤ 600 s at 10M)",
        minted_in.as_secs_f64()
    );
    println!(
        "14.5 file {:.1} MiB, {:.0} bytes per token (target ≤ 300)",
        bytes as f64 / (1024.0 * 1024.0),
        bytes as f64 / stored as f64
    );
}

/// The offline listings on the full store, each timed as a whole command
/// (process start and the database's open included).
pub fn listings(data: &Path) {
    let commands: [&[&str]; 4] = [
        &["users", "list"],
        &["users", "show", "mint-user-0"],
        &["tokens", "list", "mint-user-0"],
        &["roles", "list"],
    ];
    for args in commands {
        let started = Instant::now();
        crate::cli(data, args);
        println!(
            "14.5 `guestlist {}` took {:.0} ms",
            args.join(" "),
            ms(started)
        );
    }
}

/// The server's RSS once the spread went through it.
pub fn rss_after_spread(server: &crate::Server, distinct: u64) {
    println!(
        "14.5 RSS {:.1} MiB after the spread over {distinct} tokens (target ≤ 128 MiB, default cache)",
        server.rss_mib()
    );
}

const ADMIN: [&str; 3] = [
    "bench-admin",
    "bench-admin@bench.invalid",
    "a bench admin's password",
];

/// An admin for the listings over HTTP, made offline before the start.
pub fn make_admin(data: &Path) {
    crate::cli(data, &["create-admin", ADMIN[0], ADMIN[1], ADMIN[2]]);
}

/// The admin listings over HTTP, timed: the first page of 500 users of
/// `GET /api/v1/users`, every page of it, and one user's tokens.
pub fn admin_listings(base: &str) {
    let login = format!(r#"{{"username":"{}","password":"{}"}}"#, ADMIN[0], ADMIN[2]);
    let answer = curl(
        &["-X", "POST", "-d", &login, &format!("{base}/api/v1/login")],
        None,
    );
    let token = answer["token"]
        .as_str()
        .expect("the admin logs in")
        .to_owned();
    let started = Instant::now();
    let (mut after, mut pages, mut users) = (String::new(), 0, 0);
    loop {
        let url = format!("{base}/api/v1/users?limit=500&after={after}");
        let page = curl(&[url.as_str()], Some(&token));
        let listed = page["users"].as_array().map_or(0, Vec::len);
        (pages, users) = (pages + 1, users + listed);
        if pages == 1 {
            println!(
                "14.5 GET /api/v1/users?limit=500, first page: {:.0} ms",
                ms(started)
            );
        }
        match page["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    println!(
        "14.5 GET /api/v1/users, all {pages} pages ({users} users): {:.0} ms",
        ms(started)
    );
    let started = Instant::now();
    let tokens = curl(
        &[&format!("{base}/api/v1/users/mint-user-0/tokens")],
        Some(&token),
    );
    let held = tokens["tokens"].as_array().map_or(0, Vec::len);
    println!(
        "14.5 GET /api/v1/users/mint-user-0/tokens ({held} tokens): {:.0} ms",
        ms(started)
    );
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

fn curl(args: &[&str], token: Option<&str>) -> serde_json::Value {
    let mut command = Command::new("curl");
    command.args(["-fsS", "-H", "Content-Type: application/json"]);
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let out = command.args(args).output().expect("curl runs");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}
