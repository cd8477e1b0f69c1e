//! The failed-login limits are counted in Redis: spreading the attempts
//! over the nodes does not multiply the budget.

use crate::common::redis::RedisServer;
use crate::common::*;
use crate::nodes::BOUND;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_spread_over_two_nodes_share_one_budget() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let node = || {
        let shared = redis.node(BOUND);
        move |config: &mut guestlist::Config| {
            shared(config);
            config.max_login_failures_per_device = 4;
        }
    };
    let a = spawn_with(node()).await;
    let b = spawn_with(node()).await;
    a.add_user("amy", "amy-password").await;
    for attempt in 0..4 {
        let node = if attempt % 2 == 0 { &a } else { &b };
        let refused = node.login("amy", "wrong-password").await;
        assert_eq!(refused.status(), 401, "attempt {attempt}");
    }
    for node in [&a, &b] {
        let throttled = node.login("amy", "amy-password").await;
        assert_eq!(throttled.status(), 429, "the fifth attempt, on either node");
        assert!(throttled.headers().contains_key("retry-after"));
    }
    // Another account from the same address is not locked by amy's budget.
    b.add_user("bea", "bea-password").await;
    a.login_ok("bea", "bea-password").await;
}
