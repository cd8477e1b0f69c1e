//! A node's reader of the change stream: `XREAD BLOCK` on a connection of
//! its own, from the last entry it applied.
//!
//! Every entry carries a sequence number (`s`), one more than the entry
//! before it. A read that finds a jump, a stream trimmed past the node's
//! place, a counter below the node's, or another Redis altogether (its
//! incarnation differs) is a gap: the node cannot know what it missed, so
//! it must forget its whole cache ([`Batch::gap`]).

use std::time::{Duration, Instant};

use redis::streams::{StreamRangeReply, StreamReadOptions, StreamReadReply};
use redis::{AsyncCommands, Value};

use super::Shared;
use crate::store::StoreError;

/// Entries asked for per read; a reply with fewer proves the node has
/// seen everything acknowledged before the read was sent.
const READ_COUNT: usize = 1000;

/// What another node (or the command line) changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Tokens of this user were revoked, or the user disabled or deleted.
    User(String),
    /// This user's roles changed.
    Roles(String),
    /// Anything may have changed (reset, import).
    All,
}

/// Where a node is in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    last_id: String,
    last_seq: u64,
    incarnation: String,
}

/// One read of the stream.
#[derive(Debug)]
pub struct Batch {
    pub changes: Vec<Change>,
    /// Something may have been missed: forget everything cached.
    pub gap: bool,
    /// When the read was sent.
    pub sent_at: Instant,
    /// Fewer entries than asked: every change acknowledged before
    /// `sent_at` is in this batch or was in an earlier one.
    pub complete: bool,
    /// From the last entry's append (its stream id is Redis's clock in
    /// milliseconds) to its reading here, if the batch has entries.
    pub lag: Option<Duration>,
}

/// The stream reader of one node.
pub struct Feed {
    shared: Shared,
    block: Duration,
    conn: Option<redis::aio::MultiplexedConnection>,
    position: Option<Position>,
}

impl Feed {
    pub(in crate::store) fn new(shared: Shared, block: Duration) -> Feed {
        Feed {
            shared,
            block,
            conn: None,
            position: None,
        }
    }

    /// The next batch; an error means the connection is gone (the caller
    /// stops trusting its cache and calls again after a pause).
    pub async fn next(&mut self) -> Result<Batch, StoreError> {
        let batch = self.next_batch().await;
        if batch.is_err() {
            self.shared.command_stats().failed();
        }
        batch
    }

    async fn next_batch(&mut self) -> Result<Batch, StoreError> {
        let mut gap = false;
        if self.conn.is_none() {
            let mut conn = self.shared.dedicated(self.block).await?;
            gap = self.resync(&mut conn).await?;
            self.conn = Some(conn);
        }
        let read = self.read().await;
        if read.is_err() {
            self.conn = None;
        }
        let mut batch = read?;
        batch.gap |= gap;
        Ok(batch)
    }

    async fn read(&mut self) -> Result<Batch, StoreError> {
        let (Some(conn), Some(position)) = (self.conn.as_mut(), self.position.as_mut()) else {
            return Err(StoreError::NotApplied);
        };
        let options = StreamReadOptions::default()
            .block(self.block.as_millis() as usize)
            .count(READ_COUNT);
        let log = self.shared.key("log");
        let sent_at = Instant::now();
        let reply: Option<StreamReadReply> = conn
            .xread_options(&[&log], &[&position.last_id], &options)
            .await?;
        let entries = reply
            .and_then(|r| r.keys.into_iter().next())
            .map(|k| k.ids)
            .unwrap_or_default();
        let mut batch = Batch {
            changes: Vec::with_capacity(entries.len()),
            gap: false,
            sent_at,
            complete: entries.len() < READ_COUNT,
            lag: entries.last().and_then(|e| lag_of(&e.id)),
        };
        for entry in entries {
            let seq = field(&entry.map, "s").and_then(|s| s.parse::<u64>().ok());
            batch.gap |= seq != Some(position.last_seq + 1);
            position.last_seq = seq.unwrap_or(position.last_seq + 1);
            position.last_id = entry.id;
            batch.changes.push(change_of(&entry.map));
        }
        Ok(batch)
    }

    /// After a (re)connect: where to read from, and whether anything may
    /// have been missed since the last read.
    async fn resync(
        &mut self,
        conn: &mut redis::aio::MultiplexedConnection,
    ) -> Result<bool, StoreError> {
        let now = self.shared.position(conn).await?;
        let Some(known) = self.position.clone() else {
            self.position = Some(now);
            return Ok(false);
        };
        let same_redis = known.incarnation == now.incarnation && now.last_seq >= known.last_seq;
        if same_redis && now.last_seq == known.last_seq {
            return Ok(false);
        }
        if same_redis {
            // Entries were added meanwhile: the read will replay them, if
            // the first one still follows the last applied.
            let log = self.shared.key("log");
            let next: StreamRangeReply = conn
                .xrange_count(&log, format!("({}", known.last_id), "+", 1)
                .await?;
            let first = next.ids.first().and_then(|e| field(&e.map, "s"));
            if first.and_then(|s| s.parse::<u64>().ok()) == Some(known.last_seq + 1) {
                return Ok(false);
            }
        }
        self.position = Some(now);
        Ok(true)
    }
}

impl Shared {
    /// The end of the stream now, with the counter and the incarnation.
    async fn position(
        &self,
        conn: &mut redis::aio::MultiplexedConnection,
    ) -> Result<Position, StoreError> {
        let (incarnation, seq, last): (Option<String>, Option<u64>, StreamRangeReply) =
            redis::pipe()
                .atomic()
                .hget(self.key("meta"), "incarnation")
                .get(self.key("seq"))
                .xrevrange_count(self.key("log"), "+", "-", 1)
                .query_async(conn)
                .await?;
        Ok(Position {
            last_id: last.ids.first().map_or("0-0".to_owned(), |e| e.id.clone()),
            last_seq: seq.unwrap_or(0),
            incarnation: incarnation.unwrap_or_default(),
        })
    }

    /// A reader of the change stream for one node.
    pub(in crate::store) fn feed(&self, block: Duration) -> Feed {
        Feed::new(self.clone(), block)
    }
}

/// How long ago an entry was appended, by its id `<ms>-<n>` (the clocks of
/// Redis and of this node may differ a little).
fn lag_of(id: &str) -> Option<Duration> {
    let appended: u64 = id.split('-').next()?.parse().ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_millis() as u64;
    Some(Duration::from_millis(now.saturating_sub(appended)))
}

fn field(map: &std::collections::HashMap<String, Value>, name: &str) -> Option<String> {
    map.get(name)
        .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
}

fn change_of(map: &std::collections::HashMap<String, Value>) -> Change {
    let user = field(map, "u").unwrap_or_default();
    match field(map, "k").as_deref() {
        Some("roles") => Change::Roles(user),
        Some("user") => Change::User(user),
        // An unknown kind may be anything: treat it as a reset.
        _ => Change::All,
    }
}
