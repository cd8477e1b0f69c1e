//! Every direct use of the library's store and gate by the tests, as small
//! named functions: the one file to port when the store's API changes.
//! Test files call these and never name `guestlist::store`, `state.guests`
//! or `state.gate` themselves.

use std::path::{Path, PathBuf};

use guestlist::store::{DB_FILE, RoleRecord, Store, StoreError, TokenRecord, UserRecord};
use guestlist::{AppState, StartError};

/// Writes a user holding role `admin`, before any request was served, as
/// `guestlist create-admin` does.
pub async fn seed_admin(state: &AppState, username: &str, email: &str, password: &str) {
    let password = || Ok::<_, guestlist::usecases::Error>(password.to_owned());
    let seated = state.guests.create_admin(username, email, password).await;
    assert_eq!(seated.unwrap(), guestlist::usecases::AdminSeat::Created);
}

/// (users, token entries) in the database, to show it is unchanged.
pub async fn user_and_token_counts(state: &AppState) -> (usize, u64) {
    let totals = state.guests.store().totals().await.unwrap();
    (totals.users as usize, totals.tokens)
}

/// The stored entry of `jti` in the database of `dir`, read once the
/// server has stopped.
pub async fn stored_token(dir: &Path, jti: &str) -> Option<TokenRecord> {
    let store = Store::open(dir).expect("the store opens");
    store.token(jti).await.unwrap()
}

/// Gives `username` the role `admin` (created, description "admins", if
/// missing) behind the server's back, then tells the gate, as an offline
/// command and a restart would.
pub async fn grant_admin_directly(state: &AppState, username: &str) {
    let role = RoleRecord {
        name: "admin".into(),
        description: "admins".into(),
        created_at: 0,
    };
    let store = state.guests.store();
    let seated = store.seat_role_holder(role, None, username).await;
    let id = seated.unwrap().unwrap();
    let gate = state.gate.clone();
    tokio::task::spawn_blocking(move || gate.roles_changed(&id))
        .await
        .unwrap()
        .unwrap();
}

/// Deletes `username` in the database, as `guestlist users delete` would,
/// then empties the gate's cache (a cold cache).
pub async fn delete_user_behind_the_cache(state: &AppState, username: &str) {
    let deleted = state.guests.store().delete_user(username).await;
    deleted.unwrap().unwrap();
    state.gate.forget_all();
}

/// Empties the gate's cache: every check reads the database again.
pub fn forget_cached(state: &AppState) {
    state.gate.forget_all();
}

/// The stored record of `username`, which must exist.
pub fn stored_user(state: &AppState, username: &str) -> UserRecord {
    let store = state.guests.store();
    store.credentials_of_now(username).unwrap().unwrap()
}

/// Overwrites the stored password hash of a user holding no token.
pub async fn overwrite_stored_user(state: &AppState, record: UserRecord) {
    let store = state.guests.store();
    let changed = store.change_password(&record.id, record.password_hash, None);
    assert_eq!(changed.await.unwrap().unwrap().tokens, 0);
}

/// Opens the database of `dir` alone, without a server.
pub fn open_store(dir: &Path) -> Result<Store, StoreError> {
    Store::open(dir)
}

/// Whether opening a state was refused because the database is locked
/// (in use by another state).
pub fn refused_as_locked(opened: &Result<AppState, StartError>) -> bool {
    matches!(opened, Err(StartError::Store(StoreError::Locked(_))))
}

/// The database file in a data folder.
pub fn db_file(dir: &Path) -> PathBuf {
    dir.join(DB_FILE)
}
