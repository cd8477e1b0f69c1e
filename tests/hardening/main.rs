//! Hardening tests: bad input, tokens, credentials, brute force, transport,
//! faults, kill -9, races and a model check, against the contract in
//! docs/API.md. SECURITY.md maps each claim to its test here. Each test
//! names the protection it would catch missing.
//!
//! Layout: one file per area; the server in the test process, the binary
//! and the HTTP client are in `tests/common/`, shared with the `api` and
//! `cli` crates (`tests/common/library.rs` holds every direct use of the
//! store and the gate).
//!
//! Longer runs through the environment:
//! - `GUESTLIST_KILL_CYCLES` (default 100): kill -9 cycles in `kill9`;
//! - `PROPTEST_CASES` (default 16): runs of the state machine in `model`.
//!
//! `faults` mounts a tmpfs to fill a disk; where `mount` is not allowed
//! (not root) that one test prints SKIPPED and passes.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod brute_force;
mod credentials;
mod fair_logins;
mod faults;
mod kill9;
mod model;
mod races;
mod tokens;
mod transport;
