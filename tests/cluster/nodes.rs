//! Two nodes on one Redis, and waiting for what one node sees.

use std::time::{Duration, Instant};

use crate::common::redis::RedisServer;
use crate::common::*;

/// The staleness bound of the test nodes (the default).
pub const BOUND: Duration = Duration::from_millis(500);
/// Slack for a loaded 2-core machine on top of the bound. Generous: the
/// bound itself is measured by the benches, not asserted here.
pub const SLACK: Duration = Duration::from_millis(1500);

pub struct Cluster {
    pub redis: RedisServer,
    /// Holds `testadmin` (role admin).
    pub a: TestApp,
    pub b: TestApp,
}

/// Redis and two nodes on it, or `None` without redis-server.
pub async fn cluster() -> Option<Cluster> {
    let redis = RedisServer::start()?;
    let a = spawn_with_admin_and(redis.node(BOUND)).await;
    let b = spawn_with(redis.node(BOUND)).await;
    Some(Cluster { redis, a, b })
}

/// Polls `GET path` with `token` on `node` until it answers `want`;
/// answers how long that took, and fails after `BOUND + SLACK`.
pub async fn until(node: &TestApp, path: &str, token: &str, want: u16) -> Duration {
    let started = Instant::now();
    loop {
        let status = node.get(path, Some(&bearer(token))).await.status().as_u16();
        if status == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < BOUND + SLACK,
            "{path} still answered {status}, not {want}, after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Once refused, refused: every later request answers `want` too.
pub async fn stays(node: &TestApp, path: &str, token: &str, want: u16) {
    for _ in 0..20 {
        let status = node.get(path, Some(&bearer(token))).await.status().as_u16();
        assert_eq!(status, want, "{path} went back to {status}");
    }
}
