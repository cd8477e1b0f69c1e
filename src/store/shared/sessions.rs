//! The operations on token entries.

use redis::AsyncCommands;

use super::Shared;
use super::records::{Fields, newest_first, token_fields, token_of};
use crate::store::{Cap, Refusal, Revoked, StoreError, TokenRecord, UserKey};
use crate::time::now_secs;

type Outcome<T> = Result<Result<T, Refusal>, StoreError>;

impl Shared {
    /// The user must exist and be enabled; at the cap the least recently
    /// used entries are evicted (or the login refused), in the same call.
    pub(crate) async fn issue_token(&self, record: TokenRecord, cap: Cap) -> Outcome<Revoked> {
        let fields = token_fields(&record);
        let mut args = vec![
            record.user_id.clone(),
            record.jti.clone(),
            record.expires_at.to_string(),
            now_secs().to_string(),
            fields.len().to_string(),
        ];
        args.extend(fields);
        args.push(cap.max.to_string());
        args.push(u8::from(cap.evict).to_string());
        for (jti, at) in cap.recent {
            args.extend([jti, at.to_string()]);
        }
        let answer: redis::Value = self.call("issue_token", &args).await?;
        if let Ok((_, evicted)) = redis::from_redis_value_ref::<(String, usize)>(&answer) {
            let user_id = record.user_id;
            return Ok(Ok(Revoked {
                user_id,
                tokens: evicted,
            }));
        }
        let refusal: String = redis::from_redis_value(answer)
            .map_err(|e| StoreError::Corrupt(format!("an answer of Redis: {e}")))?;
        Ok(Err(match refusal.as_str() {
            "full" => Refusal::TooManyTokens,
            _ => Refusal::NoSuchUser,
        }))
    }

    pub(crate) async fn token(&self, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
        let mut conn = self.conn();
        let fields: Fields = conn.hgetall(self.key(&format!("t:{jti}"))).await?;
        token_of(&fields)
    }

    async fn live_jtis(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn();
        let key = self.key(&format!("ut:{user_id}"));
        Ok(conn
            .zrangebyscore(key, format!("({}", now_secs()), "+inf")
            .await?)
    }

    pub(crate) async fn tokens_of(&self, user_id: &str) -> Result<Vec<TokenRecord>, StoreError> {
        let mut conn = self.conn();
        let mut tokens = Vec::new();
        for jti in self.live_jtis(user_id).await? {
            let fields: Fields = conn.hgetall(self.key(&format!("t:{jti}"))).await?;
            tokens.extend(token_of(&fields)?);
        }
        newest_first(&mut tokens);
        Ok(tokens)
    }

    pub(crate) async fn count_tokens_of(&self, user_id: &str) -> Result<usize, StoreError> {
        Ok(self.live_jtis(user_id).await?.len())
    }

    pub(crate) async fn revoke(&self, jti: &str, owner: Option<&str>) -> Outcome<Revoked> {
        let args = [jti.to_owned(), owner.unwrap_or_default().to_owned()];
        let user_id: Option<String> = self.call("revoke", &args).await?;
        Ok(user_id
            .map(|user_id| Revoked { user_id, tokens: 1 })
            .ok_or(Refusal::NoSuchToken))
    }

    pub(crate) async fn revoke_all(&self, who: UserKey, keep: Option<String>) -> Outcome<Revoked> {
        let (id, name) = match who {
            UserKey::Id(id) => (id, String::new()),
            UserKey::Name(name) => (String::new(), crate::store::fold(&name)),
        };
        let args = [id, name, keep.unwrap_or_default()];
        let removed: Option<(String, usize)> = self.call("revoke_all", &args).await?;
        Ok(removed
            .map(|(user_id, tokens)| Revoked { user_id, tokens })
            .ok_or(Refusal::NoSuchUser))
    }

    /// One atomic pipeline per call; no events (nobody holds these yet).
    pub(crate) async fn add_tokens(&self, records: Vec<TokenRecord>) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for record in &records {
            let key = self.key(&format!("t:{}", record.jti));
            let pairs: Vec<(String, String)> = token_fields(record)
                .chunks(2)
                .map(|kv| (kv[0].clone(), kv[1].clone()))
                .collect();
            let at = record.expires_at as i64;
            pipe.hset_multiple(&key, &pairs).ignore();
            pipe.expire_at(&key, at).ignore();
            let index = self.key(&format!("ut:{}", record.user_id));
            pipe.zadd(index, &record.jti, at).ignore();
            let row = format!("{} {}", record.user_id, record.jti);
            pipe.zadd(self.key("exp"), row, at).ignore();
        }
        let mut conn = self.conn();
        pipe.query_async::<()>(&mut conn).await?;
        Ok(())
    }

    pub(crate) async fn flush_last_used(
        &self,
        used: Vec<(String, u64)>,
    ) -> Result<usize, StoreError> {
        let args: Vec<String> = used
            .into_iter()
            .flat_map(|(jti, at)| [jti, at.to_string()])
            .collect();
        self.call("flush_last_used", &args).await
    }

    /// Redis removes expired entries itself (`EXPIREAT`); this cleans
    /// their index rows, walking the expiry index, never every key.
    pub(crate) async fn purge_expired(&self, now: u64, limit: usize) -> Result<usize, StoreError> {
        let args = [now.to_string(), limit.to_string()];
        self.call("purge_expired", &args).await
    }

    pub(crate) async fn totals(&self) -> Result<crate::store::Totals, StoreError> {
        let mut conn = self.conn();
        let (users, tokens): (u64, u64) = redis::pipe()
            .zcard(self.key("users"))
            .zcount(self.key("exp"), format!("({}", now_secs()), "+inf")
            .query_async(&mut conn)
            .await?;
        Ok(crate::store::Totals { users, tokens })
    }
}
