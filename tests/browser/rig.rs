//! What a browser test stands on: guestlist in the test process, a real
//! nginx serving HTTPS (a self-signed certificate made here by `openssl`)
//! for three made-up hosts, a small upstream app behind nginx's
//! `auth_request`, and a headless Debian chromium driven over WebDriver
//! by chromedriver. Every process is a child killed on drop.
//!
//! Hosts (chromium maps them to 127.0.0.1 with `--host-resolver-rules`):
//! - `auth.guestlist.test`: the portal (guestlist behind nginx)
//! - `app.guestlist.test`: the protected app (the upstream, through
//!   `auth_request` + `error_page 401 = @login`, the README's snippet)
//! - `evil.guestlist.test` and `evil.test`: pages of an attacker, on a
//!   sibling subdomain (same site) and on another site.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::{TestApp, spawn_with_admin_and};

pub const DOMAIN: &str = "guestlist.test";

/// A program from `PATH` or one of the places Debian puts it.
fn find(name: &str, known: &[&str]) -> Option<PathBuf> {
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).map(|d| d.join(name)).collect())
        .unwrap_or_default();
    let known = known.iter().map(PathBuf::from);
    on_path.into_iter().chain(known).find(|p| p.is_file())
}

/// The programs a browser test needs.
pub struct Programs {
    chromium: PathBuf,
    chromedriver: PathBuf,
    nginx: PathBuf,
    openssl: PathBuf,
    caddy: Option<PathBuf>,
}

/// The proxy in front of the portal and the app.
pub enum Proxy {
    /// `auth_request` + `error_page 401 = @login` (the README's snippet).
    Nginx,
    /// `forward_auth` (the README's Caddyfile).
    Caddy,
}

impl Programs {
    /// Whether Debian's `caddy` is here; a note when not (a failure under
    /// `CI`: `.ci/run` installs it).
    pub fn has_caddy(&self) -> bool {
        if self.caddy.is_some() {
            return true;
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "caddy is missing but CI is set"
        );
        eprintln!("skipped: caddy is not installed (CI would fail here)");
        false
    }
}

/// The programs, or `None` with a printed note; under `CI` a missing
/// program fails the test instead (`.ci/run` installs them).
pub fn programs() -> Option<Programs> {
    let found = (
        find("chromium", &["/usr/bin/chromium"]),
        find("chromedriver", &["/usr/bin/chromedriver"]),
        find("nginx", &["/usr/sbin/nginx", "/usr/bin/nginx"]),
        find("openssl", &["/usr/bin/openssl"]),
    );
    if let (Some(chromium), Some(chromedriver), Some(nginx), Some(openssl)) = &found {
        return Some(Programs {
            chromium: chromium.clone(),
            chromedriver: chromedriver.clone(),
            nginx: nginx.clone(),
            openssl: openssl.clone(),
            caddy: find("caddy", &["/usr/bin/caddy"]),
        });
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "chromium, chromedriver, nginx or openssl is missing but CI is set: {found:?}"
    );
    eprintln!(
        "skipped: chromium, chromedriver, nginx or openssl is not installed (CI would fail here)"
    );
    None
}

/// A child process killed (and reaped) when dropped, even on a failure;
/// with `group`, its whole process group (chromedriver's chromium).
struct Killed(Child, bool);

impl Drop for Killed {
    fn drop(&mut self) {
        if self.1 {
            let group = format!("-{}", self.0.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn wait_for_port(port: u16, child: &mut Child, what: &str, log: &Path) {
    for _ in 0..1000 {
        if let Some(status) = child.try_wait().unwrap() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("{what} exited with {status}: {log}");
        }
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what} never listened on port {port}");
}

/// Everything running, and the browser.
pub struct Rig {
    pub app: TestApp,
    pub browser: Client,
    /// The port nginx serves every host on.
    pub port: u16,
    _proxy: Killed,
    _driver: Killed,
    _dir: tempfile::TempDir,
}

impl Rig {
    /// Starts it all: guestlist (with `testadmin`), nginx, the upstream,
    /// chromedriver and a chromium session.
    pub async fn start(programs: &Programs, proxy: Proxy) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let app = spawn_with_admin_and(|config| {
            config.cookie_domain = Some(DOMAIN.into());
            config.portal_url = Some(format!("https://auth.{DOMAIN}:{port}"));
            config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .await;
        certificate(&programs.openssl, dir.path());
        let upstream = spawn_upstream().await;
        let proxy = match (proxy, &programs.caddy) {
            (Proxy::Caddy, Some(caddy)) => {
                start_caddy(caddy, dir.path(), port, app.addr, upstream).await
            }
            _ => start_nginx(&programs.nginx, dir.path(), port, app.addr, upstream).await,
        };
        let (driver, webdriver) = start_driver(&programs.chromedriver, dir.path()).await;
        let browser = connect(&webdriver, &programs.chromium).await;
        Rig {
            app,
            browser,
            port,
            _proxy: proxy,
            _driver: driver,
            _dir: dir,
        }
    }

    /// `https://{host}.guestlist.test:{port}{path}`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}.{DOMAIN}:{}{path}", self.port)
    }

    /// The evil page on another site (`evil.test`).
    pub fn other_site(&self, path: &str) -> String {
        format!("https://evil.test:{}{path}", self.port)
    }

    /// Opens `url` in the browser.
    pub async fn open(&self, url: &str) {
        self.browser.goto(url).await.unwrap();
    }

    /// The browser's address, as text.
    pub async fn at(&self) -> String {
        self.browser.current_url().await.unwrap().to_string()
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        let body = self.browser.find(Locator::Css("body")).await.unwrap();
        body.text().await.unwrap()
    }

    /// Fills the sign-in form on the current page and submits it.
    pub async fn sign_in(&self, username: &str, password: &str, device: Option<&str>) {
        let b = &self.browser;
        let field = |id: &'static str| async move { b.find(Locator::Id(id)).await.unwrap() };
        field("username").await.clear().await.unwrap();
        field("username").await.send_keys(username).await.unwrap();
        field("password").await.send_keys(password).await.unwrap();
        if let Some(device) = device {
            field("device").await.send_keys(device).await.unwrap();
        }
        self.click("form[action='/login'] button[type='submit']")
            .await;
    }

    /// Clicks the element `css` selects, which submits a form: returns
    /// once the next page has loaded.
    pub async fn click(&self, css: &str) {
        let element = self.browser.find(Locator::Css(css)).await;
        let element = element.unwrap_or_else(|e| panic!("{css}: {e}"));
        self.submit_with(element).await;
    }

    /// Clicks `element`, then waits for the page it was on to go away (its
    /// root goes stale) and the next one to load: a click on a submit
    /// button returns before the browser has navigated.
    pub async fn submit_with(&self, element: fantoccini::elements::Element) {
        let root = self.browser.find(Locator::Css("html")).await.unwrap();
        element.click().await.unwrap();
        for _ in 0..500 {
            if root.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let ready = self
            .browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("body"))
            .await;
        ready.expect("the next page loads");
    }

    /// Saves a screenshot as `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.browser.screenshot().await.unwrap();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Closes the browser session (chromedriver dies with the rig).
    pub async fn finish(self) {
        let Rig { browser, .. } = self;
        let _ = browser.close().await;
    }
}

/// A self-signed certificate for every test host, valid one day.
fn certificate(openssl: &Path, dir: &Path) {
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

async fn start_nginx(
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

async fn start_caddy(
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

async fn start_driver(binary: &Path, dir: &Path) -> (Killed, String) {
    let port = free_port();
    let log = dir.join("chromedriver.log");
    // Its own process group: the browsers it starts die with it.
    let child = Command::new(binary)
        .process_group(0)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let mut driver = Killed(child, true);
    wait_for_port(port, &mut driver.0, "chromedriver", &log).await;
    (driver, format!("http://127.0.0.1:{port}"))
}

/// A headless chromium session that resolves the test hosts to this
/// machine and accepts the throwaway certificate.
async fn connect(webdriver: &str, chromium: &Path) -> Client {
    let rules = format!("MAP *.{DOMAIN} 127.0.0.1, MAP evil.test 127.0.0.1");
    let args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--ignore-certificate-errors",
        "--no-first-run",
        "--window-size=1280,900",
        &format!("--host-resolver-rules={rules}"),
    ];
    let options = serde_json::json!({ "binary": chromium, "args": args });
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), "chrome".into());
    capabilities.insert("acceptInsecureCerts".into(), true.into());
    capabilities.insert("goog:chromeOptions".into(), options);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .expect("chromium starts under chromedriver")
}

/// An upstream app that shows the X-Guestlist-User nginx gave it.
async fn spawn_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream));
        }
    });
    addr
}

async fn answer(mut stream: TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let user = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("x-guestlist-user"))
        .map_or("", |(_, value)| value.trim());
    // Usernames are plain by the rules; the page escapes nothing else.
    let body =
        format!("<!doctype html><title>app</title><p id=who>upstream reached by [{user}]</p>");
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
}
