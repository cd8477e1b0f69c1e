//! Integration tests of guestlist over real HTTP, against the HTTP and CLI
//! contract (docs/API.md): an in-process server per test, and the binary.
//!
//! Layout: one file per area of the contract; the server in the test
//! process, the binary, the HTTP client with a method per endpoint and the
//! expected shapes of responses are in `tests/common/`, shared with the
//! `hardening` and `cli` crates (the offline commands' tests are there).

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod admin_users;
mod auth_header;
mod binary;
mod conventions;
mod cors;
mod devices;
mod metrics;
mod persistence;
mod portal;
mod proxy;
mod revocation;
mod routes_account;
mod routes_roles;
mod routes_tokens;
mod tutorial;
