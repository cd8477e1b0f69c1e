//! Integration tests of guestlist over real HTTP, against the HTTP and CLI
//! contract (spec/API.md): an in-process server per test, and the binary.

mod accounts;
mod admin_users;
mod auth_header;
mod binary;
mod binary_cli;
mod conventions;
mod cors;
mod devices;
mod expect;
mod helpers;
mod metrics;
mod persistence;
mod proxy;
mod revocation;
mod routes_account;
mod routes_roles;
mod routes_tokens;
mod tutorial;
