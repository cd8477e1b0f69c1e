//! Export, import and reset on the shared engine.
//!
//! Redis has no read snapshot across many keys: an export taken while
//! nodes write is a walk, not a point in time (README, "Several nodes").
//! An import is one atomic pipeline into an empty guest list, then one
//! event that makes every node forget its cache; a reset deletes every key
//! of the prefix but the stream and its counter, then says the same.

use redis::AsyncCommands;

use super::Shared;
use super::records::{Fields, token_fields, user_fields, user_of};
use crate::store::export::{Record, Rejected, VERSION};
use crate::store::{StoreError, fold};

/// Keys read per round trip while exporting.
const PAGE: isize = 500;

impl Shared {
    pub(crate) fn export_now<E: From<StoreError>>(
        &self,
        now: u64,
        mut emit: impl FnMut(Record) -> Result<(), E>,
    ) -> Result<(), E> {
        emit(Record::Header { version: VERSION })?;
        let mut records = 0u64;
        let mut counted = |record: Record| {
            records += 1;
            emit(record)
        };
        let users = self.now(self.all_users())?;
        for user in &users {
            counted(Record::User(user.clone()))?;
        }
        for role in self.now(self.roles())? {
            counted(Record::Role(role))?;
        }
        for user in &users {
            for role in self.now(self.roles_of(&user.id))? {
                let user_id = user.id.clone();
                counted(Record::UserRole { user_id, role })?;
            }
        }
        for user in &users {
            for token in self.now(self.tokens_of(&user.id))? {
                if token.expires_at > now {
                    counted(Record::Token(token))?;
                }
            }
        }
        emit(Record::End { records })
    }

    async fn all_users(&self) -> Result<Vec<crate::store::UserRecord>, StoreError> {
        let mut conn = self.conn();
        let mut users = Vec::new();
        let mut start = 0;
        loop {
            let ids: Vec<String> = conn
                .zrange(self.key("users"), start, start + PAGE - 1)
                .await?;
            for id in &ids {
                let fields: Fields = conn.hgetall(self.key(&format!("u:{id}"))).await?;
                users.extend(user_of(&fields)?);
            }
            if (ids.len() as isize) < PAGE {
                return Ok(users);
            }
            start += PAGE;
        }
    }

    pub(crate) async fn import(
        &self,
        records: Vec<Record>,
    ) -> Result<Result<u64, Rejected>, StoreError> {
        let mut conn = self.conn();
        let (users, roles): (bool, bool) = redis::pipe()
            .exists(self.key("users"))
            .exists(self.key("roles"))
            .query_async(&mut conn)
            .await?;
        if users || roles {
            return Ok(Err(Rejected::NotEmpty));
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        let mut loaded = 0;
        for record in &records {
            loaded += u64::from(self.queue(&mut pipe, record));
        }
        pipe.query_async::<()>(&mut conn).await?;
        self.call::<String>("announce_all", &[]).await?;
        Ok(Ok(loaded))
    }

    /// Queues the writes of one record; `false` for header and end lines.
    /// The records were checked by the caller (`cli::checked`): unique,
    /// and every link and token names a user and role above it.
    fn queue(&self, pipe: &mut redis::Pipeline, record: &Record) -> bool {
        match record {
            Record::Header { .. } | Record::End { .. } => return false,
            Record::User(user) => {
                let key = self.key(&format!("u:{}", user.id));
                let email_key = fold(&user.email);
                pipe.hset_multiple(&key, &pairs(&user_fields(user)))
                    .ignore();
                pipe.hset(&key, "email_key", &email_key).ignore();
                pipe.set(self.key(&format!("un:{}", fold(&user.username))), &user.id)
                    .ignore();
                pipe.set(self.key(&format!("ue:{email_key}")), &user.id)
                    .ignore();
                pipe.zadd(self.key("users"), &user.id, 0).ignore();
            }
            Record::Role(role) => {
                let key = self.key(&format!("r:{}", role.name));
                pipe.hset_multiple(
                    &key,
                    &[
                        ("name", role.name.clone()),
                        ("description", role.description.clone()),
                        ("created_at", role.created_at.to_string()),
                    ],
                )
                .ignore();
                pipe.sadd(self.key("roles"), &role.name).ignore();
            }
            Record::UserRole { user_id, role } => {
                pipe.sadd(self.key(&format!("ur:{user_id}")), role).ignore();
                pipe.sadd(self.key(&format!("ru:{role}")), user_id).ignore();
            }
            Record::Token(token) => {
                let key = self.key(&format!("t:{}", token.jti));
                let at = token.expires_at as i64;
                pipe.hset_multiple(&key, &pairs(&token_fields(token)))
                    .ignore();
                pipe.expire_at(&key, at).ignore();
                pipe.zadd(self.key(&format!("ut:{}", token.user_id)), &token.jti, at)
                    .ignore();
                let row = format!("{} {}", token.user_id, token.jti);
                pipe.zadd(self.key("exp"), row, at).ignore();
            }
        }
        true
    }

    /// Deletes every key of the prefix but the stream, its counter and the
    /// incarnation, so the nodes following the stream learn of it.
    pub(crate) async fn reset(&self) -> Result<(), StoreError> {
        let kept = [self.key("log"), self.key("seq"), self.key("meta")];
        let mut conn = self.conn();
        let pattern = format!("{}*", self.inner.prefix);
        let mut keys: Vec<String> = Vec::new();
        {
            let mut iter: redis::AsyncIter<String> = conn.scan_match(&pattern).await?;
            while let Some(key) = iter.next_item().await {
                let key = key?;
                if !kept.contains(&key) {
                    keys.push(key);
                }
            }
        }
        for chunk in keys.chunks(500) {
            let _: () = conn.unlink(chunk).await?;
        }
        self.call::<String>("announce_all", &[]).await?;
        Ok(())
    }
}

fn pairs(fields: &[String]) -> Vec<(String, String)> {
    fields
        .chunks(2)
        .map(|kv| (kv[0].clone(), kv[1].clone()))
        .collect()
}
