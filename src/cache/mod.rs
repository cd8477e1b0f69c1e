//! What the guest list looks like in memory.
//!
//! - [`TokenCache`]: moka, keyed by a token's signature, holding either a
//!   live entry or a "revoked" marker until the token's own expiry;
//! - [`UserRegistry`]: one shared [`LiveUser`] per user that some cached
//!   token points to, holding the user's current roles and a generation.
//!
//! - [`front`]: on each worker thread, the entries it read from moka in
//!   the last second, which the hit path reads first.
//!
//! A revocation never hunts for cache entries: it bumps the user's
//! generation after its commit, and any entry stamped with an older
//! generation is rechecked against the database on its next use. That
//! keeps the hit path O(1) and closes the race in which a cache fill that
//! read the database before the commit would bring the token back.
//!
//! With a shared store, [`Freshness`] bounds how long entries are trusted
//! without hearing from the other nodes.

mod freshness;
pub mod front;
mod tokens;
mod users;

pub use freshness::Freshness;
pub use tokens::{Cached, LiveToken, TokenCache};
pub use users::{LiveUser, UserRegistry};
