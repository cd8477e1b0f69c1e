//! `rediss://`: a node on a redis-server that speaks TLS only (`--port 0
//! --tls-port P`), with a certificate from a throwaway CA made by openssl.
//! The node trusts the system's roots; `SSL_CERT_FILE` adds the test CA.
//! Without it the same command is refused: the certificate is checked.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::common::redis::{SHARED_SECRET, append_only, redis_binary};
use crate::common::*;

struct TlsRedis {
    child: Child,
    dir: TempDir,
    port: u16,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `openssl ARGS` in `dir` (ARGS split at spaces).
fn openssl(dir: &Path, args: &str) {
    let status = Command::new("openssl")
        .current_dir(dir)
        .args(args.split_whitespace())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args}");
}

/// A CA, and a certificate for `localhost` it signed.
fn certificates(dir: &Path) {
    let key = "-newkey rsa:2048 -nodes";
    openssl(
        dir,
        &format!("req -x509 {key} -days 1 -subj /CN=test-CA -keyout ca.key -out ca.crt"),
    );
    openssl(
        dir,
        &format!("req -new {key} -subj /CN=localhost -keyout redis.key -out redis.csr"),
    );
    std::fs::write(dir.join("san.cnf"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(
        dir,
        "x509 -req -in redis.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile san.cnf -out redis.crt",
    );
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl TlsRedis {
    fn start() -> Option<TlsRedis> {
        let binary = redis_binary()?;
        if Command::new("openssl").arg("version").output().is_err() {
            // As redis-server: skipped on a workstation, never under CI.
            assert!(
                std::env::var_os("CI").is_none(),
                "openssl is missing under CI (.ci/run installs it)"
            );
            eprintln!("SKIPPED: openssl is not installed (it makes the certificates)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        certificates(dir.path());
        let port = free_port();
        let child = Command::new(binary)
            .current_dir(dir.path())
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .args([
                "--tls-cert-file",
                "redis.crt",
                "--tls-key-file",
                "redis.key",
            ])
            .args(["--tls-ca-cert-file", "ca.crt", "--tls-auth-clients", "no"])
            .args(append_only("always"))
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(TlsRedis { child, dir, port })
    }

    /// The binary on `data`, on this Redis over TLS.
    fn command(&self, data: &Path, trusted: bool, args: &[&str]) -> Command {
        let mut command = guestlist(data);
        let secret = std::str::from_utf8(SHARED_SECRET).unwrap();
        command.env("GUESTLIST_SECRET", secret);
        if trusted {
            command.env("SSL_CERT_FILE", self.dir.path().join("ca.crt"));
        }
        let url = format!("rediss://localhost:{}/0", self.port);
        command.args(["--store", &url]).args(args);
        command
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_on_rediss_serves_its_tokens_and_an_untrusted_certificate_is_refused() {
    let Some(redis) = TlsRedis::start() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let out = data.path().join("tokens.txt");
    let mint = [
        "tokens",
        "mint",
        "--count",
        "1",
        "--out",
        out.to_str().unwrap(),
    ];
    let refused = finish(&mut redis.command(data.path(), false, &mint));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a CA nobody trusts is refused");
    assert!(why.contains("certificate"), "{why}");
    let minted = finish(&mut redis.command(data.path(), true, &mint));
    let stderr = String::from_utf8_lossy(&minted.stderr);
    assert!(minted.status.success(), "{stderr}");
    let token = std::fs::read_to_string(&out).unwrap().trim().to_owned();
    let listen = ["--listen", "127.0.0.1:0", "serve"];
    let node = Server::start_with(&mut redis.command(data.path(), true, &listen));
    assert_eq!(node.check(&token).await, 200);
    assert_eq!(node.logout(&token).await.status(), 200);
    assert_eq!(node.check(&token).await, 401);
    node.stop();
}
