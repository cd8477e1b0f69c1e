//! `kill -9` in the middle of a mixed login/logout/revoke load, repeated
//! (`GUESTLIST_KILL_CYCLES`, default 100). After each restart: every
//! acknowledged login works unless later revoked, every acknowledged
//! revocation stays revoked, a revoke-all is all or nothing, and each
//! user's token list holds exactly what the clients were told (plus, at
//! most, logins whose answer the kill swallowed).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tokio::sync::Mutex;

use crate::common::*;

const USERS: usize = 4;
const PASSWORD: &str = "password123";

/// `guestlist serve` with room for every token the load makes, logs off.
pub(crate) fn start(data: &Path) -> Server {
    let mut command = guestlist(data);
    command
        .env("GUESTLIST_MAX_TOKENS_PER_USER", "100000")
        .env("RUST_LOG", "off")
        .args(["--listen", "127.0.0.1:0", "serve"]);
    Server::start_with(&mut command)
}

/// What the clients were told, per user.
#[derive(Default)]
struct Known {
    /// token -> id, acknowledged and not (certainly) revoked.
    live: HashMap<String, String>,
    revoked: HashSet<String>,
    /// Logouts and revocations whose answer was lost.
    unsure: HashSet<String>,
    /// A revoke-all whose answer was lost: these tokens die together or not.
    unsure_all: Vec<String>,
    /// Ids on the list no client was told about (a lost login answer).
    ghosts: HashSet<String>,
    lost_logins: usize,
}

struct Load {
    api: Api,
    acks: AtomicUsize,
}

impl Load {
    async fn login(&self, user: usize) -> Option<(String, String)> {
        let response = self
            .api
            .try_login(&format!("user{user}"), PASSWORD)
            .await
            .ok()?;
        if response.status() != 200 {
            return None;
        }
        let body: Value = response.json().await.ok()?;
        let token = body["token"].as_str()?.to_owned();
        Some((token, body["id"].as_str()?.to_owned()))
    }

    /// `Some(status)` or `None` when the answer was lost.
    async fn call(&self, method: reqwest::Method, path: &str, token: &str) -> Option<u16> {
        let response = self
            .api
            .try_send(method, path, Some(&bearer(token)), None)
            .await;
        let status = response.ok()?.status().as_u16();
        self.acks.fetch_add(1, Ordering::Relaxed);
        Some(status)
    }

    async fn list(&self, token: &str) -> HashSet<String> {
        self.api.listed_ids(token).await
    }
}

/// One user's operations, one at a time, until the kill cuts them off.
async fn drive(load: Arc<Load>, user: usize, known: Arc<Mutex<Known>>, seed: u64) {
    use reqwest::Method;
    let mut rng = seed;
    loop {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let pick = (rng >> 33) % 9;
        let some = known
            .lock()
            .await
            .live
            .iter()
            .next()
            .map(|(t, i)| (t.clone(), i.clone()));
        let Some((token, id)) = some.filter(|_| pick >= 4) else {
            known.lock().await.lost_logins += 1;
            let Some((token, id)) = load.login(user).await else {
                return;
            };
            load.acks.fetch_add(1, Ordering::Relaxed);
            let mut known = known.lock().await;
            known.lost_logins -= 1;
            known.live.insert(token, id);
            continue;
        };
        let all: Vec<String> = known.lock().await.live.keys().cloned().collect();
        let outcome = match pick {
            4 | 5 => load.call(Method::POST, "/api/v1/logout", &token).await,
            6 | 7 => {
                load.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), &token)
                    .await
            }
            _ => load.call(Method::DELETE, "/api/v1/tokens", &token).await,
        };
        let mut known = known.lock().await;
        let dying = if pick == 8 { all } else { vec![token] };
        match outcome {
            Some(200) => {
                for token in dying {
                    known.live.remove(&token);
                    known.revoked.insert(token);
                }
                if pick == 8 {
                    known.ghosts.clear();
                }
            }
            Some(other) => panic!("a revocation answered {other}"),
            None if pick == 8 => known.unsure_all = dying,
            None => {
                known.unsure.extend(dying);
            }
        }
        if outcome.is_none() {
            return;
        }
    }
}

/// After a restart: settle what the kill left open, then check everything.
async fn verify(load: &Load, known: &mut Known) {
    let unsure_all = std::mem::take(&mut known.unsure_all);
    if let Some(first) = unsure_all.first() {
        let alive = load.call(reqwest::Method::GET, "/need_login", first).await == Some(200);
        for token in &unsure_all {
            let status = load.call(reqwest::Method::GET, "/need_login", token).await;
            assert_eq!(
                status == Some(200),
                alive,
                "a revoke-all was applied in part"
            );
        }
        if !alive {
            for token in unsure_all {
                known.live.remove(&token);
                known.revoked.insert(token);
            }
            known.ghosts.clear();
        }
    }
    for token in std::mem::take(&mut known.unsure) {
        if load.call(reqwest::Method::GET, "/need_login", &token).await != Some(200) {
            known.live.remove(&token);
            known.revoked.insert(token);
        }
    }
    for token in known.live.keys() {
        let status = load.call(reqwest::Method::GET, "/need_login", token).await;
        assert_eq!(status, Some(200), "an acknowledged login was lost");
    }
    for token in &known.revoked {
        let status = load.call(reqwest::Method::GET, "/need_login", token).await;
        assert_eq!(status, Some(401), "an acknowledged revocation came back");
    }
    let Some(token) = known.live.keys().next().cloned() else {
        return;
    };
    let listed = load.list(&token).await;
    let told: HashSet<String> = known.live.values().cloned().collect();
    assert!(
        told.is_subset(&listed),
        "a live token is missing from the list"
    );
    let extra: HashSet<String> = listed.difference(&told).cloned().collect();
    known.ghosts.extend(extra);
    assert!(
        known.ghosts.len() <= known.lost_logins,
        "the list holds tokens nobody was given"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_acknowledged_login_or_revocation() {
    let cycles: usize = std::env::var("GUESTLIST_KILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    let known: Vec<Arc<Mutex<Known>>> = (0..USERS).map(|_| Arc::default()).collect();
    let mut server = start(dir.path());
    for user in 0..USERS {
        server.add_user(&format!("user{user}"), PASSWORD).await;
    }
    for cycle in 0..cycles {
        let load = Arc::new(Load {
            api: Api::new(server.base.clone()),
            acks: AtomicUsize::new(0),
        });
        let tasks: Vec<_> = (0..USERS)
            .map(|u| {
                tokio::spawn(drive(
                    load.clone(),
                    u,
                    known[u].clone(),
                    (cycle * USERS + u) as u64,
                ))
            })
            .collect();
        // Kill after a varying number of answers: mid-flight, not at rest.
        let target = 5 + cycle % 23;
        while load.acks.load(Ordering::Relaxed) < target && !tasks.iter().all(|t| t.is_finished()) {
            tokio::task::yield_now().await;
        }
        server.kill();
        for task in tasks {
            task.await.unwrap();
        }
        server = start(dir.path());
        let load = Load {
            api: Api::new(server.base.clone()),
            acks: AtomicUsize::new(0),
        };
        for user in &known {
            verify(&load, &mut *user.lock().await).await;
        }
    }
    server.kill();
}
