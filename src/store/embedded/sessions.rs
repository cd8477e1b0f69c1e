//! The operations on token entries: each one transaction.

use super::{Embedded, tokens, users};
use crate::store::{Cap, Refusal, Revoked, StoreError, TokenRecord, UserKey};

type Outcome<T> = Result<Result<T, Refusal>, StoreError>;

impl Embedded {
    /// The user must exist and be enabled; at the cap the least recently
    /// used entries are evicted (or the login refused), in the same
    /// transaction as the insert.
    pub(crate) async fn issue_token(&self, record: TokenRecord, cap: Cap) -> Outcome<Revoked> {
        self.write(move |txn| {
            match users::by_id(txn, &record.user_id)? {
                Some(user) if !user.disabled => {}
                _ => return Ok(Err(Refusal::NoSuchUser)),
            }
            let evicted = match tokens::make_room(txn, &record.user_id, &cap)? {
                Ok(evicted) => evicted,
                Err(refusal) => return Ok(Err(refusal)),
            };
            tokens::put_all(txn, std::slice::from_ref(&record))?;
            Ok(Ok(Revoked {
                user_id: record.user_id,
                tokens: evicted,
            }))
        })
        .await
    }

    pub(crate) async fn token(&self, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
        let jti = jti.to_owned();
        self.read(move |txn| tokens::get(txn, &jti)).await
    }

    pub(crate) fn token_now(&self, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.read_now(|txn| tokens::get(txn, jti))
    }

    pub(crate) async fn tokens_of(&self, user_id: &str) -> Result<Vec<TokenRecord>, StoreError> {
        let id = user_id.to_owned();
        self.read(move |txn| tokens::of_user(txn, &id)).await
    }

    pub(crate) async fn count_tokens_of(&self, user_id: &str) -> Result<usize, StoreError> {
        let id = user_id.to_owned();
        self.read(move |txn| tokens::count_of_user(txn, &id)).await
    }

    pub(crate) async fn revoke(&self, jti: &str, owner: Option<&str>) -> Outcome<Revoked> {
        let (jti, owner) = (jti.to_owned(), owner.map(str::to_owned));
        self.write(move |txn| {
            let removed = tokens::remove(txn, &jti, owner.as_deref())?;
            Ok(removed.map(|user_id| Revoked { user_id, tokens: 1 }))
        })
        .await
    }

    pub(crate) async fn revoke_all(&self, who: UserKey, keep: Option<String>) -> Outcome<Revoked> {
        self.write(move |txn| {
            let user_id = match who {
                UserKey::Id(id) => id,
                UserKey::Name(name) => match users::by_name(txn, &name)? {
                    Some(user) => user.id,
                    None => return Ok(Err(Refusal::NoSuchUser)),
                },
            };
            let tokens = tokens::remove_all_of(txn, &user_id, keep.as_deref())?;
            Ok(Ok(Revoked { user_id, tokens }))
        })
        .await
    }

    /// Durable per call: redb reuses the pages a commit frees only after a
    /// durable commit, so non-durable batches grew the file several times
    /// over; one fsync per batch costs less than that.
    pub(crate) async fn add_tokens(&self, records: Vec<TokenRecord>) -> Result<(), StoreError> {
        self.write_alone(move |txn| tokens::put_all(txn, &records))
            .await
    }

    pub(crate) async fn flush_last_used(
        &self,
        used: Vec<(String, u64)>,
    ) -> Result<usize, StoreError> {
        self.write(move |txn| tokens::touch_many(txn, &used)).await
    }

    pub(crate) async fn purge_expired(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.write(move |txn| tokens::purge_expired(txn, now, limit))
            .await
    }
}
