//! The operations on users and roles.

use redis::AsyncCommands;

use super::Shared;
use super::records::{Fields, role_of, user_fields, user_of};
use crate::store::{
    Refusal, Revoked, RoleRecord, StoreError, UserCounted, UserEntry, UserKey, UserRecord, fold,
};

type Outcome<T> = Result<Result<T, Refusal>, StoreError>;

/// What a revoking script answers: `nil`, or `{user id, tokens removed}`.
type Removed = Option<(String, usize)>;

fn revoked(removed: Removed) -> Result<Revoked, Refusal> {
    let (user_id, tokens) = removed.ok_or(Refusal::NoSuchUser)?;
    Ok(Revoked { user_id, tokens })
}

/// The arguments of the library's `sign_up` step.
fn sign_up_args(user: &UserRecord) -> Vec<String> {
    let fields = user_fields(user);
    let mut args = vec![
        user.id.clone(),
        fold(&user.username),
        fold(&user.email),
        fields.len().to_string(),
    ];
    args.extend(fields);
    args
}

fn signed_up(answer: &str) -> Result<(), Refusal> {
    match answer {
        "ok" => Ok(()),
        "email" => Err(Refusal::EmailTaken),
        _ => Err(Refusal::UsernameTaken),
    }
}

impl Shared {
    pub(crate) async fn sign_up(&self, user: UserRecord) -> Outcome<()> {
        let answer: String = self.call("sign_up", &sign_up_args(&user)).await?;
        Ok(signed_up(&answer))
    }

    pub(crate) async fn taken(
        &self,
        username: &str,
        email: &str,
    ) -> Result<Option<Refusal>, StoreError> {
        let mut conn = self.conn();
        let (name, mail): (bool, bool) = redis::pipe()
            .exists(self.key(&format!("un:{}", fold(username))))
            .exists(self.key(&format!("ue:{}", fold(email))))
            .query_async(&mut conn)
            .await?;
        Ok(match (name, mail) {
            (true, _) => Some(Refusal::UsernameTaken),
            (_, true) => Some(Refusal::EmailTaken),
            _ => None,
        })
    }

    async fn id_named(&self, username: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn();
        Ok(conn
            .get(self.key(&format!("un:{}", fold(username))))
            .await?)
    }

    pub(crate) async fn user_named(
        &self,
        username: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        match self.id_named(username).await? {
            Some(id) => self.user(&id).await,
            None => Ok(None),
        }
    }

    pub(crate) async fn user(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError> {
        let mut conn = self.conn();
        let fields: Fields = conn.hgetall(self.key(&format!("u:{user_id}"))).await?;
        user_of(&fields)
    }

    pub(super) async fn roles_of(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn();
        let mut roles: Vec<String> = conn.smembers(self.key(&format!("ur:{user_id}"))).await?;
        roles.sort();
        Ok(roles)
    }

    pub(crate) async fn user_entry(&self, who: UserKey) -> Result<Option<UserEntry>, StoreError> {
        let user = match who {
            UserKey::Id(id) => self.user(&id).await?,
            UserKey::Name(name) => self.user_named(&name).await?,
        };
        match user {
            Some(user) => Ok(Some(self.entry_of(user).await?)),
            None => Ok(None),
        }
    }

    async fn entry_of(&self, user: UserRecord) -> Result<UserEntry, StoreError> {
        Ok(UserEntry {
            roles: self.roles_of(&user.id).await?,
            tokens: self.tokens_of(&user.id).await?,
            user,
        })
    }

    pub(crate) async fn users_page(
        &self,
        after: Option<String>,
        limit: usize,
        now: u64,
    ) -> Result<Vec<UserCounted>, StoreError> {
        let from = after.map_or("-".to_owned(), |after| format!("({after}"));
        let mut conn = self.conn();
        let ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(self.key("users"))
            .arg(from)
            .arg("+")
            .arg("BYLEX")
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(&mut conn)
            .await?;
        let mut page = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(user) = self.user(&id).await? {
                let tokens = self.tokens_of(&user.id).await?;
                page.push(UserCounted {
                    roles: self.roles_of(&user.id).await?,
                    unexpired: tokens.iter().filter(|t| now < t.expires_at).count(),
                    user,
                });
            }
        }
        Ok(page)
    }

    pub(crate) async fn change_password(
        &self,
        user_id: &str,
        password_hash: String,
        keep: Option<String>,
    ) -> Outcome<Revoked> {
        let args = [user_id.to_owned(), password_hash, keep.unwrap_or_default()];
        let removed: Removed = self.call("change_password", &args).await?;
        Ok(revoked(removed))
    }

    pub(crate) async fn set_disabled(&self, username: &str, disabled: bool) -> Outcome<Revoked> {
        let args = [fold(username), u8::from(disabled).to_string()];
        let removed: Removed = self.call("set_disabled", &args).await?;
        Ok(revoked(removed))
    }

    pub(crate) async fn delete_user(&self, username: &str) -> Outcome<Revoked> {
        let removed: Removed = self.call("delete_user", &[fold(username)]).await?;
        Ok(revoked(removed))
    }

    pub(crate) async fn sign_up_many(
        &self,
        wanted: Vec<UserRecord>,
    ) -> Result<Vec<Result<UserRecord, Refusal>>, StoreError> {
        let mut out = Vec::with_capacity(wanted.len());
        for user in wanted {
            let stored = match self.user_named(&user.username).await? {
                Some(existing) => Ok(existing),
                None => self.sign_up(user.clone()).await?.map(|()| user),
            };
            out.push(stored);
        }
        Ok(out)
    }

    pub(crate) async fn roles(&self) -> Result<Vec<RoleRecord>, StoreError> {
        let mut conn = self.conn();
        let mut names: Vec<String> = conn.smembers(self.key("roles")).await?;
        names.sort();
        let mut roles = Vec::with_capacity(names.len());
        for name in names {
            let fields: Fields = conn.hgetall(self.key(&format!("r:{name}"))).await?;
            roles.extend(role_of(&fields)?);
        }
        Ok(roles)
    }

    pub(crate) async fn create_role(&self, role: RoleRecord) -> Outcome<()> {
        let args = [role.name, role.description, role.created_at.to_string()];
        let answer: String = self.call("create_role", &args).await?;
        Ok(match answer.as_str() {
            "ok" => Ok(()),
            _ => Err(Refusal::RoleExists),
        })
    }

    pub(crate) async fn delete_role(&self, name: &str) -> Outcome<Vec<String>> {
        let holders: Option<Vec<String>> = self.call("delete_role", &[name.to_owned()]).await?;
        Ok(holders.ok_or(Refusal::NoSuchRole))
    }

    pub(crate) async fn grant_role(
        &self,
        username: &str,
        role: &str,
        granted: bool,
    ) -> Outcome<String> {
        let args = [
            fold(username),
            role.to_owned(),
            u8::from(granted).to_string(),
        ];
        let answer: redis::Value = self.call("grant_role", &args).await?;
        granted_to(answer)
    }

    pub(crate) async fn seat_role_holder(
        &self,
        role: RoleRecord,
        new_user: Option<UserRecord>,
        username: &str,
    ) -> Outcome<String> {
        let mut args = vec![
            role.name,
            role.description,
            role.created_at.to_string(),
            fold(username),
        ];
        if let Some(user) = &new_user {
            args.extend(sign_up_args(user));
        }
        let answer: redis::Value = self.call("seat_role_holder", &args).await?;
        granted_to(answer)
    }
}

/// `{'ok', user id}`, or the refusal the library named.
fn granted_to(answer: redis::Value) -> Outcome<String> {
    if let Ok((_, user_id)) = redis::from_redis_value_ref::<(String, String)>(&answer) {
        return Ok(Ok(user_id));
    }
    let refusal: String = redis::from_redis_value(answer)
        .map_err(|e| StoreError::Corrupt(format!("an answer of Redis: {e}")))?;
    Ok(Err(match refusal.as_str() {
        "norole" => Refusal::NoSuchRole,
        "email" => Refusal::EmailTaken,
        "username" => Refusal::UsernameTaken,
        _ => Refusal::NoSuchUser,
    }))
}
