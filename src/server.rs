//! The accept loop: HTTP/1.1 connections served by hyper with the warp
//! routes, under the limits warp's own `serve` does not set.
//!
//! - a connection that has not sent a full request head within
//!   `header_timeout` is closed (hyper needs a timer for that; warp's
//!   `serve` gives it none), and so is an idle keep-alive connection;
//! - at most `max_connections` are open; the next waits in the kernel's
//!   accept queue;
//! - a panic in a handler answers 500 for that request only;
//! - on shutdown: stop accepting, let requests in flight finish for at
//!   most `shutdown_grace`, then return (dropping the state closes redb).

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower_service::Service;
use warp::http::{Request, StatusCode};
use warp::reply::Response;

use crate::api::{self, Route, error::error_response, filters::PeerAddr};
use crate::maintenance;
use crate::state::AppState;

/// Serves `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let routes = api::routes(state.clone());
    let config = &state.config;
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .keep_alive(true);
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let (stop_upkeep, upkeep_stopped) = tokio::sync::watch::channel(false);
    let follower = tokio::spawn(crate::follow::run(state.clone(), upkeep_stopped.clone()));
    let upkeep = tokio::spawn(maintenance::run(state.clone(), upkeep_stopped));
    loop {
        let accepted = tokio::select! {
            accepted = accept(&listener, &slots) => accepted,
            () = &mut shutdown => break,
        };
        let Some((stream, peer, slot)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = connection_service(routes.clone(), peer, state.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    if tokio::time::timeout(config.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(grace = ?config.shutdown_grace, "requests still in flight at the deadline");
    }
    let _ = stop_upkeep.send(true);
    let _ = upkeep.await;
    let _ = follower.await;
    if let Err(err) = maintenance::flush_last_used(&state).await {
        tracing::warn!(%err, "last-used times could not be written at shutdown");
    }
}

type Accepted = (
    TcpStream,
    std::net::SocketAddr,
    tokio::sync::OwnedSemaphorePermit,
);

async fn accept(listener: &TcpListener, slots: &Arc<Semaphore>) -> Option<Accepted> {
    let slot = slots.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, slot)),
        Err(err) => {
            // Out of file descriptors and the like: back off instead of spinning.
            tracing::warn!(%err, "accept failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

fn connection_service(
    routes: Route,
    peer: std::net::SocketAddr,
    state: AppState,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<Response, std::convert::Infallible>> + Send,
> + Clone {
    // One warp service per connection, called in place, and one Arc of
    // this connection's own cloned per request: cloning the routes or the
    // state per request would move their reference counts, which every
    // connection shares, between the cores on each request.
    let service = RefCell::new(warp::service(routes));
    let metrics = Arc::new(state.metrics.clone());
    hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(PeerAddr(peer));
        let refused = api::framing::refuse(request.headers());
        // Counted here so every answer is, refusals, rejections and panics included.
        let route = api::label_of(request.uri().path());
        let started = std::time::Instant::now();
        let metrics = metrics.clone();
        let answer = AssertUnwindSafe(service.borrow_mut().call(request)).catch_unwind();
        async move {
            let response = match refused {
                Some(refused) => Ok(Ok(refused)),
                None => answer.await,
            };
            let response = match response {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => {
                    tracing::error!("a handler panicked; answered 500");
                    error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
                }
            };
            let status = response.status().as_u16();
            (metrics.traffic).record(route, status, started.elapsed());
            Ok(response)
        }
    })
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed when this is
/// called (inside the runtime), not when first polled, so a signal that
/// arrives right after start-up is not fatal.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        match (term, interrupt) {
            (Ok(mut term), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = interrupt.recv() => {}
                }
            }
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!(%err, "cannot listen for signals; stop with SIGKILL");
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::Filter;

    /// Routes where `/boom` panics inside its handler and `/fine` answers.
    fn routes_with_a_panic() -> Route {
        let boom = warp::path("boom").map(|| -> Response { panic!("a handler bug") });
        let fine = warp::path("fine").map(|| warp::reply::Reply::into_response("ok"));
        boom.or(fine).unify().boxed()
    }

    /// Serves every connection of `listener` with the real connection service.
    async fn serve(listener: TcpListener, routes: Route, state: AppState) {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                return;
            };
            let service = connection_service(routes.clone(), peer, state.clone());
            tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_the_server_lives_on() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(&crate::Config::for_tests(dir.path()))
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, routes_with_a_panic(), state));
        let client = reqwest::Client::new();
        for _ in 0..3 {
            let boom = client.get(format!("http://{addr}/boom")).send().await;
            let boom = boom.expect("an answer, not a dropped connection");
            assert_eq!(boom.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let body: serde_json::Value = boom.json().await.unwrap();
            assert_eq!(body["err"], "internal error");
            let fine = client.get(format!("http://{addr}/fine")).send().await;
            assert_eq!(fine.unwrap().status(), StatusCode::OK);
        }
    }
}
