//! guestlist: sign-up, login, one token per device, and a guest list of
//! live tokens checked from memory on every protected request.
//!
//! # Layout (dependencies point down only)
//!
//! ```text
//! main.rs ─► cli        command line: serve, reset-db, create-admin, the
//!             │         offline users/roles/tokens/export/import commands
//!             │         (mint: bulk tokens for load tools)
//!             ▼
//!            server     accept loop, limits, graceful shutdown: run();
//!             │         counts every answer in traffic
//!             ▼
//!            api        warp routes and handlers, ApiError, the one recover,
//!             │         framing checks, GET /metrics
//!             ▼
//!            state      AppState: everything shared, built once
//!             │         (maintenance: last-used flush, expiry purge)
//!   ┌─────────┼──────────────┬───────────┬──────────┬─────────┐
//!   ▼         ▼              ▼           ▼          ▼         ▼
//!  gate      logins        throttle    metrics    traffic   secret
//!   │  (the check: hit path in memory, miss path verifies and reads;
//!   │   logins bounds bcrypt, throttle bounds failed logins)
//!   ├────────────┬──────────┐
//!   ▼            ▼          ▼
//!  auth        cache      store
//!  (jwt,       (moka      (redb tables, group-commit writer, a slot that
//!  passwords)  + users)   reopens the database after a failed commit)
//! ```
//!
//! `auth`, `cache` and `store` never import warp; `auth` and `cache` never
//! import redb. [`run`] is the single entry point of a server: the binary,
//! the tests and the benches all call it with a bound listener.

#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod gate;
pub mod logins;
pub mod maintenance;
pub mod metrics;
pub mod rules;
pub mod secret;
pub mod server;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod time;
pub mod traffic;
pub mod usecases;

pub use config::Config;
pub use server::run;
pub use state::{AppState, StartError};
