//! A data folder of its own for the offline commands, and what a finished
//! command left behind; the binary and its server are in `common::binary`.

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::common::{Server, finish, guestlist};

/// A data folder of its own, removed at the end of the test.
pub struct Data {
    dir: TempDir,
}

/// What a finished command left behind.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Asserts success; answers stdout.
    #[track_caller]
    pub fn ok(self) -> String {
        assert_eq!(self.code, 0, "{self:?}");
        self.stdout
    }

    /// Asserts exit `code` with one line on stderr; answers that line.
    #[track_caller]
    pub fn fails(self, code: i32) -> String {
        assert_eq!(self.code, code, "{self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "{self:?}");
        assert!(self.stderr.starts_with("guestlist: error: "), "{self:?}");
        self.stderr.trim_end().to_owned()
    }
}

impl Data {
    pub fn new() -> Data {
        Data {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Outcome {
        let output = finish(guestlist(self.path()).args(args));
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `--json` output of a command, parsed.
    pub fn json(&self, args: &[&str]) -> Value {
        let text = self.run(args).ok();
        serde_json::from_str(&text).expect("JSON output")
    }

    /// `guestlist serve` on a free port, once it has printed its address.
    pub fn serve(&self) -> Server {
        Server::serve(self.path())
    }
}
