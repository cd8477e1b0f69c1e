//! Logins per second on two nodes together against one node alone, in
//! alternated rounds: 16 clients, each logging in as its own user in a
//! loop. bcrypt is CPU-bound: on one machine both nodes share its cores,
//! so this shows what Redis costs a login, not what a second box adds.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{env_usize, spread};

const CLIENTS: usize = 16;
/// What a refused client (503: no bcrypt room; 429) waits before again.
const PAUSE: Duration = Duration::from_millis(50);

fn user(i: usize) -> (String, String) {
    (
        format!("bench{i}"),
        format!("the password of bench user {i}"),
    )
}

/// Signs the clients' users up (on the first node: all share Redis).
pub async fn sign_up(node: &str) {
    let client = reqwest::Client::new();
    for i in 0..CLIENTS {
        let (name, password) = user(i);
        let body =
            json!({"username": name, "email": format!("{name}@example.com"), "password": password});
        let answer = client
            .post(format!("{node}/api/v1/signup"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201, "sign-up of {name}");
    }
}

/// A token of `name` from a login on `node`.
async fn login(node: &str, name: &str, password: &str) -> String {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{node}/api/v1/login"))
        .json(&serde_json::json!({"username": name, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"].as_str().expect("a token").to_owned()
}

/// Two tokens of the first user from logins on `node`: one live, one
/// logged out (both designs of `versus` must refuse it).
pub async fn live_and_gone(node: &str) -> (String, String) {
    let (name, password) = user(0);
    let live = login(node, &name, &password).await;
    let gone = login(node, &name, &password).await;
    let out = reqwest::Client::new()
        .post(format!("{node}/api/v1/logout"))
        .bearer_auth(&gone)
        .send()
        .await;
    assert_eq!(out.unwrap().status(), 200);
    (live, gone)
}

/// Logins answered 200 per second, and the refused ones, over `secs`, the
/// clients spread over `nodes` in turn.
async fn round(nodes: &[&str], secs: u64) -> (f64, u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut clients = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let url = format!("{}/api/v1/login", nodes[i % nodes.len()]);
        let (name, password) = user(i);
        let body = json!({"username": name, "password": password}).to_string();
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut ok, mut refused) = (0u64, 0u64);
            while Instant::now() < deadline {
                let answer = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                match answer.map(|a| a.status().as_u16()) {
                    Ok(200) => ok += 1,
                    Ok(429 | 503) => {
                        refused += 1;
                        tokio::time::sleep(PAUSE).await;
                    }
                    other => panic!("login answered {other:?}"),
                }
            }
            (ok, refused)
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for client in clients {
        let (o, r) = client.await.unwrap();
        (ok, refused) = (ok + o, refused + r);
    }
    (ok as f64 / started.elapsed().as_secs_f64(), refused)
}

/// Two nodes ÷ one, round by round; prints the median and the spread.
pub async fn compare(a: &str, b: &str, bcrypt_cost: u32) {
    let (rounds, secs) = (env_usize("GL_CLUSTER_LOGIN_ROUNDS", 3), 5);
    let mut ratios = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let (one, two) = match r % 2 {
            0 => (round(&[a], secs).await, round(&[a, b], secs).await),
            _ => {
                let two = round(&[a, b], secs).await;
                (round(&[a], secs).await, two)
            }
        };
        println!(
            "  round {r}: one node {:.1}/s ({} refused), two nodes {:.1}/s ({} refused)",
            one.0, one.1, two.0, two.1
        );
        ratios.push(two.0 / one.0);
    }
    let (median, low, high) = spread(&mut ratios);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "logins, {CLIENTS} clients, bcrypt cost {bcrypt_cost}, two nodes / one node: {median:.2} ({low:.2}-{high:.2}) over {rounds} rounds of {secs} s (target >= 1; both nodes share this machine's {cores} cores)"
    );
}
