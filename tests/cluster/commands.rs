//! The command line against a shared store: a guest list moved from the
//! embedded database into Redis (the migration path), and administration
//! commands that reach running nodes through the stream.

use std::process::Command;

use crate::common::redis::{RedisServer, SHARED_SECRET};
use crate::common::*;
use crate::nodes::{BOUND, cluster, stays, until};

/// The binary on `dir`, on the cluster's Redis when `url` is given.
fn command(dir: &std::path::Path, url: Option<&str>, args: &[&str]) -> Command {
    let mut command = guestlist(dir);
    command.env(
        "GUESTLIST_SECRET",
        std::str::from_utf8(SHARED_SECRET).unwrap(),
    );
    if let Some(url) = url {
        command.args(["--store", url, "--redis-prefix", "test:"]);
    }
    command.args(args);
    command
}

fn ok(mut command: Command) -> String {
    let output = finish(&mut command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedded_guest_list_moves_into_redis_and_its_tokens_and_passwords_work() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let embedded = tempfile::tempdir().unwrap();
    let local = Server::start_with(&mut command(
        embedded.path(),
        None,
        &["--listen", "127.0.0.1:0"],
    ));
    local.add_user("moe", "moe-password").await;
    let token = local.login_token("moe", "moe-password").await;
    local.stop();
    let file = embedded.path().join("export.jsonl");
    ok(command(
        embedded.path(),
        None,
        &["export", file.to_str().unwrap()],
    ));
    let url = redis.url();
    let file = file.to_str().unwrap();
    let imported = ok(command(embedded.path(), Some(&url), &["import", file]));
    assert!(imported.starts_with("imported "), "{imported}");
    let node = spawn_with(redis.node(BOUND)).await;
    assert_eq!(node.check(&token).await, 200, "a token kept its place");
    node.login_token("moe", "moe-password").await;
    let listed = ok(command(embedded.path(), Some(&url), &["users", "list"]));
    assert!(listed.starts_with("moe "), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_run_while_the_nodes_serve_reaches_them_within_the_bound() {
    let Some(c) = cluster().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let redis = c.redis.url();
    let token = c.a.user_session("nia").await.token;
    assert_eq!(c.b.check(&token).await, 200);
    ok(command(
        dir.path(),
        Some(&redis),
        &["users", "disable", "nia"],
    ));
    until(&c.b, "/need_login", &token, 401).await;
    stays(&c.a, "/need_login", &token, 401).await;
    let minted = ok(command(
        dir.path(),
        Some(&redis),
        &["tokens", "mint", "--count", "3"],
    ));
    for token in minted.lines() {
        until(&c.a, "/need_login", token, 200).await;
    }
}
