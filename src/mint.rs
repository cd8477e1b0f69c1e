//! PLACEHOLDER, to be replaced at merge by the real `src/mint.rs` from the
//! `perf` branch (same signature). It exists only so `guestlist tokens mint`
//! compiles and is wired on the `cli` branch; it mints nothing.

use std::io::Write;
use std::time::Duration;

use crate::auth::jwt::Keys;
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("minting is not built yet on this branch")]
    NotBuilt,
}

/// What was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintReport {
    pub users_created: u64,
    pub tokens: u64,
    pub elapsed: Duration,
}

/// Placeholder: always refuses.
pub fn mint(
    _store: &Store,
    _keys: &Keys,
    _ttl: Duration,
    _count: u64,
    _users: u64,
    _out: &mut dyn Write,
) -> Result<MintReport, MintError> {
    Err(MintError::NotBuilt)
}
