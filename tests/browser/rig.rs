//! What a browser test stands on: guestlist in the test process, a real
//! proxy serving HTTPS (`proxy`: nginx or Caddy, a self-signed certificate
//! made here by `openssl`) for made-up hosts, a small upstream app behind
//! it, and a headless Debian chromium driven over WebDriver by
//! chromedriver. Every process is a child killed on drop.
//!
//! Hosts (chromium maps them to 127.0.0.1 with `--host-resolver-rules`):
//! - `auth.guestlist.test`: the portal (guestlist behind nginx)
//! - `app.guestlist.test`: the protected app (the upstream, through
//!   `auth_request` + `error_page 401 = @login`, the README's snippet)
//! - `evil.guestlist.test` and `evil.test`: pages of an attacker, on a
//!   sibling subdomain (same site) and on another site.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::net::TcpStream;

use crate::common::spawn_upstream;
use crate::common::{TestApp, spawn_with_admin_and};
use crate::proxy::{certificate, start_caddy, start_nginx};

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
pub struct Killed(pub Child, pub bool);

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

pub async fn wait_for_port(port: u16, child: &mut Child, what: &str, log: &Path) {
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
        let upstream = spawn_upstream(true).await;
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
