//! Settings of a running server, already validated. Built from the command
//! line in `cli`, or directly by tests and benches.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Default token cache size: about 30 MB when full, fine for a small box.
pub const DEFAULT_CACHE_CAPACITY: u64 = 100_000;

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
}

impl Config {
    /// The documented defaults, with the database in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 3030)),
            data_dir: data_dir.into(),
            token_ttl: Duration::from_secs(48 * 3600),
            bcrypt_cost: 12,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            secret: None,
            // Leave a core to the protected routes when there is more than one.
            login_slots: cores.saturating_sub(1).max(1),
            login_queue: 4 * cores,
            header_timeout: Duration::from_secs(5),
            max_connections: 1000,
            shutdown_grace: Duration::from_secs(10),
            trusted_proxies: Vec::new(),
            last_used_flush: Duration::from_secs(60),
            purge_interval: Duration::from_secs(60),
            max_tokens_per_user: 100,
            on_token_limit: TokenLimit::Evict,
            token_idle_ttl: None,
            cors_origins: Vec::new(),
            login_failure_window: Duration::from_secs(3600),
            max_login_failures_per_account: 100,
            max_login_failures_per_address: 1000,
            max_login_failures_per_device: 10,
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

#[cfg(test)]
mod tests {
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
