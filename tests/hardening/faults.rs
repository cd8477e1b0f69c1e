//! Faults: a damaged database file is refused at start with one line and
//! exit code 1, never served as an empty list; a failed commit (a full
//! tmpfs) answers 503 and later writes recover without a restart.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::library::db_file;
use crate::common::*;

/// A data folder whose database holds one admin.
fn seeded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = finish(guestlist(dir.path()).args([
        "create-admin",
        "root",
        "root@mail.com",
        "password123",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn expect_refused(data: &Path, what: &str) {
    // A server that starts is killed after a generous bound (the test then
    // fails: it should have refused at once).
    let out = finish(guestlist(data).args(["--listen", "127.0.0.1:0", "serve"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{what}: one line: {stderr}"
    );
    assert!(
        stderr.contains("is damaged") || stderr.contains("cannot be opened"),
        "{what}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "{what}: never listened"
    );
}

#[test]
fn an_emptied_database_file_is_refused() {
    let dir = seeded();
    std::fs::write(db_file(dir.path()), b"").unwrap();
    expect_refused(dir.path(), "empty");
}

#[test]
fn a_truncated_database_file_is_refused() {
    let dir = seeded();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(db_file(dir.path()))
        .unwrap();
    file.set_len(4096).unwrap();
    expect_refused(dir.path(), "truncated");
}

#[test]
fn damaged_pages_and_headers_are_refused() {
    let good = seeded();
    let original = std::fs::read(db_file(good.path())).unwrap();
    for offset in [0usize, 20, 4096, 8192] {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = original.clone();
        bytes[offset..offset + 8].copy_from_slice(&[0xff; 8]);
        std::fs::write(db_file(dir.path()), &bytes).unwrap();
        expect_refused(dir.path(), &format!("8 bytes at {offset}"));
        let check = finish(guestlist(dir.path()).args(["check"]));
        assert_eq!(check.status.code(), Some(1), "check, 8 bytes at {offset}");
    }
    // The intact copy passes the check and still serves its admin.
    let check = finish(guestlist(good.path()).args(["check"]));
    assert!(check.status.success(), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("every page verified"));
    let out = finish(guestlist(good.path()).args(["users", "list"]));
    assert!(String::from_utf8_lossy(&out.stdout).contains("root"));
}

/// Damage deep inside a small database (a leaf of a table, not a header)
/// is only found by checksumming every page: a start must do it.
#[test]
fn a_start_finds_what_check_finds_in_a_small_database() {
    let good = seeded();
    let original = std::fs::read(db_file(good.path())).unwrap();
    let mut found = 0;
    for page in (3..original.len() / 4096).filter(|p| original[p * 4096..][..4096] != [0; 4096]) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = original.clone();
        bytes[page * 4096 + 16..][..8].copy_from_slice(&[0xff; 8]);
        std::fs::write(db_file(dir.path()), &bytes).unwrap();
        let check = finish(guestlist(dir.path()).args(["check"]));
        if check.status.code() == Some(1) {
            found += 1;
            expect_refused(dir.path(), &format!("8 bytes in page {page}"));
        }
    }
    assert!(found > 0, "some damaged page was found by check");
}

#[test]
fn check_refuses_a_folder_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = finish(guestlist(dir.path()).args(["check"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database at"));
    assert!(!db_file(dir.path()).exists(), "check creates nothing");
}

/// A small tmpfs, unmounted on drop; `None` where mounting is not allowed.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Tmpfs(at.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes to `file` until the file system is full.
fn fill(file: &Path) {
    use std::io::Write;
    let mut out = std::fs::File::create(file).unwrap();
    let chunk = vec![0u8; 4096];
    while out.write_all(&chunk).is_ok() {}
    let _ = out.sync_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_answers_503_and_writes_recover_without_a_restart() {
    let mnt = tempfile::tempdir().unwrap();
    let Some(_tmpfs) = Tmpfs::mount(mnt.path(), "2m") else {
        eprintln!("SKIPPED a_failed_commit_answers_503...: cannot mount a tmpfs here (not root?)");
        return;
    };
    let data = mnt.path().join("data");
    let app = spawn_with(|config| config.data_dir = data).await;
    app.add_user("ann", "password123").await;
    let first = app.login_token("ann", "password123").await;
    fill(&mnt.path().join("filler"));
    let mut refused = None;
    for _ in 0..5000 {
        let response = app.login_from("ann", "password123", "x").await;
        match response.status().as_u16() {
            200 => continue,
            503 => {
                refused = Some(response);
                break;
            }
            other => panic!("a full disk answered {other}"),
        }
    }
    let refused = refused.expect("the disk filled up and a commit failed");
    assert_eq!(refused.headers()["retry-after"], "1");
    let body = err_body(refused).await;
    assert_eq!(body["err"], "the service is unavailable, try again shortly");
    // Checks and reads keep working while the disk is full.
    assert_eq!(app.check(&first).await, 200);
    assert_eq!(app.list_status(&first).await, 200);
    // Space again: the next write succeeds, no restart.
    std::fs::remove_file(mnt.path().join("filler")).unwrap();
    let after = app.login_token("ann", "password123").await;
    assert_eq!(app.check(&after).await, 200);
    assert_eq!(app.logout_status(&first).await, 200);
    assert_eq!(app.check(&first).await, 401);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_exits_0_and_the_next_start_is_clean() {
    use std::sync::Arc;
    use tokio::sync::Mutex;
    let dir = tempfile::tempdir().unwrap();
    let mut server = crate::kill9::start(dir.path());
    server.add_user("ann", "password123").await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (api, acked) = (Api::clone(&server), acked.clone());
            tokio::spawn(async move {
                loop {
                    let sent = api.try_login("ann", "password123").await;
                    let Ok(response) = sent else { return };
                    if response.status() != 200 {
                        continue;
                    }
                    let Ok(answer) = response.json::<serde_json::Value>().await else {
                        return;
                    };
                    acked
                        .lock()
                        .await
                        .push(answer["token"].as_str().unwrap().to_owned());
                }
            })
        })
        .collect();
    while acked.lock().await.len() < 20 {
        tokio::task::yield_now().await;
    }
    server.terminate();
    let exit = server.wait_within(Duration::from_secs(60));
    assert!(exit.is_some(), "the server did not stop within the bound");
    assert_eq!(exit.unwrap().code(), Some(0), "SIGTERM exits 0");
    for worker in workers {
        worker.await.unwrap();
    }
    // The next start verifies every checksum (see store::open_checked).
    let server = crate::kill9::start(dir.path());
    for token in acked.lock().await.iter() {
        let status = server.check(token).await;
        assert_eq!(status, 200, "an acknowledged login survived the shutdown");
    }
    server.kill();
}
