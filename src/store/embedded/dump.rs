//! The export walk and the import load of the embedded engine (the line
//! format is `store::export`).

use redb::WriteTransaction;
use redb::{ReadTransaction, ReadableMultimapTable, ReadableTable, ReadableTableMetadata};

use super::tables::*;
use super::{Embedded, compact, decode, roles, tokens, users};
use crate::store::export::{Record, Rejected, VERSION};
use crate::store::{Refusal, StoreError};

impl Embedded {
    /// Walks one read transaction: a consistent snapshot.
    pub(crate) fn export_now<E: From<StoreError>>(
        &self,
        now: u64,
        mut emit: impl FnMut(Record) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut failed = None;
        let mut sink = |record| match emit(record) {
            Ok(()) => true,
            Err(err) => {
                failed = Some(err);
                false
            }
        };
        let walked = self.read_now(|txn| walk(txn, now, &mut sink));
        match failed {
            Some(err) => Err(err),
            None => walked.map_err(E::from),
        }
    }

    pub(crate) async fn import(
        &self,
        records: Vec<Record>,
    ) -> Result<Result<u64, Rejected>, StoreError> {
        // A rejection must abort the transaction, which only an `Err` from
        // the closure does: the rejection travels out beside it.
        let rejected = std::sync::Arc::new(std::sync::Mutex::new(None));
        let seen = rejected.clone();
        let loaded = self
            .write_alone(move |txn| match load(txn, &records)? {
                Ok(loaded) => Ok(loaded),
                Err(why) => {
                    *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
                    Err(StoreError::NotApplied)
                }
            })
            .await;
        let why = rejected.lock().unwrap_or_else(|p| p.into_inner()).take();
        match (loaded, why) {
            (_, Some(why)) => Ok(Err(why)),
            (loaded, None) => loaded.map(Ok),
        }
    }
}

/// Hands every record to `emit`, which answers whether to go on.
fn walk(
    txn: &ReadTransaction,
    now: u64,
    emit: &mut dyn FnMut(Record) -> bool,
) -> Result<(), StoreError> {
    if !emit(Record::Header { version: VERSION }) {
        return Ok(());
    }
    let mut records = 0u64;
    let mut counted = |record| {
        records += 1;
        emit(record)
    };
    for entry in txn.open_table(USERS)?.iter()? {
        if !counted(Record::User(decode(entry?.1.value())?)) {
            return Ok(());
        }
    }
    for role in roles::all(txn)? {
        if !counted(Record::Role(role)) {
            return Ok(());
        }
    }
    for entry in txn.open_multimap_table(USER_ROLES)?.iter()? {
        let (user, roles) = entry?;
        for role in roles {
            let user_id = user.value().to_owned();
            let role = role?.value().to_owned();
            if !counted(Record::UserRole { user_id, role }) {
                return Ok(());
            }
        }
    }
    for entry in txn.open_table(TOKENS)?.iter()? {
        let (jti, value) = entry?;
        let token = compact::record(jti.value(), value.value())?;
        if token.expires_at > now && !counted(Record::Token(token)) {
            return Ok(());
        }
    }
    emit(Record::End { records });
    Ok(())
}

/// Loads `records` (header and end lines are ignored) into an empty
/// database, answering the first one that does not fit.
fn load(txn: &WriteTransaction, records: &[Record]) -> Result<Result<u64, Rejected>, StoreError> {
    if !(txn.open_table(USERS)?.is_empty()? && txn.open_table(ROLES)?.is_empty()?) {
        return Ok(Err(Rejected::NotEmpty));
    }
    let mut loaded = 0;
    for (index, record) in records.iter().enumerate() {
        if let Err(reason) = load_one(txn, record)? {
            return Ok(Err(Rejected::Record { index, reason }));
        }
        loaded += u64::from(!matches!(
            record,
            Record::Header { .. } | Record::End { .. }
        ));
    }
    Ok(Ok(loaded))
}

fn load_one(
    txn: &WriteTransaction,
    record: &Record,
) -> Result<Result<(), &'static str>, StoreError> {
    let user_known = |id: &str| users::by_id(txn, id).map(|u| u.is_some());
    match record {
        Record::Header { .. } | Record::End { .. } => Ok(Ok(())),
        Record::User(user) => {
            if user_known(&user.id)? {
                return Ok(Err("a user with this id came before"));
            }
            Ok(users::insert(txn, user)?.map_err(|r| match r {
                Refusal::EmailTaken => "email already taken",
                _ => "username already taken",
            }))
        }
        Record::Role(role) => {
            let created = roles::create(txn, role)?;
            Ok(created.map_err(|_| "role already exists"))
        }
        Record::UserRole { user_id, role } => {
            if !user_known(user_id)? {
                return Ok(Err("the link's user is unknown"));
            }
            if !roles::exists(txn, role)? {
                return Ok(Err("the link's role is unknown"));
            }
            roles::link(txn, user_id, role, true).map(Ok)
        }
        // A restore puts the entry back as it was: no cap, no eviction.
        Record::Token(token) => {
            if tokens::exists(txn, &token.jti)? {
                return Ok(Err("a token with this id came before"));
            }
            if !user_known(&token.user_id)? {
                return Ok(Err("the token's user is unknown"));
            }
            tokens::put_all(txn, std::slice::from_ref(token)).map(Ok)
        }
    }
}
