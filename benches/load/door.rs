//! Logins under attack, issue 14's targets 3 and 4.
//!
//! - 14.3, refusals at the door: `/need_login` measured beside a 64-connection
//!   flood of logins that are all refused (a wrong password whose
//!   per-device budget is spent: 429), and beside a 64-connection flood of
//!   `GET /`. The figure is `/need_login`'s rate under the login flood ÷ its
//!   rate under the `GET /` flood (the same as the ratio of its shares of
//!   its calm rate): 1.0 when a refused login costs the server what a
//!   `GET /` does.
//! - 14.4, fair logins: one address (127.0.0.1) floods logins with a right
//!   password at 64 connections; another address (127.0.0.2) logs in to
//!   another account one login after another. Each must succeed within two
//!   bcrypt runs.

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::hit::median;
use crate::metrics::metric;
use crate::wrk::{Run, wrk};

/// A wrk script that POSTs `body` to the URL given to wrk.
fn post_script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let script = dir.join(name);
    let lua = format!(
        "wrk.method = \"POST\"\nwrk.body = '{body}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
    );
    std::fs::write(&script, lua).unwrap();
    script
}

/// `wrk` on `flood_url` (64 connections) for the whole of a `secs`-second
/// run of `wrk` on `/need_login` with the cached token, which starts a
/// second later. Answers (`/need_login`, flood).
fn beside(base: &str, one: &str, flood_url: &str, script: Option<&Path>, secs: u64) -> (Run, Run) {
    let (flood_url, script) = (flood_url.to_owned(), script.map(Path::to_path_buf));
    let flood = std::thread::spawn(move || wrk(&flood_url, 64, secs + 2, script.as_deref(), None));
    std::thread::sleep(Duration::from_secs(1));
    let checked = wrk(&format!("{base}/need_login"), 64, secs, None, Some(one));
    (checked, flood.join().unwrap())
}

/// POSTs `body` from the source address `from`, `times` times in a row:
/// each answer's status and seconds.
pub fn logins_from(url: &str, body: &str, from: IpAddr, times: usize) -> Vec<(u16, f64)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .local_address(from)
            .build()
            .unwrap();
        let mut answers = Vec::new();
        for _ in 0..times {
            let started = Instant::now();
            let sent = client
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_owned())
                .send()
                .await;
            let status = sent.map_or(0, |r| r.status().as_u16());
            answers.push((status, started.elapsed().as_secs_f64()));
        }
        answers
    })
}

fn sign_up(base: &str, name: &str, password: &str) {
    let body =
        format!(r#"{{"username":"{name}","email":"{name}@example.com","password":"{password}"}}"#);
    let answers = logins_from(
        &format!("{base}/api/v1/signup"),
        &body,
        [127, 0, 0, 1].into(),
        1,
    );
    assert_eq!(answers[0].0, 201, "{name} signs up");
}

/// 14.3; `dir` holds the wrk scripts.
pub fn refusals(base: &str, one: &str, dir: &Path, rounds: u64, secs: u64) {
    sign_up(base, "flooded", "flooded-password");
    let wrong = r#"{"username":"flooded","password":"wrong-password"}"#;
    // Spend the per-device failure budget first, so every login of the
    // flood is refused without bcrypt (one bcrypt at a time per address).
    let login = format!("{base}/api/v1/login");
    let spent = (0..20)
        .map(|_| logins_from(&login, wrong, [127, 0, 0, 1].into(), 1)[0].0)
        .take_while(|status| *status != 429)
        .count();
    println!("14.3 failures before the per-device limit answered 429: {spent}");
    let script = post_script(dir, "refused.lua", wrong);
    let (mut ratios, mut under_logins, mut under_hello) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let hello = || beside(base, one, &format!("{base}/"), None, secs);
        let logins = || beside(base, one, &login, Some(&script), secs);
        let (by_hello, by_logins) = if round % 2 == 0 {
            let h = hello();
            (h, logins())
        } else {
            let l = logins();
            (hello(), l)
        };
        println!(
            "14.3 round {round}: /need_login {:.0} req/s beside {:.0} GET /s; {:.0} req/s beside {:.0} logins/s ({} of {} not 2xx)",
            by_hello.0.rps,
            by_hello.1.rps,
            by_logins.0.rps,
            by_logins.1.rps,
            by_logins.1.non_2xx,
            by_logins.1.requests
        );
        ratios.push(by_logins.0.rps / by_hello.0.rps);
        under_logins.push(by_logins.0.rps);
        under_hello.push(by_hello.0.rps);
    }
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "14.3 RATIO /need_login beside a login flood ÷ beside a GET / flood: {:.3} (median of {rounds}; spread {:.3}–{:.3}; medians {:.0} and {:.0} req/s) (target ≥ 0.85)",
        median(&ratios),
        sorted[0],
        sorted[sorted.len() - 1],
        median(&under_logins),
        median(&under_hello),
    );
}

/// 14.4. Besides the time, counts the bcrypt runs the server finished
/// while each of the newcomer's logins was in flight (its own included):
/// two means it waited for at most the flood's one.
pub fn fair(base: &str, dir: &Path, secs: u64) {
    sign_up(base, "flooder", "flooder-password");
    sign_up(base, "newcomer", "newcomer-password");
    let login = format!("{base}/api/v1/login");
    let mine = r#"{"username":"newcomer","password":"newcomer-password"}"#;
    let other: IpAddr = [127, 0, 0, 2].into();
    let calm = logins_from(&login, mine, other, 3);
    let calm: Vec<f64> = calm.iter().map(|a| a.1).collect();
    let bcrypt = median(&calm);
    let body = r#"{"username":"flooder","password":"flooder-password"}"#;
    let script = post_script(dir, "flood.lua", body);
    let flood_url = login.clone();
    let flood = std::thread::spawn(move || wrk(&flood_url, 64, secs + 4, Some(&script), None));
    std::thread::sleep(Duration::from_secs(1));
    let checks = || metric(base, "guestlist_password_checks_total");
    let mut answers = Vec::new();
    for _ in 0..5 {
        let before = checks();
        let (status, took) = logins_from(&login, mine, other, 1)[0];
        answers.push((status, took, checks() - before));
    }
    let flood = flood.join().unwrap();
    let worst = answers.iter().map(|a| a.1).fold(0.0, f64::max);
    let most_runs = answers.iter().map(|a| a.2).fold(0.0, f64::max);
    let all_ok = answers.iter().all(|a| a.0 == 200);
    let each: Vec<String> = answers
        .iter()
        .map(|(status, took, runs)| {
            format!("{status} in {:.0} ms ({runs:.0} bcrypt runs)", took * 1e3)
        })
        .collect();
    println!(
        "14.4 one login unloaded {:.0} ms; beside a 64-connection flood from 127.0.0.1 ({:.0} answers/s, {} of {} not 2xx), 5 logins from 127.0.0.2: {}",
        bcrypt * 1e3,
        flood.rps,
        flood.non_2xx,
        flood.requests,
        each.join("; ")
    );
    println!(
        "14.4 RATIO slowest of those ÷ one unloaded login: {:.2}; most bcrypt runs while one was in flight: {most_runs:.0}; all 200: {all_ok} (target: all 200, within two bcrypt runs)",
        worst / bcrypt,
    );
}
