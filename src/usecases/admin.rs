//! What administrators do: users, roles, and the whole guest list (export,
//! import, reset). Shared by the admin routes and the offline commands.

use super::{Device, Error, GuestList, Missing, UserSummary};
use crate::auth::{ids, password};
use crate::rules;
use crate::store::export::{Record, Rejected};
use crate::store::{RoleRecord, StoreError, UserCounted, UserKey, UserRecord};
use crate::time::now_secs;

/// Most users on one page of `GET /api/v1/users`.
pub const PAGE_MAX: usize = 500;

/// One page of users; `next` is the cursor of the following page.
pub struct Page {
    pub users: Vec<UserSummary>,
    pub next: Option<String>,
}

/// What `create-admin` did.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminSeat {
    Created,
    /// The user existed; the role was given, the password left alone.
    Granted,
}

impl GuestList {
    /// Users in id order after `after`, with their live token counts.
    pub async fn users_page(&self, after: Option<String>, limit: usize) -> Result<Page, Error> {
        if !(1..=PAGE_MAX).contains(&limit) {
            return Err(Error::OutOfRange(format!("limit must be 1 to {PAGE_MAX}")));
        }
        let now = now_secs();
        let entries = self.store.users_page(after, limit, now).await?;
        let users = match self.config.idle_secs() {
            // Live then means unexpired, which the store counts.
            None => entries
                .into_iter()
                .map(|e| UserSummary::new(e.user, e.roles, e.unexpired))
                .collect(),
            Some(_) => self.with_idle_counts(entries, now).await?,
        };
        let next = (users.len() == limit)
            .then(|| users.last().map(|u| u.id.clone()))
            .flatten();
        Ok(Page { users, next })
    }

    /// Summaries with an idle limit: whether an entry is live depends on
    /// its last use, so every entry of the page's users is read.
    async fn with_idle_counts(
        &self,
        entries: Vec<UserCounted>,
        now: u64,
    ) -> Result<Vec<UserSummary>, Error> {
        let uses = {
            let ids: std::collections::HashSet<&str> =
                entries.iter().map(|e| e.user.id.as_str()).collect();
            self.memory_uses(|user| ids.contains(user))
        };
        let mut users = Vec::with_capacity(entries.len());
        for entry in entries {
            let tokens = self.store.tokens_of(&entry.user.id).await?;
            let live = self.count_live(&tokens, &uses, now);
            users.push(UserSummary::new(entry.user, entry.roles, live));
        }
        Ok(users)
    }

    /// A user and their live devices.
    pub async fn user_devices(&self, username: &str) -> Result<(UserSummary, Vec<Device>), Error> {
        let who = UserKey::Name(username.to_owned());
        let entry = self.store.user_entry(who).await?;
        let mut entry = entry.ok_or(Error::NotFound(Missing::User))?;
        let devices = self.live_devices(std::mem::take(&mut entry.tokens), None);
        Ok((
            UserSummary::new(entry.user, entry.roles, devices.len()),
            devices,
        ))
    }

    /// Signs out every device of a user.
    pub async fn sign_out_user(&self, username: &str) -> Result<usize, Error> {
        let who = UserKey::Name(username.to_owned());
        let revoked = self.store.revoke_all(who, None).await??;
        self.revoked(&revoked);
        Ok(revoked.tokens)
    }

    /// Disabling refuses the user's logins and signs out every device.
    pub async fn set_disabled(&self, username: &str, disabled: bool) -> Result<(), Error> {
        let revoked = self.store.set_disabled(username, disabled).await??;
        self.revoked(&revoked);
        Ok(())
    }

    /// Deletes a user, their role links and every device.
    pub async fn delete_user(&self, username: &str) -> Result<(), Error> {
        let revoked = self.store.delete_user(username).await??;
        self.revoked(&revoked);
        tracing::info!(user_id = %revoked.user_id, "user deleted");
        Ok(())
    }

    pub async fn roles(&self) -> Result<Vec<RoleRecord>, Error> {
        Ok(self.store.roles().await?)
    }

    pub async fn create_role(&self, name: String, description: String) -> Result<(), Error> {
        rules::check_role(&name, &description).map_err(Error::Invalid)?;
        let role = RoleRecord {
            name,
            description,
            created_at: now_secs(),
        };
        Ok(self.store.create_role(role).await??)
    }

    /// Deletes a role and takes it from its holders; answers how many.
    pub async fn delete_role(&self, name: &str) -> Result<usize, Error> {
        let holders = self.store.delete_role(name).await??;
        let count = holders.len();
        self.roles_changed(holders).await?;
        Ok(count)
    }

    /// Gives or takes a role.
    pub async fn set_role(&self, username: &str, role: &str, granted: bool) -> Result<(), Error> {
        let user_id = self.store.grant_role(username, role, granted).await??;
        self.roles_changed(vec![user_id]).await
    }

    /// Makes `username` an admin, creating the user (with `password`) if
    /// there is none; `password` is asked for only then.
    pub async fn create_admin<E: From<Error>>(
        &self,
        username: &str,
        email: &str,
        password: impl FnOnce() -> Result<String, E>,
    ) -> Result<AdminSeat, E> {
        rules::check_username(username).map_err(Error::Invalid)?;
        rules::check_email(email).map_err(Error::Invalid)?;
        let existing = self.store.credentials_of(username).await;
        let new_user = match existing.map_err(Error::from)? {
            Some(_) => None,
            None => Some(self.new_user(username, email, &password()?)?),
        };
        let seat = match new_user {
            Some(_) => AdminSeat::Created,
            None => AdminSeat::Granted,
        };
        let role = RoleRecord {
            name: rules::ADMIN.into(),
            description: "administrators".into(),
            created_at: now_secs(),
        };
        let seated = self.store.seat_role_holder(role, new_user, username);
        let user_id = seated.await.map_err(Error::from)?.map_err(Error::from)?;
        self.roles_changed(vec![user_id]).await?;
        Ok(seat)
    }

    fn new_user(&self, username: &str, email: &str, secret: &str) -> Result<UserRecord, Error> {
        rules::check_password(secret).map_err(Error::Invalid)?;
        Ok(UserRecord {
            id: ids::random_id()?,
            username: username.to_owned(),
            email: email.to_owned(),
            password_hash: password::hash(secret, self.config.bcrypt_cost)?,
            created_at: now_secs(),
            disabled: false,
        })
    }

    /// Every record, from one snapshot, to `emit`. Blocking.
    pub fn export_now<E: From<StoreError>>(
        &self,
        emit: impl FnMut(Record) -> Result<(), E>,
    ) -> Result<(), E> {
        self.store.export_now(now_secs(), emit)
    }

    /// Loads checked records into an empty guest list: all or nothing.
    pub async fn import(&self, records: Vec<Record>) -> Result<Result<u64, Rejected>, Error> {
        Ok(self.store.import(records).await?)
    }

    /// Deletes every user, role and token.
    pub async fn reset(&self) -> Result<(), Error> {
        Ok(self.store.reset().await?)
    }
}
