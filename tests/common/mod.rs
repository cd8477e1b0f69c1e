//! The test support every test crate shares: a server in the test process
//! (`server`), the built binary (`binary`), an HTTP client with a method per
//! endpoint (`client`), what responses must look like (`expect`), and the
//! only direct uses of the library's store and gate (`library`).
//!
//! Each crate pulls it in with `#[path = "../common/mod.rs"] mod common;`.

// Each crate uses only part of this module: the rest would warn there.
#![allow(dead_code, unused_imports)]

pub mod binary;
pub mod client;
pub mod expect;
pub mod library;
pub mod model;
pub mod redis;
pub mod server;
pub mod upstream;

pub use binary::*;
pub use client::*;
pub use expect::*;
pub use server::*;
pub use upstream::spawn_upstream;
