use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

/// A user as the hit path sees them: current roles and a generation that
/// every revocation of one of their tokens moves forward.
#[derive(Debug)]
pub struct LiveUser {
    pub id: String,
    pub username: String,
    generation: AtomicU64,
    roles: RwLock<Arc<[String]>>,
}

impl LiveUser {
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles
            .read()
            .map(|roles| roles.iter().any(|r| r == role))
            .unwrap_or(false)
    }

    pub fn roles(&self) -> Arc<[String]> {
        self.roles
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }
}

/// The one `LiveUser` per user while any cached token refers to it.
///
/// Loads happen under the registry lock, and so do updates after a commit:
/// a load that read the database before a commit is then updated by it, and
/// a load after it reads the committed state. Only misses and writes take
/// the lock; hits never do.
#[derive(Default)]
pub struct UserRegistry {
    users: Mutex<HashMap<String, Weak<LiveUser>>>,
    /// Map size after the last sweep of dead entries.
    swept_at: AtomicU64,
}

impl UserRegistry {
    /// The shared entry of `id`, loading `(username, roles)` with `load`
    /// if nobody holds it. `load` answering `None` means no such user.
    pub fn get_or_load<E>(
        &self,
        id: &str,
        load: impl FnOnce() -> Result<Option<(String, Vec<String>)>, E>,
    ) -> Result<Option<Arc<LiveUser>>, E> {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(user) = users.get(id).and_then(Weak::upgrade) {
            return Ok(Some(user));
        }
        let Some((username, roles)) = load()? else {
            return Ok(None);
        };
        let user = Arc::new(LiveUser {
            id: id.to_owned(),
            username,
            generation: AtomicU64::new(0),
            roles: RwLock::new(roles.into()),
        });
        users.insert(id.to_owned(), Arc::downgrade(&user));
        self.sweep_if_grown(&mut users);
        Ok(Some(user))
    }

    /// After a committed revocation: every cached token of the user must be
    /// rechecked before it is accepted again.
    pub fn bump(&self, id: &str) {
        if let Some(user) = self.live(id) {
            user.generation.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// After a committed role change: reloads the user's roles with `load`
    /// under the registry lock, so that loads and refreshes apply in the
    /// order they read the database. Blocking: call off the async workers.
    pub fn refresh_roles<E>(
        &self,
        id: &str,
        load: impl FnOnce() -> Result<Vec<String>, E>,
    ) -> Result<(), E> {
        let users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(user) = users.get(id).and_then(Weak::upgrade) {
            *user.roles.write().unwrap_or_else(|p| p.into_inner()) = load()?.into();
        }
        Ok(())
    }

    /// After a gap in what the node heard: users are loaded afresh (the
    /// entries that point at the old ones are stale by their epoch).
    pub fn forget_all(&self) {
        self.users.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn live(&self, id: &str) -> Option<Arc<LiveUser>> {
        let users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        users.get(id).and_then(Weak::upgrade)
    }

    fn sweep_if_grown(&self, users: &mut HashMap<String, Weak<LiveUser>>) {
        let swept_at = self.swept_at.load(Ordering::Relaxed) as usize;
        if users.len() > 1024 && users.len() > swept_at * 2 {
            users.retain(|_, user| user.strong_count() > 0);
            self.swept_at.store(users.len() as u64, Ordering::Relaxed);
        }
    }
}
