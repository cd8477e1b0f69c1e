//! Every kind of revocation made on node A is refused on node B within the
//! bound, and stays refused; role changes reach B the same way.

use reqwest::Method;
use serde_json::json;

use crate::common::*;
use crate::nodes::{cluster, stays, until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_on_one_node_works_on_the_other_and_each_revocation_reaches_it() {
    let Some(c) = cluster().await else { return };
    c.a.new_user("ann").await;
    let login = |agent| c.a.login_as_agent("ann", agent, None);
    let (logout, one, kept, others) = (
        login("one").await,
        login("two").await,
        login("three").await,
        login("four").await,
    );
    for token in [&logout.token, &one.token, &kept.token, &others.token] {
        assert_eq!(c.b.check(token).await, 200, "a token of A works on B");
    }
    // Logout on A: B refuses that token, and only that one.
    assert_eq!(c.a.logout(&logout.token).await.status(), 200);
    until(&c.b, "/need_login", &logout.token, 401).await;
    stays(&c.b, "/need_login", &logout.token, 401).await;
    assert_eq!(c.b.check(&one.token).await, 200);
    // Delete one, on A.
    assert_eq!(c.a.delete_token(&kept.token, &one.id).await.status(), 200);
    until(&c.b, "/need_login", &one.token, 401).await;
    // Delete all but the current one.
    assert_eq!(c.a.delete_tokens(&kept.token, true).await.status(), 200);
    until(&c.b, "/need_login", &others.token, 401).await;
    stays(&c.b, "/need_login", &kept.token, 200).await;
    // Delete all.
    assert_eq!(c.a.delete_tokens(&kept.token, false).await.status(), 200);
    until(&c.b, "/need_login", &kept.token, 401).await;
    stays(&c.b, "/need_login", &kept.token, 401).await;
    // B counted what it applied, and how late.
    let metrics = c.b.get("/metrics", None).await.text().await.unwrap();
    let applied = metrics
        .lines()
        .find_map(|l| l.strip_prefix("guestlist_feed_events_total "))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(applied.is_some_and(|n| n >= 4), "{metrics}");
    assert!(metrics.contains("guestlist_feed_lag_seconds "), "{metrics}");
    // A timed the Redis commands of its logins and revocations.
    let metrics = c.a.get("/metrics", None).await.text().await.unwrap();
    assert!(command_count(&metrics) >= 4, "{metrics}");
    assert_eq!(value(&metrics, "guestlist_redis_errors_total "), Some(0.0));
}

/// `guestlist_redis_command_seconds_count`, once its buckets are checked:
/// cumulative, and +Inf equal to the count.
fn command_count(metrics: &str) -> u64 {
    let buckets: Vec<(&str, f64)> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix("guestlist_redis_command_seconds_bucket{le=\""))
        .filter_map(|l| l.split_once("\"} "))
        .map(|(le, n)| (le, n.parse().unwrap()))
        .collect();
    assert_eq!(buckets.len(), 12, "{metrics}");
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{metrics}");
    assert_eq!(buckets.last().unwrap().0, "+Inf");
    let count = value(metrics, "guestlist_redis_command_seconds_count ").unwrap();
    assert_eq!(buckets.last().unwrap().1, count, "+Inf is the count");
    let sum = value(metrics, "guestlist_redis_command_seconds_sum ").unwrap();
    assert!(sum > 0.0 || count == 0.0, "{metrics}");
    count as u64
}

fn value(metrics: &str, prefix: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|n| n.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_a_disabling_and_a_deletion_on_one_node_reach_the_other() {
    let Some(c) = cluster().await else { return };
    let admin = c.a.admin_session().await.token;
    for name in ["pat", "dis", "del"] {
        c.a.new_user(name).await;
    }
    let pass = |name| password_of(name);
    let pat = (
        c.b.login_ok("pat", &pass("pat")).await,
        c.a.login_ok("pat", &pass("pat")).await,
    );
    let dis = c.a.login_ok("dis", &pass("dis")).await;
    let del = c.a.login_ok("del", &pass("del")).await;
    for token in [&pat.0.token, &dis.token, &del.token] {
        assert_eq!(c.b.check(token).await, 200);
    }
    let body = json!({"current_password": pass("pat"), "new_password": "another-password"});
    let pat_auth = bearer(&pat.1.token);
    let changed = c.a.send(
        Method::PUT,
        "/api/v1/me/password",
        Some(&pat_auth),
        Some(&body),
    );
    assert_eq!(changed.await.status(), 200);
    until(&c.b, "/need_login", &pat.0.token, 401).await;
    stays(&c.b, "/need_login", &pat.1.token, 200).await;
    let disabled = json!({"disabled": true});
    let auth = bearer(&admin);
    let put = c.a.send(
        Method::PUT,
        "/api/v1/users/dis/disabled",
        Some(&auth),
        Some(&disabled),
    );
    assert_eq!(put.await.status(), 200);
    until(&c.b, "/need_login", &dis.token, 401).await;
    let gone =
        c.a.send(Method::DELETE, "/api/v1/users/del", Some(&auth), None);
    assert_eq!(gone.await.status(), 200);
    until(&c.b, "/need_login", &del.token, 401).await;
    stays(&c.b, "/need_login", &del.token, 401).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_given_or_taken_on_one_node_is_seen_on_the_other() {
    let Some(c) = cluster().await else { return };
    let admin = c.a.admin_session().await.token;
    let rob = c.a.user_session("rob").await.token;
    assert_eq!(c.b.admin(&rob).await.status(), 403);
    assert_eq!(c.a.grant_role(&admin, "rob", "admin").await.status(), 200);
    until(&c.b, "/admin", &rob, 200).await;
    assert_eq!(c.a.remove_role(&admin, "rob", "admin").await.status(), 200);
    until(&c.b, "/admin", &rob, 403).await;
    stays(&c.b, "/admin", &rob, 403).await;
    // The admin's own role, taken by deleting the role itself.
    assert_eq!(c.b.admin(&admin).await.status(), 200);
    assert_eq!(c.a.delete_role(&admin, "admin").await.status(), 200);
    until(&c.b, "/admin", &admin, 403).await;
}
