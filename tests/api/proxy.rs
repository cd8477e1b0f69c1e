//! A real nginx in front of a small upstream, asking guestlist's
//! GET /api/v1/verify through `auth_request` (the README's snippet): a live
//! token reaches the upstream, which learns who the caller is; anything
//! else is stopped at the proxy.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::net::TcpStream;

use crate::common::*;

/// Where Debian puts nginx; /usr/sbin is often not on a user's PATH.
fn find_nginx() -> Option<PathBuf> {
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("nginx"))
                .collect()
        })
        .unwrap_or_default();
    let known = ["/usr/sbin/nginx", "/usr/bin/nginx"].map(PathBuf::from);
    on_path.into_iter().chain(known).find(|p| p.is_file())
}

/// The README's snippet, with every path nginx writes inside `dir`.
fn config(dir: &Path, port: u16, guestlist: SocketAddr, upstream: SocketAddr) -> String {
    let dir = dir.display();
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            auth_request /_guestlist;
            auth_request_set $guestlist_user $upstream_http_x_guestlist_user;
            proxy_set_header X-Guestlist-User $guestlist_user;
            proxy_pass http://{upstream};
        }}
        location = /_guestlist {{
            internal;
            proxy_pass http://{guestlist}/api/v1/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }}
    }}
}}
"#
    )
}

/// nginx as a child process, killed when dropped (even on a failed assert).
struct Nginx {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    async fn start(binary: &Path, guestlist: SocketAddr, upstream: SocketAddr) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        // A free port: nginx binds it right after we let it go.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), port, guestlist, upstream)).unwrap();
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let mut nginx = Nginx {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        nginx.wait_until_listening().await;
        nginx
    }

    async fn wait_until_listening(&mut self) {
        for _ in 0..500 {
            if let Some(status) = self.child.try_wait().unwrap() {
                let log = std::fs::read_to_string(self.dir.path().join("error.log"));
                panic!("nginx exited with {status}: {}", log.unwrap_or_default());
            }
            if TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("nginx never listened on {}", self.addr);
    }
}

#[tokio::test]
async fn nginx_lets_live_tokens_through_to_the_upstream_and_stops_the_rest() {
    let Some(binary) = find_nginx() else {
        // CI installs nginx (.ci/run): there a missing nginx is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "nginx is not installed but CI is set"
        );
        eprintln!("skipped: nginx is not installed (CI would fail here)");
        return;
    };
    let app = spawn().await;
    let nginx = Nginx::start(&binary, app.addr, spawn_upstream(false).await).await;
    let through = |token: Option<&str>| {
        let mut request = app.client.get(format!("http://{}/some/page", nginx.addr));
        if let Some(token) = token {
            request = request.header("authorization", bearer(token));
        }
        request.send()
    };
    let session = app.user_session("visitor").await;
    let reached = through(Some(&session.token)).await.unwrap();
    assert_eq!(reached.status(), StatusCode::OK);
    assert_eq!(
        reached.text().await.unwrap(),
        "upstream reached by [visitor]"
    );
    assert_eq!(
        through(None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        through(Some("not.a.token")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // Revoked: the next request through the proxy is stopped.
    assert_eq!(app.logout(&session.token).await.status(), StatusCode::OK);
    assert_eq!(
        through(Some(&session.token)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}
