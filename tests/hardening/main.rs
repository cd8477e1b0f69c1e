//! Hardening tests: bad input, brute force, transport, faults and races.
//! Each test names the protection it would catch missing.

mod bad_input;
mod brute_force;
mod credentials;
mod faults;
mod kill9;
mod model;
mod races;
mod support;
mod tokens;
mod transport;
