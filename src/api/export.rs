//! `GET /api/v1/admin/export` (role admin): the same JSON lines as
//! `guestlist export`, from a running server, so a backup needs no downtime.
//!
//! Streamed: a blocking task walks one read transaction (a consistent
//! snapshot) and hands each line to a bounded channel that the response
//! body drains, so memory stays flat whatever the database size and a slow
//! client slows the reader instead of filling memory. The status is only
//! sent once the header line is ready: a database that cannot be read at
//! all is a 503, not an empty 200. A failure after that aborts the body, and
//! the missing end line tells the importer the download is incomplete.

use std::task::Poll;

use bytes::Bytes;
use tokio::sync::mpsc;
use warp::http::HeaderValue;
use warp::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use warp::{Filter, Reply};

use super::Route;
use super::error::{ApiError, ApiResult, respond};
use super::filters::{caller, with_state};
use crate::rules::ADMIN;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::export::Record;

/// Lines waiting between the reader and the client.
const BUFFERED_LINES: usize = 256;

type Chunk = Result<Bytes, std::io::Error>;

pub fn route(state: &AppState) -> Route {
    warp::path!("api" / "v1" / "admin" / "export")
        .and(warp::get())
        .and(caller(state, Some(ADMIN)))
        .and(with_state(state.clone()))
        .then(|_, state| stream_export(state))
        .map(respond)
        .boxed()
}

async fn stream_export(state: AppState) -> ApiResult {
    let (lines, mut rx) = mpsc::channel::<Chunk>(BUFFERED_LINES);
    tokio::spawn(produce(state, lines));
    let first = match rx.recv().await {
        Some(Ok(line)) => line,
        Some(Err(_)) | None => return Err(ApiError::Unavailable(StoreError::TaskFailed)),
    };
    let mut first = Some(Ok(first));
    let body = futures_util::stream::poll_fn(move |cx| match first.take() {
        Some(line) => Poll::Ready(Some(line)),
        None => rx.poll_recv(cx),
    });
    let mut response = warp::reply::stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    // It holds password hashes: no cache may keep a copy.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Why the reader stopped early: the database failed (`Some`), or the
/// client went away (`None`).
struct Stop(Option<StoreError>);

impl From<StoreError> for Stop {
    fn from(err: StoreError) -> Stop {
        Stop(Some(err))
    }
}

/// Fills `lines` from one snapshot on the blocking pool; a failure is sent
/// as the last item so the body ends in an error, never in a clean but
/// short export.
async fn produce(state: AppState, lines: mpsc::Sender<Chunk>) {
    let reader = lines.clone();
    let walk = move || state.guests.export_now(|record| send(&reader, &record));
    let failure = match tokio::task::spawn_blocking(walk).await {
        Ok(Ok(())) | Ok(Err(Stop(None))) => return,
        Ok(Err(Stop(Some(err)))) => err,
        Err(_) => StoreError::TaskFailed,
    };
    tracing::error!(%failure, "the export stopped");
    let _ = lines
        .send(Err(std::io::Error::other("the export stopped")))
        .await;
}

fn send(lines: &mpsc::Sender<Chunk>, record: &Record) -> Result<(), Stop> {
    let mut line = record.to_line()?;
    line.push('\n');
    lines
        .blocking_send(Ok(Bytes::from(line)))
        .map_err(|_| Stop(None))
}
