//! When Redis stops answering, is killed, is replaced, or drops a node's
//! stream connection: fail closed, lose nothing acknowledged, miss nothing.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::redis::{RedisServer, SHARED_SECRET};
use crate::common::*;
use crate::nodes::{BOUND, cluster, stays, until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_redis_makes_each_node_answer_503_for_cached_tokens_never_200() {
    let Some(c) = cluster().await else { return };
    let token = c.a.user_session("sam").await.token;
    assert_eq!(c.a.check(&token).await, 200);
    assert_eq!(c.b.check(&token).await, 200);
    c.redis.pause();
    let paused = Instant::now();
    for node in [&c.a, &c.b] {
        until(node, "/need_login", &token, 503).await;
    }
    let refused_after = paused.elapsed();
    for node in [&c.a, &c.b] {
        stays(node, "/need_login", &token, 503).await;
        assert_eq!(node.healthz_status().await, 503);
    }
    c.redis.resume();
    for node in [&c.a, &c.b] {
        until(node, "/need_login", &token, 200).await;
    }
    assert!(
        refused_after >= BOUND / 2,
        "trusted for a while: {refused_after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_killed_and_restarted_keeps_every_acknowledged_login_and_revocation() {
    let Some(mut c) = cluster().await else { return };
    c.a.new_user("kim").await;
    let mut live = Vec::new();
    let mut revoked = Vec::new();
    for i in 0..20 {
        let session =
            c.a.login_as_agent("kim", &format!("device {i}"), None)
                .await;
        if i % 2 == 0 {
            assert_eq!(c.b.logout(&session.token).await.status(), 200);
            revoked.push(session.token);
        } else {
            live.push(session.token);
        }
    }
    c.redis.kill();
    c.redis.run();
    // A node that has cached nothing asks the restarted Redis.
    let fresh = spawn_with(c.redis.node(BOUND)).await;
    for token in &live {
        assert_eq!(
            fresh.check(token).await,
            200,
            "an acknowledged login was lost"
        );
    }
    for token in &revoked {
        assert_eq!(
            fresh.check(token).await,
            401,
            "an acknowledged revocation was lost"
        );
        until(&c.a, "/need_login", token, 401).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_stream_connection_resumes_without_losing_an_event() {
    let Some(c) = cluster().await else { return };
    let token = c.a.user_session("liz").await.token;
    assert_eq!(c.b.check(&token).await, 200);
    assert_eq!(
        c.redis.kill_clients_running("xread"),
        2,
        "one reader per node"
    );
    assert_eq!(c.a.logout(&token).await.status(), 200);
    until(&c.b, "/need_login", &token, 401).await;
    stays(&c.b, "/need_login", &token, 401).await;
    let other = c.a.login_token("liz", &password_of("liz")).await;
    until(&c.b, "/need_login", &other, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_replaced_by_an_empty_one_makes_every_node_forget_its_cache() {
    let Some(mut c) = cluster().await else { return };
    let token = c.a.user_session("eve").await.token;
    assert_eq!(c.b.check(&token).await, 200);
    c.redis.replace_with_empty();
    for node in [&c.a, &c.b] {
        until(node, "/need_login", &token, 401).await;
        stays(node, "/need_login", &token, 401).await;
    }
}

#[test]
fn a_redis_without_fsync_always_is_refused_at_start_with_one_line() {
    let Some(redis) = RedisServer::start_with("everysec") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut command = guestlist(dir.path());
    command
        .env(
            "GUESTLIST_SECRET",
            std::str::from_utf8(SHARED_SECRET).unwrap(),
        )
        .args(["--store", &redis.url(), "--listen", "127.0.0.1:0", "serve"]);
    let output = finish(&mut command);
    let line = assert_refused(&output, 1);
    assert!(line.contains("appendfsync is everysec"), "{line}");
}

/// What the clients were told: tokens whose login was acknowledged and not
/// revoked since, and tokens whose logout was acknowledged.
#[derive(Default)]
struct Told {
    live: Vec<String>,
    revoked: Vec<String>,
}

/// Logs in and out on `node` until `until`, recording each acknowledged
/// answer; a login whose logout was not acknowledged is left out. At most
/// 120 rounds: the tokens kept stay under the per-user cap (100), so no
/// acknowledged login is evicted.
async fn churn(node: Api, user: String, until: Instant, told: Arc<Mutex<Told>>) {
    let mut round = 0u32;
    while Instant::now() < until && round < 120 {
        round += 1;
        let Ok(login) = node.try_login(&user, &password_of(&user)).await else {
            continue;
        };
        if login.status() != 200 {
            continue;
        }
        let token = session(login).await.token;
        if round % 2 == 0 {
            told.lock().unwrap().live.push(token);
            continue;
        }
        let logout = node.logout_status(&token).await;
        if logout == 200 {
            told.lock().unwrap().revoked.push(token);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_killed_under_load_keeps_every_acknowledged_answer() {
    let Some(mut c) = cluster().await else { return };
    let told = Arc::new(Mutex::new(Told::default()));
    let stop = Instant::now() + Duration::from_millis(1500);
    let mut clients = Vec::new();
    for i in 0..6 {
        let user = format!("load{i}");
        c.a.new_user(&user).await;
        let node = if i % 2 == 0 { &c.a } else { &c.b };
        let api = Api::new(node.url(""));
        clients.push(tokio::spawn(churn(api, user, stop, told.clone())));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    c.redis.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.redis.run();
    for client in clients {
        client.await.unwrap();
    }
    let told = std::mem::take(&mut *told.lock().unwrap());
    assert!(told.live.len() + told.revoked.len() > 10, "the load ran");
    let fresh = spawn_with(c.redis.node(BOUND)).await;
    for token in &told.live {
        assert_eq!(
            fresh.check(token).await,
            200,
            "an acknowledged login was lost"
        );
    }
    for token in &told.revoked {
        assert_eq!(
            fresh.check(token).await,
            401,
            "an acknowledged logout was lost"
        );
    }
}
