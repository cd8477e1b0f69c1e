//! A guestlist server in the test process, on a free port and a data folder
//! of its own (bcrypt cost 4, from `Config::for_tests`).

use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};

use guestlist::{AppState, Config};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::client::{ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD, Api};
use super::library::seed_admin;

/// A running server; its endpoints are the methods of [`Api`].
pub struct TestApp {
    pub addr: SocketAddr,
    api: Api,
    pub state: AppState,
    pub dir: TempDir,
    shutdown: oneshot::Sender<()>,
    handle: JoinHandle<()>,
}

impl Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl DerefMut for TestApp {
    fn deref_mut(&mut self) -> &mut Api {
        &mut self.api
    }
}

pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

/// A server whose settings `tweak` changes.
pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_in(tempfile::tempdir().unwrap(), tweak).await
}

/// A server on `dir` (which may hold a database from an earlier server).
pub async fn spawn_in(dir: TempDir, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let state = open(&dir, tweak).await;
    serve(dir, state).await
}

/// A server whose database holds `testadmin` with role `admin`.
pub async fn spawn_with_admin() -> TestApp {
    spawn_with_admin_and(|_| {}).await
}

/// As `spawn_with_admin`, with settings `tweak` changes.
pub async fn spawn_with_admin_and(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let state = open(&dir, tweak).await;
    seed_admin(&state, ADMIN_NAME, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    serve(dir, state).await
}

async fn open(dir: &TempDir, tweak: impl FnOnce(&mut Config)) -> AppState {
    let mut config = Config::for_tests(dir.path());
    tweak(&mut config);
    AppState::open(&config).await.expect("the state opens")
}

async fn serve(dir: TempDir, state: AppState) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (shutdown, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(guestlist::run(listener, state.clone(), async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        api: Api::new(format!("http://{addr}")),
        state,
        dir,
        shutdown,
        handle,
    }
}

impl TestApp {
    /// Stops the server, waits for it to finish, and hands back its folder.
    pub async fn stop(self) -> TempDir {
        let TestApp {
            state,
            dir,
            shutdown,
            handle,
            ..
        } = self;
        let _ = shutdown.send(());
        handle.await.expect("the server task ends cleanly");
        drop(state);
        dir
    }

    /// Stops the server and starts a new one (default settings) on its
    /// folder.
    pub async fn restart(self) -> TestApp {
        spawn_in(self.stop().await, |_| {}).await
    }

    /// Sends raw bytes on a fresh connection; returns everything read until
    /// the server closes (send `Connection: close` on a valid request).
    pub async fn raw(&self, request: &[u8]) -> String {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    }
}
