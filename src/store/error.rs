use std::path::Path;

/// A failure of the database itself. Logical refusals (a taken name, an
/// unknown role) are [`super::Refusal`]s, not errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database {0} is in use by another guestlist process (is a server running?)")]
    Locked(String),
    #[error("the database {path} cannot be opened: {source}")]
    Open {
        path: String,
        #[source]
        source: redb::DatabaseError,
    },
    #[error(
        "the database {path} is damaged ({reason}); restore a backup or an export, or move it away to start afresh"
    )]
    Damaged { path: String, reason: String },
    #[error("the database was written by a newer guestlist (schema {0})")]
    SchemaTooNew(u64),
    #[error("database: {0}")]
    Database(#[from] redb::DatabaseError),
    #[error("beginning a transaction: {0}")]
    Transaction(#[from] redb::TransactionError),
    #[error("opening a table: {0}")]
    Table(#[from] redb::TableError),
    #[error("storage: {0}")]
    Storage(#[from] redb::StorageError),
    #[error("commit: {0}")]
    Commit(#[from] redb::CommitError),
    #[error("a stored record is corrupt: {0}")]
    Codec(#[source] serde_json::Error),
    /// The write was in a batch whose commit failed.
    #[error("the write's batch failed: {0}")]
    BatchFailed(std::sync::Arc<StoreError>),
    /// Another write of the same batch failed with this.
    #[error("a write failed: {0}")]
    JobFailed(String),
    #[error("the write was not applied")]
    NotApplied,
    #[error("reopening the database panicked")]
    ReopenPanicked,
    #[error("the database is being reopened after a failed write")]
    Reopening,
    #[error("the writer has stopped")]
    WriterGone,
    #[error("a database task failed")]
    TaskFailed,
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error(
        "Redis may lose acknowledged revocations ({0}); set appendonly yes, appendfsync always and maxmemory-policy noeviction, or pass --accept-weak-durability"
    )]
    WeakDurability(String),
    #[error(
        "this node's signing secret differs from the one the other nodes use (compare GUESTLIST_SECRET on every node)"
    )]
    SecretMismatch,
    #[error("a stored record is corrupt: {0}")]
    Corrupt(String),
    #[error("compacting the database: {0}")]
    Compaction(#[from] redb::CompactionError),
    #[error("the OS random generator failed: {0}")]
    Random(String),
}

impl StoreError {
    /// Whether the store did not answer at all (a timeout, a refused
    /// connection), as opposed to a connection that was closed and can be
    /// opened again at once.
    pub fn is_unanswered(&self) -> bool {
        match self {
            StoreError::Redis(err) => err.is_timeout() || err.is_connection_refusal(),
            _ => false,
        }
    }

    pub(crate) fn from_open(err: redb::DatabaseError, path: &Path) -> StoreError {
        let path = path.display().to_string();
        match err {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked(path),
            redb::DatabaseError::Storage(redb::StorageError::Corrupted(reason)) => {
                StoreError::Damaged { path, reason }
            }
            source => StoreError::Open { path, source },
        }
    }
}
