//! The built `guestlist` binary: a command on a data folder, a command run
//! to its end, and a server on a free port (stopped with SIGTERM, killed
//! when dropped).

use std::io::{BufRead, BufReader, Read};
use std::ops::Deref;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::client::Api;

pub const BIN: &str = env!("CARGO_BIN_EXE_guestlist");

/// Long enough for any machine; only there so a hang fails instead of
/// blocking the suite. Never a speed assertion.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// The binary with an empty environment but for `PATH`.
pub fn bare_command() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The binary with a clean environment, on `dir`, bcrypt cost 4.
pub fn guestlist(dir: &Path) -> Command {
    let mut command = bare_command();
    command
        .arg("--data-dir")
        .arg(dir)
        .args(["--bcrypt-cost", "4"]);
    command
}

/// Runs a command that must end on its own (within `HANG_GUARD`); answers
/// its output.
pub fn finish(command: &mut Command) -> Output {
    let child = command.spawn().expect("the binary runs");
    let pid = child.id();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    match receiver.recv_timeout(HANG_GUARD) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("the command did not end on its own");
        }
    }
}

/// A refusal: `code`, exactly one line on stderr, nothing on stdout.
pub fn assert_refused(output: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.trim().len() > 10, "a reason: {stderr:?}");
    assert!(
        output.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}

/// A running binary server; its endpoints are the methods of [`Api`].
pub struct Server {
    child: Child,
    api: Api,
    /// What the server wrote to stdout after its first line, at its end.
    rest: Option<JoinHandle<String>>,
    pub stderr: Arc<Mutex<String>>,
}

impl Deref for Server {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Server {
    /// `guestlist --listen 127.0.0.1:0` (the default command, `serve`).
    pub fn start(dir: &Path) -> Server {
        Server::start_with(guestlist(dir).args(["--listen", "127.0.0.1:0"]))
    }

    /// `guestlist --listen 127.0.0.1:0 serve`.
    pub fn serve(dir: &Path) -> Server {
        Server::start_with(guestlist(dir).args(["--listen", "127.0.0.1:0", "serve"]))
    }

    /// Starts `command` and reads its first line, `listening on http://ADDR`.
    pub fn start_with(command: &mut Command) -> Server {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (first, line) = mpsc::channel();
        let rest = std::thread::spawn(move || {
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let _ = first.send(line);
            let mut rest = String::new();
            let _ = stdout.read_to_string(&mut rest);
            rest
        });
        let line = line.recv_timeout(HANG_GUARD).expect("the listening line");
        let address = line
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.strip_suffix('\n'))
            .unwrap_or_else(|| panic!("{line:?}; stderr: {}", stderr.lock().unwrap()));
        Server {
            child,
            api: Api::new(format!("http://{address}")),
            rest: Some(rest),
            stderr,
        }
    }

    /// SIGTERM, then expects exit 0 and nothing more on stdout.
    pub fn stop(mut self) {
        self.terminate();
        let status = self
            .wait_within(HANG_GUARD)
            .expect("the server stops on SIGTERM");
        let stderr = self.stderr.lock().unwrap().clone();
        use std::os::unix::process::ExitStatusExt;
        let signal = status.signal();
        assert_eq!(
            status.code(),
            Some(0),
            "killed by signal {signal:?}; stderr: {stderr}"
        );
        let rest = self.rest.take().unwrap().join().unwrap();
        assert_eq!(rest, "", "exactly one line on stdout");
    }

    /// `kill -9`, and waits for the end.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM.
    pub fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    }

    /// Waits for the end; past `bound`, kills with -9 and answers `None`.
    pub fn wait_within(&mut self, bound: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < bound {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only when a test failed before `stop`: do not leave it running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
