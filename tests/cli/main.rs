//! The command line through the built binary: offline administration,
//! export and import, token minting, and the exit codes. Each test has its
//! own data folder; the HTTP contract the servers answer is docs/API.md.
//!
//! Layout: `support` holds a data folder (`Data`) and a command's outcome;
//! the binary, its server and the HTTP client are in `tests/common/`,
//! shared with the `api` and `hardening` crates.

#[path = "../common/mod.rs"]
mod common;

mod binary_cli;
mod mint;
mod offline;
mod support;
mod transfer;
