//! A real `redis-server` for the tests of the shared store: its own folder,
//! a Unix socket (no port to race for), `appendonly yes` with
//! `appendfsync always`, stopped and killed by pid.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use guestlist::Config;
use guestlist::store::SharedSettings;
use tempfile::TempDir;

/// The signing secret every node of a test shares.
pub const SHARED_SECRET: &[u8] = b"a shared secret of the test cluster, 32+ bytes";

pub struct RedisServer {
    child: Option<Child>,
    dir: TempDir,
    fsync: &'static str,
}

/// Where `redis-server` is, if installed; without it the cluster tests are
/// skipped with a note, except under CI, where they must run.
pub fn redis_binary() -> Option<PathBuf> {
    let found = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "redis-server is missing under CI (.ci/run installs it)"
        );
        eprintln!("SKIPPED: redis-server is not installed");
    }
    found
}

/// redis-server's flags for an append-only file fsynced as `fsync` says,
/// and no snapshots.
pub fn append_only(fsync: &'static str) -> [&'static str; 6] {
    ["--appendonly", "yes", "--appendfsync", fsync, "--save", ""]
}

impl RedisServer {
    /// A durable Redis (`appendfsync always`), or `None` when not installed.
    pub fn start() -> Option<RedisServer> {
        RedisServer::start_with("always")
    }

    /// A Redis whose append-only file is fsynced as `fsync` says.
    pub fn start_with(fsync: &'static str) -> Option<RedisServer> {
        redis_binary()?;
        let mut server = RedisServer {
            child: None,
            dir: tempfile::tempdir().unwrap(),
            fsync,
        };
        server.run();
        Some(server)
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    /// Starts the process on the folder (again, after a kill: it reloads
    /// its append-only file) and waits until it answers.
    pub fn run(&mut self) {
        let _ = std::fs::remove_file(self.socket());
        let child = Command::new(redis_binary().expect("redis-server"))
            .args(["--port", "0", "--unixsocket"])
            .arg(self.socket())
            .arg("--dir")
            .arg(self.dir.path())
            .args(append_only(self.fsync))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.command(&["PING"]).as_deref() != Some("PONG") {
            assert!(Instant::now() < deadline, "redis-server never answered");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// `redis-cli` on the socket; the first line of its answer.
    pub fn command(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("redis-cli")
            .arg("-s")
            .arg(self.socket())
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines().next().map(str::to_owned)
    }

    /// Kills the connections whose last command was `command` (the nodes'
    /// stream readers for `xread`); answers how many.
    pub fn kill_clients_running(&self, command: &str) -> usize {
        let out = Command::new("redis-cli")
            .arg("-s")
            .arg(self.socket())
            .args(["CLIENT", "LIST"])
            .output()
            .expect("redis-cli runs");
        let list = String::from_utf8_lossy(&out.stdout).into_owned();
        let wanted = format!(" cmd={command} ");
        let ids: Vec<&str> = list
            .lines()
            .filter(|line| line.contains(&wanted))
            .filter_map(|line| line.strip_prefix("id=")?.split(' ').next())
            .collect();
        for id in &ids {
            self.command(&["CLIENT", "KILL", "ID", id]);
        }
        ids.len()
    }

    fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill").args([name, &pid]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {name} {pid}");
    }

    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// SIGKILL: nothing is flushed beyond what was fsynced.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A new, empty Redis on the same socket (another incarnation).
    pub fn replace_with_empty(&mut self) {
        self.kill();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path).unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
        self.run();
    }

    /// Settings of a node on this Redis, bound `staleness`.
    pub fn node(&self, staleness: Duration) -> impl FnOnce(&mut Config) + use<> {
        let url = self.url();
        move |config: &mut Config| {
            config.shared = Some(SharedSettings {
                url,
                prefix: "test:".into(),
                accept_weak_durability: false,
            });
            config.secret = Some(SHARED_SECRET.to_vec());
            config.max_staleness = staleness;
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.resume();
        }
        self.kill();
    }
}
