//! Settings of a running server, already validated. Built from the command
//! line in `cli`, or directly by tests and benches.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The documented defaults, written once: the command line shows and uses
/// them, and [`Config::new`] starts from them. Durations are written as the
/// command line takes them.
pub mod defaults {
    pub const LISTEN: &str = "127.0.0.1:3030";
    pub const DATA_DIR: &str = "./data";
    pub const TOKEN_TTL: &str = "48h";
    pub const BCRYPT_COST: u32 = 12;
    /// Tokens kept in memory: about 30 MB when full, fine for a small box.
    pub const CACHE_CAPACITY: u64 = 100_000;
    pub const LAST_USED_FLUSH: &str = "60s";
    pub const MAX_TOKENS_PER_USER: u64 = 100;
    pub const LOGIN_FAILURE_WINDOW: &str = "1h";
    pub const MAX_LOGIN_FAILURES_PER_ACCOUNT: u32 = 100;
    pub const MAX_LOGIN_FAILURES_PER_ADDRESS: u32 = 1000;
    pub const MAX_LOGIN_FAILURES_PER_DEVICE: u32 = 10;
    /// One login at a time per address and per account: a flood from one
    /// address, or against one account, then holds one bcrypt slot or
    /// place in its queue at most (see `door`).
    pub const MAX_LOGINS_IN_FLIGHT_PER_ADDRESS: u32 = 1;
    pub const MAX_LOGINS_IN_FLIGHT_PER_ACCOUNT: u32 = 1;
    /// Where the guest list lives: the embedded database in the data folder.
    pub const STORE: &str = "embedded";
    /// Prefix of every key in a shared Redis.
    pub const REDIS_PREFIX: &str = "guestlist:";
    /// How long a node trusts its cache without hearing from the others.
    pub const MAX_STALENESS: &str = "500ms";
}

/// A staleness bound: between 50 ms and 60 s.
pub fn parse_staleness(text: &str) -> Result<Duration, String> {
    let bound = humantime::parse_duration(text.trim()).map_err(|e| e.to_string())?;
    if bound < Duration::from_millis(50) || bound > Duration::from_secs(60) {
        return Err("must be between 50ms and 60s".into());
    }
    Ok(bound)
}

/// A duration as the command line writes it ("48h", "60s").
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let ttl = humantime::parse_duration(text.trim()).map_err(|e| e.to_string())?;
    if ttl < Duration::from_secs(1) || ttl > Duration::from_secs(10 * 365 * 86400) {
        return Err("must be between 1s and 10 years".into());
    }
    Ok(ttl)
}

/// A default of [`defaults`], which a unit test proves parses.
fn default_duration(text: &str) -> Duration {
    parse_duration(text).unwrap_or(Duration::from_secs(60))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// What a login does when the user already has the maximum of live tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TokenLimit {
    /// Revoke the user's least recently used token.
    #[default]
    Evict,
    /// Refuse the login with 409.
    Reject,
}

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub token_ttl: Duration,
    pub bcrypt_cost: u32,
    pub cache_capacity: u64,
    /// From `GUESTLIST_SECRET`; without it the data folder's secret file.
    pub secret: Option<Vec<u8>>,
    /// bcrypt computations at once.
    pub login_slots: usize,
    /// Logins and sign-ups waiting for a slot before new ones get 503.
    pub login_queue: usize,
    /// Logins of one client address between the door and their answer.
    pub max_logins_in_flight_per_address: u32,
    /// Logins to one account in flight, from devices new to it.
    pub max_logins_in_flight_per_account: u32,
    /// A connection that has not sent a full request head by then is closed.
    pub header_timeout: Duration,
    /// Open connections at most; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Last-used times are written at most once per this interval.
    pub last_used_flush: Duration,
    /// How often expired token entries are purged.
    pub purge_interval: Duration,
    /// Live tokens per user at most.
    pub max_tokens_per_user: usize,
    pub on_token_limit: TokenLimit,
    /// A token unused for this long dies; `None` for no idle limit.
    pub token_idle_ttl: Option<Duration>,
    /// Browser origins allowed by CORS; empty turns CORS off.
    pub cors_origins: Vec<String>,
    /// Window of the failed-login counters (see `throttle`).
    pub login_failure_window: Duration,
    /// Failed logins per account per window, from unknown devices.
    pub max_login_failures_per_account: u32,
    /// Failed logins per client address per window, over all accounts.
    pub max_login_failures_per_address: u32,
    /// Failed logins per (account, address) per quarter window.
    pub max_login_failures_per_device: u32,
    /// A shared store (Redis) instead of the embedded database.
    pub shared: Option<crate::store::SharedSettings>,
    /// With a shared store: how long the cache is trusted without news.
    pub max_staleness: Duration,
    /// The sign-in portal's session cookie is shared with this domain and
    /// its subdomains; `None` keeps it host-only (`__Host-` prefix).
    pub cookie_domain: Option<String>,
    /// Hosts the portal may send a browser back to, besides the cookie
    /// domain and its subdomains.
    pub allowed_redirects: Vec<String>,
    /// Where browsers reach the portal (`https://auth.example.com`), for
    /// the redirects of `/api/v1/verify`; `None`: `/login` on the same host.
    pub portal_url: Option<String>,
    /// Cookies without `Secure` and plain-http return URLs: local testing only.
    pub insecure_cookies: bool,
}

impl Config {
    /// The documented defaults, with the database in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Config {
            listen: defaults::LISTEN
                .parse()
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 3030))),
            data_dir: data_dir.into(),
            token_ttl: default_duration(defaults::TOKEN_TTL),
            bcrypt_cost: defaults::BCRYPT_COST,
            cache_capacity: defaults::CACHE_CAPACITY,
            secret: None,
            // Leave a core to the protected routes when there is more than one.
            login_slots: cores.saturating_sub(1).max(1),
            login_queue: 4 * cores,
            max_logins_in_flight_per_address: defaults::MAX_LOGINS_IN_FLIGHT_PER_ADDRESS,
            max_logins_in_flight_per_account: defaults::MAX_LOGINS_IN_FLIGHT_PER_ACCOUNT,
            header_timeout: Duration::from_secs(5),
            max_connections: 1000,
            shutdown_grace: Duration::from_secs(10),
            trusted_proxies: Vec::new(),
            last_used_flush: default_duration(defaults::LAST_USED_FLUSH),
            purge_interval: Duration::from_secs(60),
            max_tokens_per_user: defaults::MAX_TOKENS_PER_USER as usize,
            on_token_limit: TokenLimit::default(),
            token_idle_ttl: None,
            cors_origins: Vec::new(),
            login_failure_window: default_duration(defaults::LOGIN_FAILURE_WINDOW),
            max_login_failures_per_account: defaults::MAX_LOGIN_FAILURES_PER_ACCOUNT,
            max_login_failures_per_address: defaults::MAX_LOGIN_FAILURES_PER_ADDRESS,
            max_login_failures_per_device: defaults::MAX_LOGIN_FAILURES_PER_DEVICE,
            shared: None,
            max_staleness: parse_staleness(defaults::MAX_STALENESS)
                .unwrap_or(Duration::from_millis(500)),
            cookie_domain: None,
            allowed_redirects: Vec::new(),
            portal_url: None,
            insecure_cookies: false,
        }
    }

    /// Fast settings for tests: bcrypt cost 4.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            bcrypt_cost: 4,
            ..Config::new(data_dir)
        }
    }
}

impl Config {
    /// The idle limit in whole seconds (at least one), if any.
    pub fn idle_secs(&self) -> Option<u64> {
        self.token_idle_ttl.map(|d| d.as_secs().max(1))
    }
}

/// Whether `origin` is a browser origin warp's CORS accepts:
/// `http(s)://host[:port]`, nothing after.
pub fn origin_ok(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

/// A host name as `--cookie-domain` and `--allowed-redirect` take it:
/// lowercase letters, digits, `-` and `.`, without a leading dot.
pub fn parse_host(text: &str) -> Result<String, String> {
    let host = text.trim().trim_start_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-');
    let chars_ok = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
    if host.len() > 253 || !chars_ok || !host.split('.').all(label_ok) {
        return Err(format!("{text:?} is not a host name like example.com"));
    }
    Ok(host)
}

/// The portal's public URL, `http(s)://host[:port][/path]`, kept without
/// a trailing slash so paths can be appended.
pub fn parse_portal_url(text: &str) -> Result<String, String> {
    let refused = || format!("{text:?} is not a URL like https://auth.example.com");
    let url = url::Url::parse(text.trim()).map_err(|_| refused())?;
    let plain = url.username().is_empty() && url.password().is_none();
    let bare = url.query().is_none() && url.fragment().is_none();
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() || !plain || !bare {
        return Err(refused());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_parses() {
        assert!(defaults::LISTEN.parse::<SocketAddr>().is_ok());
        assert!(parse_staleness(defaults::MAX_STALENESS).is_ok());
        for text in [
            defaults::TOKEN_TTL,
            defaults::LAST_USED_FLUSH,
            defaults::LOGIN_FAILURE_WINDOW,
        ] {
            assert!(parse_duration(text).is_ok(), "{text}");
        }
        let config = Config::new("x");
        assert_eq!(config.token_ttl, Duration::from_secs(48 * 3600));
        assert_eq!(config.listen.port(), 3030);
    }

    #[test]
    fn hosts_and_portal_urls() {
        assert_eq!(parse_host(".Example.COM").unwrap(), "example.com");
        for bad in ["", "a..b", "-a.b", "a b", "a/b", "a_b.c"] {
            assert!(parse_host(bad).is_err(), "{bad}");
        }
        let url = parse_portal_url("https://auth.example.com/").unwrap();
        assert_eq!(url, "https://auth.example.com");
        for bad in ["auth.example.com", "ftp://x", "https://u@x", "https://x/?a"] {
            assert!(parse_portal_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins() {
        assert!(super::origin_ok("https://app.example.com"));
        assert!(super::origin_ok("http://127.0.0.1:8080"));
        for bad in [
            "",
            "app.example.com",
            "ftp://x",
            "https://",
            "https://x/path",
            "https://x y",
        ] {
            assert!(!super::origin_ok(bad), "{bad}");
        }
    }
}
