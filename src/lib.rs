//! guestlist: sign-up, login, one token per device, and a guest list of
//! live tokens checked from memory on every protected request.
//!
//! # Layout (dependencies point down only)
//!
//! ```text
//! main.rs ─► cli        command line: serve, reset-db, create-admin, the
//!             │         offline users/roles/tokens/export/import commands
//!             ▼
//!            server     accept loop, limits, graceful shutdown: run();
//!             │         counts every answer in traffic
//!             ▼
//!            api        warp routes (one table, with their metrics labels),
//!             │         one named handler per route, the `caller` filter
//!             │         (authentication), ApiError, the one recover; the
//!             │         sign-in portal's HTML pages (`api::portal`)
//!             ▼
//!            state      AppState: the use cases and the gate, built once
//!             │         (maintenance: last-used flush, expiry purge;
//!             │         follow: a shared store's changes into the cache)
//!             ▼
//!          usecases     one function per thing a user or admin does, for
//!             │         api and cli alike: the rules (rules), the one
//!             │         meaning of "live", the one revocation sequence
//!             │         (commit, then invalidate, then count); mint
//!   ┌─────────┼──────────┬──────────┬──────────┐
//!   ▼         ▼          ▼          ▼          ▼
//!  gate     logins    throttle   metrics    secret
//!   │  (the check: hit path in memory, miss path verifies and reads;
//!   │   logins bounds bcrypt, throttle bounds failed logins, door the
//!   │   logins in flight and what is refused before a body is parsed)
//!   ├────────────┬──────────┐
//!   ▼            ▼          ▼
//!  auth        cache      store      named guest-list operations on
//!  (jwt,       (moka,     records; engines inside: embedded (redb, a
//!  passwords)  a per-     group-commit writer, a reopening slot) and
//!              thread     shared (Redis: one Lua library, the change
//!              front,     stream a node follows, shared failed-login
//!              freshness) counters)
//! ```
//!
//! `auth`, `cache`, `store` and `usecases` never import warp; nothing
//! outside `store` imports redb or redis, or sees a transaction or a
//! connection. `rules`, `time` (the clock) and `histogram` are leaves any
//! layer may use. [`run`] is the single entry point of a server: the
//! binary, the tests and the benches all call it with a bound listener.

#![forbid(unsafe_code)]

mod api;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
mod door;
mod follow;
pub mod gate;
pub mod histogram;
mod logins;
mod maintenance;
pub mod metrics;
pub mod rules;
pub mod secret;
mod server;
pub mod state;
pub mod store;
mod striped;
mod telemetry;
mod throttle;
pub mod time;
mod traffic;
pub mod usecases;

pub use config::Config;
pub use server::run;
pub use state::{AppState, StartError};
