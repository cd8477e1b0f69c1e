//! Several guestlist nodes on one real `redis-server` (see
//! tests/common/redis.rs): tokens work on every node, every revocation
//! reaches every node within the staleness bound, and a node that cannot
//! hear from Redis fails closed (503), never a stale 200.
//!
//! Without redis-server these tests print SKIPPED and pass, except under
//! CI, where `.ci/run` installs it and they must run.

#[path = "../common/mod.rs"]
mod common;

mod commands;
mod failures;
mod limits;
mod model;
mod nodes;
mod revocations;
mod tls;
