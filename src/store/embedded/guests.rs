//! The operations on users and roles: each one transaction, composed from
//! the row modules.

use redb::{ReadTransaction, WriteTransaction};

use super::{Embedded, roles, tokens, users};
use crate::store::{
    Refusal, Revoked, RoleRecord, StoreError, UserCounted, UserEntry, UserKey, UserRecord,
};

type Outcome<T> = Result<Result<T, Refusal>, StoreError>;

impl Embedded {
    pub(crate) async fn sign_up(&self, user: UserRecord) -> Outcome<()> {
        self.write(move |txn| users::insert(txn, &user)).await
    }

    pub(crate) async fn taken(
        &self,
        username: &str,
        email: &str,
    ) -> Result<Option<Refusal>, StoreError> {
        let (username, email) = (username.to_owned(), email.to_owned());
        self.read(move |txn| users::taken(txn, &username, &email))
            .await
    }

    pub(crate) async fn user_named(
        &self,
        username: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let username = username.to_owned();
        self.read(move |txn| users::by_name(txn, &username)).await
    }

    pub(crate) fn user_named_now(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        self.read_now(|txn| users::by_name(txn, username))
    }

    pub(crate) async fn user(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError> {
        let id = user_id.to_owned();
        self.read(move |txn| users::by_id(txn, &id)).await
    }

    pub(crate) fn user_now(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError> {
        self.read_now(|txn| users::by_id(txn, user_id))
    }

    pub(crate) fn identity_now(
        &self,
        user_id: &str,
    ) -> Result<Option<(String, Vec<String>)>, StoreError> {
        self.read_now(|txn| {
            let Some(user) = users::by_id(txn, user_id)? else {
                return Ok(None);
            };
            Ok(Some((user.username, roles::of_user(txn, user_id)?)))
        })
    }

    pub(crate) fn roles_of_now(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        self.read_now(|txn| roles::of_user(txn, user_id))
    }

    pub(crate) async fn user_entry(&self, who: UserKey) -> Result<Option<UserEntry>, StoreError> {
        self.read(move |txn| {
            let user = match &who {
                UserKey::Id(id) => users::by_id(txn, id)?,
                UserKey::Name(name) => users::by_name(txn, name)?,
            };
            user.map(|user| entry_of(txn, user)).transpose()
        })
        .await
    }

    pub(crate) async fn users_page(
        &self,
        after: Option<String>,
        limit: usize,
        now: u64,
    ) -> Result<Vec<UserCounted>, StoreError> {
        self.read(move |txn| {
            let expired = tokens::expired_held(txn, now)?;
            let mut page = Vec::with_capacity(limit);
            for user in users::page(txn, after.as_deref(), limit)? {
                let held = tokens::count_of_user(txn, &user.id)?;
                let gone = expired.get(&user.id).copied().unwrap_or(0);
                page.push(UserCounted {
                    roles: roles::of_user(txn, &user.id)?,
                    unexpired: held.saturating_sub(gone),
                    user,
                });
            }
            Ok(page)
        })
        .await
    }

    pub(crate) async fn change_password(
        &self,
        user_id: &str,
        password_hash: String,
        keep: Option<String>,
    ) -> Outcome<Revoked> {
        let id = user_id.to_owned();
        self.write(move |txn| {
            let Some(mut user) = users::by_id(txn, &id)? else {
                return Ok(Err(Refusal::NoSuchUser));
            };
            user.password_hash = password_hash;
            users::update(txn, &user)?;
            let removed = tokens::remove_all_of(txn, &id, keep.as_deref())?;
            Ok(Ok(revoked(id, removed)))
        })
        .await
    }

    /// Disabling also removes every token of the user, so enabling again
    /// brings none back.
    pub(crate) async fn set_disabled(&self, username: &str, disabled: bool) -> Outcome<Revoked> {
        let username = username.to_owned();
        self.write(move |txn| {
            let Some(mut user) = users::by_name(txn, &username)? else {
                return Ok(Err(Refusal::NoSuchUser));
            };
            user.disabled = disabled;
            users::update(txn, &user)?;
            let removed = match disabled {
                true => tokens::remove_all_of(txn, &user.id, None)?,
                false => 0,
            };
            Ok(Ok(revoked(user.id, removed)))
        })
        .await
    }

    pub(crate) async fn delete_user(&self, username: &str) -> Outcome<Revoked> {
        let username = username.to_owned();
        self.write(move |txn| {
            let Some(user) = users::by_name(txn, &username)? else {
                return Ok(Err(Refusal::NoSuchUser));
            };
            let removed = tokens::remove_all_of(txn, &user.id, None)?;
            roles::unlink_all(txn, &user.id)?;
            users::remove(txn, &user)?;
            Ok(Ok(revoked(user.id, removed)))
        })
        .await
    }

    pub(crate) async fn sign_up_many(
        &self,
        wanted: Vec<UserRecord>,
    ) -> Result<Vec<Result<UserRecord, Refusal>>, StoreError> {
        self.write_alone(move |txn| {
            let mut out = Vec::with_capacity(wanted.len());
            for user in wanted {
                let stored = match users::by_name(txn, &user.username)? {
                    Some(existing) => Ok(existing),
                    None => users::insert(txn, &user)?.map(|()| user),
                };
                out.push(stored);
            }
            Ok(out)
        })
        .await
    }

    pub(crate) async fn roles(&self) -> Result<Vec<RoleRecord>, StoreError> {
        self.read(roles::all).await
    }

    pub(crate) async fn create_role(&self, role: RoleRecord) -> Outcome<()> {
        self.write(move |txn| roles::create(txn, &role)).await
    }

    pub(crate) async fn delete_role(&self, name: &str) -> Outcome<Vec<String>> {
        let name = name.to_owned();
        self.write(move |txn| roles::delete(txn, &name)).await
    }

    pub(crate) async fn grant_role(
        &self,
        username: &str,
        role: &str,
        granted: bool,
    ) -> Outcome<String> {
        let (username, role) = (username.to_owned(), role.to_owned());
        self.write(move |txn| link_named(txn, &username, &role, granted))
            .await
    }

    pub(crate) async fn seat_role_holder(
        &self,
        role: RoleRecord,
        new_user: Option<UserRecord>,
        username: &str,
    ) -> Outcome<String> {
        let username = username.to_owned();
        self.write(move |txn| {
            roles::create(txn, &role)?.ok();
            if let Some(user) = &new_user {
                if let Err(refusal) = users::insert(txn, user)? {
                    return Ok(Err(refusal));
                }
            }
            link_named(txn, &username, &role.name, true)
        })
        .await
    }
}

fn revoked(user_id: String, tokens: usize) -> Revoked {
    Revoked { user_id, tokens }
}

fn entry_of(txn: &ReadTransaction, user: UserRecord) -> Result<UserEntry, StoreError> {
    Ok(UserEntry {
        roles: roles::of_user(txn, &user.id)?,
        tokens: tokens::of_user(txn, &user.id)?,
        user,
    })
}

fn link_named(
    txn: &WriteTransaction,
    username: &str,
    role: &str,
    granted: bool,
) -> Result<Result<String, Refusal>, StoreError> {
    let Some(user) = users::by_name(txn, username)? else {
        return Ok(Err(Refusal::NoSuchUser));
    };
    if !roles::exists(txn, role)? {
        return Ok(Err(Refusal::NoSuchRole));
    }
    roles::link(txn, &user.id, role, granted)?;
    Ok(Ok(user.id))
}
