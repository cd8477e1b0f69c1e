//! The proxies of the browser tests, each in front of guestlist (the
//! portal) and a small upstream app, over HTTPS with a throwaway
//! certificate: nginx (`auth_request` + `error_page 401 = @login`, the
//! README's snippet) and Caddy (`forward_auth`, the README's Caddyfile).
//! Also the attacker's pages (served by nginx); the upstream app is
//! `common::upstream`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::rig::{Killed, wait_for_port};

/// A self-signed certificate for every test host, valid one day.
pub fn certificate(openssl: &Path, dir: &Path) {
    let status = Command::new(openssl)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=guestlist.test"])
        .args([
            "-addext",
            "subjectAltName=DNS:*.guestlist.test,DNS:evil.test",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl made no certificate");
}

/// The attacker's pages: a form that posts to the portal from elsewhere.
const EVIL_PAGE: &str = "<!doctype html><title>evil</title>\
<form id=forge method=post action=https://auth.guestlist.test:PORT/account/devices/sign-out-others>\
<input type=hidden name=csrf value=guessed><button id=go type=submit>Win a prize</button></form>\
<form id=login method=post action=https://auth.guestlist.test:PORT/login>\
<input type=hidden name=csrf value=guessed><input type=hidden name=username value=mallory>\
<input type=hidden name=password value=mallory-password><button id=login-go type=submit>Log in</button></form>";

/// The nginx configuration: the README's snippet plus TLS and test paths.
fn nginx_config(dir: &Path, port: u16, guestlist: SocketAddr, upstream: SocketAddr) -> String {
    let d = dir.display();
    let evil = EVIL_PAGE
        .replace("PORT", &port.to_string())
        .replace('\'', "\\'");
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    ssl_certificate {d}/cert.pem;
    ssl_certificate_key {d}/key.pem;

    # The portal: guestlist itself.
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name auth.guestlist.test;
        location / {{
            proxy_pass http://{guestlist};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}

    # The protected app.
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name app.guestlist.test;
        location / {{
            auth_request /_guestlist;
            auth_request_set $guestlist_user $upstream_http_x_guestlist_user;
            auth_request_set $guestlist_login $upstream_http_location;
            error_page 401 = @login;
            proxy_set_header X-Guestlist-User $guestlist_user;
            proxy_pass http://{upstream};
        }}
        location = /_guestlist {{
            internal;
            proxy_pass http://{guestlist}/api/v1/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
        location @login {{
            if ($guestlist_login = "") {{ return 401; }}
            return 302 $guestlist_login;
        }}
    }}

    # The attacker.
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name evil.guestlist.test evil.test;
        location / {{
            default_type text/html;
            return 200 '{evil}';
        }}
    }}
}}
"#
    )
}

pub async fn start_nginx(
    binary: &Path,
    dir: &Path,
    port: u16,
    guestlist: SocketAddr,
    upstream: SocketAddr,
) -> Killed {
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, nginx_config(dir, port, guestlist, upstream)).unwrap();
    let log = dir.join("error.log");
    let child = Command::new(binary)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(&log)
        .arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .spawn()
        .expect("nginx starts");
    let mut nginx = Killed(child, false);
    wait_for_port(port, &mut nginx.0, "nginx", &log).await;
    nginx
}

/// The README's Caddyfile, with TLS from the test's certificate, nothing
/// written outside `dir`, and no admin endpoint.
fn caddy_config(dir: &Path, port: u16, guestlist: SocketAddr, upstream: SocketAddr) -> String {
    let d = dir.display();
    format!(
        r#"{{
    admin off
    auto_https disable_redirects
    storage file_system {d}/caddy
}}

https://auth.guestlist.test:{port} {{
    tls {d}/cert.pem {d}/key.pem
    reverse_proxy {guestlist}
}}

https://app.guestlist.test:{port} {{
    tls {d}/cert.pem {d}/key.pem
    forward_auth {guestlist} {{
        uri /api/v1/verify
        copy_headers X-Guestlist-User X-Guestlist-User-Id X-Guestlist-Roles
    }}
    reverse_proxy {upstream}
}}
"#
    )
}

pub async fn start_caddy(
    binary: &Path,
    dir: &Path,
    port: u16,
    guestlist: SocketAddr,
    upstream: SocketAddr,
) -> Killed {
    let conf = dir.join("Caddyfile");
    std::fs::write(&conf, caddy_config(dir, port, guestlist, upstream)).unwrap();
    let log = dir.join("caddy.log");
    let child = Command::new(binary)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&conf)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("caddy starts");
    let mut caddy = Killed(child, false);
    wait_for_port(port, &mut caddy.0, "caddy", &log).await;
    caddy
}
