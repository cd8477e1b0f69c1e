//! Every direct use of the library's store and gate by the tests, as small
//! named functions: the one file to port when the store's API changes.
//! Test files call these and never name `guestlist::store`, `state.store`
//! or `state.gate` themselves.

use std::path::{Path, PathBuf};

use guestlist::store::{
    DB_FILE, RoleRecord, Store, StoreError, TokenRecord, UserRecord, roles, tokens, users,
};
use guestlist::{AppState, StartError};

/// Writes a user holding role `admin`, before any request was served.
pub fn seed_admin(state: &AppState, username: &str, email: &str, password: &str) {
    let user = UserRecord {
        id: guestlist::auth::ids::random_id().unwrap(),
        username: username.into(),
        email: email.into(),
        password_hash: guestlist::auth::password::hash(password, 4).unwrap(),
        created_at: guestlist::auth::now_secs(),
        disabled: false,
    };
    let role = RoleRecord {
        name: "admin".into(),
        description: "administrators".into(),
        created_at: guestlist::auth::now_secs(),
    };
    let linked = state
        .store
        .write_now(|txn| {
            roles::ensure(txn, &role)?;
            users::insert(txn, &user)?.expect("a fresh database");
            roles::set_link(txn, username, "admin", true)
        })
        .unwrap();
    assert_eq!(linked, Ok(user.id));
}

/// (users, token entries) in the database, to show it is unchanged.
pub fn user_and_token_counts(state: &AppState) -> (usize, u64) {
    state
        .store
        .read_now(|txn| Ok((users::page(txn, None, 100_000)?.len(), tokens::count(txn)?)))
        .unwrap()
}

/// The stored entry of `jti` in the database of `dir`, read once the
/// server has stopped.
pub fn stored_token(dir: &Path, jti: &str) -> Option<TokenRecord> {
    let store = Store::open(dir).expect("the store opens");
    store.read_now(|txn| tokens::get(txn, jti)).unwrap()
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
    let username = username.to_owned();
    let id = state
        .store
        .write(move |txn| {
            roles::ensure(txn, &role)?;
            roles::set_link(txn, &username, "admin", true)
        })
        .await
        .unwrap()
        .unwrap();
    state.gate.roles_changed(&state.store, &id).unwrap();
}

/// Deletes `username` in the database, as `guestlist users delete` would,
/// then empties the gate's cache (a cold cache).
pub async fn delete_user_behind_the_cache(state: &AppState, username: &str) {
    let username = username.to_owned();
    state
        .store
        .write(move |txn| users::delete(txn, &username))
        .await
        .unwrap()
        .unwrap();
    state.gate.forget_all();
}

/// Empties the gate's cache: every check reads the database again.
pub fn forget_cached(state: &AppState) {
    state.gate.forget_all();
}

/// The stored record of `username`, which must exist.
pub fn stored_user(state: &AppState, username: &str) -> UserRecord {
    state
        .store
        .read_now(|txn| users::by_name(txn, username))
        .unwrap()
        .unwrap()
}

/// Overwrites the stored record of a user with `record`.
pub async fn overwrite_stored_user(state: &AppState, record: UserRecord) {
    state
        .store
        .write(move |txn| users::update(txn, &record))
        .await
        .unwrap();
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
