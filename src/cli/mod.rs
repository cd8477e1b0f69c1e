//! The command line: `serve` (the default), `reset-db`, `create-admin`.
//! Every option is also an environment variable; flags win. Exit codes:
//! 0 success, 2 bad usage, 1 anything else, with one line on stderr.

mod admin;
mod checked;
mod offline;
mod roles;
mod tokens;
mod transfer;
mod users;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, LogFormat, TokenLimit, defaults, parse_duration as parse_ttl};

#[derive(Parser)]
#[command(
    name = "guestlist",
    version,
    about = "An auth server with a guest list of live tokens"
)]
pub struct Cli {
    #[command(flatten)]
    options: Options,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct Options {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, env = "GUESTLIST_LISTEN", default_value = defaults::LISTEN, global = true)]
    listen: SocketAddr,
    /// Folder of the database and the generated secret
    #[arg(long, env = "GUESTLIST_DATA_DIR", default_value = defaults::DATA_DIR, global = true)]
    data_dir: PathBuf,
    /// Token lifetime: 90s, 15m, 48h, 30d
    #[arg(long, env = "GUESTLIST_TOKEN_TTL", default_value = defaults::TOKEN_TTL, value_parser = parse_ttl, global = true)]
    token_ttl: Duration,
    /// bcrypt work factor, 4 to 31
    #[arg(long, env = "GUESTLIST_BCRYPT_COST", default_value_t = defaults::BCRYPT_COST,
          value_parser = clap::value_parser!(u32).range(4..=31), global = true)]
    bcrypt_cost: u32,
    /// Tokens kept in memory
    #[arg(long, env = "GUESTLIST_CACHE_CAPACITY", default_value_t = defaults::CACHE_CAPACITY,
          value_parser = clap::value_parser!(u64).range(1..), global = true)]
    cache_capacity: u64,
    /// A proxy (IP or CIDR) whose X-Forwarded-For / Forwarded is believed; repeatable
    #[arg(long = "trusted-proxy", env = "GUESTLIST_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = parse_cidr, global = true)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Write last-used times at most once per this interval
    #[arg(long, env = "GUESTLIST_LAST_USED_FLUSH", default_value = defaults::LAST_USED_FLUSH, value_parser = parse_ttl, global = true)]
    last_used_flush: Duration,
    /// Live tokens per user at most
    #[arg(long, env = "GUESTLIST_MAX_TOKENS_PER_USER", default_value_t = defaults::MAX_TOKENS_PER_USER,
          value_parser = clap::value_parser!(u64).range(1..=100_000), global = true)]
    max_tokens_per_user: u64,
    /// At the cap: evict the least recently used token, or reject the login (409)
    #[arg(long, env = "GUESTLIST_ON_TOKEN_LIMIT", value_enum, default_value_t = TokenLimit::default(), global = true)]
    on_token_limit: TokenLimit,
    /// A token unused for this long dies (off by default)
    #[arg(long, env = "GUESTLIST_TOKEN_IDLE_TTL", value_parser = parse_ttl, global = true)]
    token_idle_ttl: Option<Duration>,
    /// A browser origin allowed by CORS; repeatable (CORS is off without one)
    #[arg(long = "cors-origin", env = "GUESTLIST_CORS_ORIGINS", value_delimiter = ',',
          value_parser = parse_origin, global = true)]
    cors_origins: Vec<String>,
    /// Logins of one client address in flight at once, then 429
    #[arg(long, env = "GUESTLIST_MAX_LOGINS_IN_FLIGHT_PER_ADDRESS",
          default_value_t = defaults::MAX_LOGINS_IN_FLIGHT_PER_ADDRESS,
          value_parser = clap::value_parser!(u32).range(1..), global = true)]
    max_logins_in_flight_per_address: u32,
    /// Logins to one account in flight at once from devices new to it, then 429
    #[arg(long, env = "GUESTLIST_MAX_LOGINS_IN_FLIGHT_PER_ACCOUNT",
          default_value_t = defaults::MAX_LOGINS_IN_FLIGHT_PER_ACCOUNT,
          value_parser = clap::value_parser!(u32).range(1..), global = true)]
    max_logins_in_flight_per_account: u32,
    /// Window of the failed-login limits: 1h, 15m
    #[arg(long, env = "GUESTLIST_LOGIN_FAILURE_WINDOW", default_value = defaults::LOGIN_FAILURE_WINDOW, value_parser = parse_ttl, global = true)]
    login_failure_window: Duration,
    /// Failed logins per account per window, then 429 (known devices exempt)
    #[arg(
        long,
        env = "GUESTLIST_MAX_LOGIN_FAILURES_PER_ACCOUNT",
        default_value_t = defaults::MAX_LOGIN_FAILURES_PER_ACCOUNT,
        global = true
    )]
    max_login_failures_per_account: u32,
    /// Failed logins per client address per window, over all accounts
    #[arg(
        long,
        env = "GUESTLIST_MAX_LOGIN_FAILURES_PER_ADDRESS",
        default_value_t = defaults::MAX_LOGIN_FAILURES_PER_ADDRESS,
        global = true
    )]
    max_login_failures_per_address: u32,
    /// Failed logins per account and address per quarter window
    #[arg(
        long,
        env = "GUESTLIST_MAX_LOGIN_FAILURES_PER_DEVICE",
        default_value_t = defaults::MAX_LOGIN_FAILURES_PER_DEVICE,
        global = true
    )]
    max_login_failures_per_device: u32,
    /// Where the guest list lives: "embedded" (the data folder) or a Redis
    /// URL shared by several nodes: redis://[user:password@]host:port/db,
    /// rediss://... (TLS, the system's roots) or redis+unix:///path
    #[arg(long, env = "GUESTLIST_STORE", default_value = defaults::STORE, global = true)]
    store: String,
    /// Prefix of every key in a shared Redis (several deployments in one)
    #[arg(long, env = "GUESTLIST_REDIS_PREFIX", default_value = defaults::REDIS_PREFIX, global = true)]
    redis_prefix: String,
    /// With Redis: how long a node trusts its cache without news of the others
    #[arg(long, env = "GUESTLIST_MAX_STALENESS", default_value = defaults::MAX_STALENESS,
          value_parser = crate::config::parse_staleness, global = true)]
    max_staleness: Duration,
    /// With Redis: start even though it may lose acknowledged revocations
    #[arg(long, env = "GUESTLIST_ACCEPT_WEAK_DURABILITY", global = true,
          value_parser = clap::builder::BoolishValueParser::new())]
    accept_weak_durability: bool,
    /// Share the portal's session cookie with this domain and its subdomains
    #[arg(long, env = "GUESTLIST_COOKIE_DOMAIN", value_parser = crate::config::parse_host, global = true)]
    cookie_domain: Option<String>,
    /// A host the portal may send browsers back to after sign-in; repeatable
    #[arg(long = "allowed-redirect", env = "GUESTLIST_ALLOWED_REDIRECTS", value_delimiter = ',',
          value_parser = crate::config::parse_host, global = true)]
    allowed_redirects: Vec<String>,
    /// Public URL of the sign-in portal, e.g. https://auth.example.com
    #[arg(long, env = "GUESTLIST_PORTAL_URL", value_parser = crate::config::parse_portal_url, global = true)]
    portal_url: Option<String>,
    /// Portal cookies without Secure, plain-http return URLs (local testing only)
    #[arg(long, env = "GUESTLIST_INSECURE_COOKIES", global = true,
          value_parser = clap::builder::BoolishValueParser::new())]
    insecure_cookies: bool,
    /// Log format on stderr
    #[arg(long, env = "GUESTLIST_LOG_FORMAT", value_enum, default_value_t = LogFormat::default(), global = true)]
    log_format: LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default)
    Serve,
    /// Delete all users, roles and tokens
    ResetDb {
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Make USERNAME an admin, creating the user if missing
    CreateAdmin {
        username: String,
        email: String,
        /// Read from the terminal or stdin when left out
        password: Option<String>,
    },
    /// Manage users offline (see docs/cli.md)
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Manage roles offline
    #[command(subcommand)]
    Roles(roles::RolesCommand),
    /// Manage tokens offline
    #[command(subcommand)]
    Tokens(tokens::TokensCommand),
    /// Write users, roles and live tokens as JSON lines to FILE or stdout
    Export { file: Option<PathBuf> },
    /// Load an export into an empty data folder
    Import { file: PathBuf },
    /// Checksum every page of the database (offline; exit 1 if damaged)
    Check,
    /// Give the database's free pages back to the disk (offline)
    Compact,
}

/// A failure with its exit code and its one line.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    pub fn other(message: impl std::fmt::Display) -> Failure {
        Failure {
            code: 1,
            message: message.to_string(),
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(err: crate::store::StoreError) -> Failure {
        Failure::other(err)
    }
}

/// For use cases whose refusals need no subject in their line.
impl From<crate::usecases::Error> for Failure {
    fn from(err: crate::usecases::Error) -> Failure {
        offline::refused(err, "")
    }
}

/// `--store`: the embedded database, or the settings of a shared Redis.
fn shared_store(
    url: &str,
    prefix: String,
    accept_weak_durability: bool,
) -> Result<Option<crate::store::SharedSettings>, Failure> {
    let url = url.trim();
    if url.is_empty() || url == defaults::STORE {
        return Ok(None);
    }
    let redis = ["redis://", "rediss://", "redis+unix://", "unix://"];
    if !redis.iter().any(|scheme| url.starts_with(scheme)) {
        return Err(Failure::usage(
            "--store must be \"embedded\" or a redis://, rediss:// or redis+unix:// URL",
        ));
    }
    Ok(Some(crate::store::SharedSettings {
        url: url.to_owned(),
        prefix,
        accept_weak_durability,
    }))
}

fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    if crate::config::origin_ok(text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not an origin like https://app.example.com"
        ))
    }
}

fn parse_cidr(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is not an IP address or CIDR"))
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("guestlist: error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// `--help` and `--version` print as clap does; a usage error is one line.
fn usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let rendered = err.render().to_string();
    let first = rendered.lines().next().unwrap_or("bad usage");
    let reason = first.trim_start_matches("error: ");
    eprintln!("guestlist: error: {reason} (see guestlist --help)");
    ExitCode::from(2)
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    crate::telemetry::init(cli.options.log_format);
    let config = cli.options.into_config()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::ResetDb { yes } => admin::reset_db(&config, yes),
        Command::CreateAdmin {
            username,
            email,
            password,
        } => admin::create_admin(&config, &username, &email, password),
        Command::Users(command) => users::run(&config, command),
        Command::Roles(command) => roles::run(&config, command),
        Command::Tokens(command) => tokens::run(&config, command),
        Command::Export { file } => transfer::export(&config, file.as_deref()),
        Command::Import { file } => transfer::import(&config, &file),
        Command::Check => admin::check(&config),
        Command::Compact => admin::compact(&config),
    }
}

impl Options {
    fn into_config(self) -> Result<Config, Failure> {
        let mut config = Config::new(self.data_dir);
        config.listen = self.listen;
        config.token_ttl = self.token_ttl;
        config.bcrypt_cost = self.bcrypt_cost;
        config.cache_capacity = self.cache_capacity;
        config.trusted_proxies = self.trusted_proxies;
        config.last_used_flush = self.last_used_flush;
        config.max_tokens_per_user = self.max_tokens_per_user as usize;
        config.on_token_limit = self.on_token_limit;
        config.token_idle_ttl = self.token_idle_ttl;
        config.cors_origins = self.cors_origins;
        config.max_logins_in_flight_per_address = self.max_logins_in_flight_per_address;
        config.max_logins_in_flight_per_account = self.max_logins_in_flight_per_account;
        config.login_failure_window = self.login_failure_window;
        config.max_login_failures_per_account = self.max_login_failures_per_account;
        config.max_login_failures_per_address = self.max_login_failures_per_address;
        config.max_login_failures_per_device = self.max_login_failures_per_device;
        config.cookie_domain = self.cookie_domain;
        config.allowed_redirects = self.allowed_redirects;
        config.portal_url = self.portal_url;
        config.insecure_cookies = self.insecure_cookies;
        if let Some(idle) = config.token_idle_ttl {
            if idle < config.last_used_flush * 2 {
                return Err(Failure::usage(
                    "--token-idle-ttl must be at least twice --last-used-flush",
                ));
            }
        }
        if let Some(secret) = std::env::var_os("GUESTLIST_SECRET") {
            use std::os::unix::ffi::OsStringExt;
            config.secret = Some(secret.into_vec());
        }
        config.max_staleness = self.max_staleness;
        config.shared = shared_store(&self.store, self.redis_prefix, self.accept_weak_durability)?;
        Ok(config)
    }
}

fn serve(config: Config) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::other(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let state = crate::AppState::open(&config)
            .await
            .map_err(Failure::other)?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| Failure::other(format!("cannot listen on {}: {e}", config.listen)))?;
        let bound = listener.local_addr().map_err(Failure::other)?;
        let stop = crate::server::shutdown_signal();
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "listening on http://{bound}");
        let _ = stdout.flush();
        tracing::info!(%bound, data_dir = %config.data_dir.display(), "serving");
        crate::run(listener, state, stop).await;
        tracing::info!("stopped");
        Ok(())
    })
}
