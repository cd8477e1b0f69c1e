//! Running wrk and reading its report, for `benches/load.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One wrk run's figures.
#[derive(Debug, Default, Clone, Copy)]
pub struct Run {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
    pub requests: u64,
}

fn to_ms(text: &str) -> f64 {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let n: f64 = n.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        _ => f64::NAN,
    }
}

/// `wrk -t1 -c{conns} --latency` on `url`, with an optional Lua script.
pub fn wrk(url: &str, conns: u32, secs: u64, script: Option<&Path>, header: Option<&str>) -> Run {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t1",
        &format!("-c{conns}"),
        &format!("-d{secs}s"),
        "--latency",
    ]);
    if let Some(script) = script {
        cmd.args(["-s", script.to_str().unwrap()]);
    }
    if let Some(header) = header {
        cmd.args(["-H", header]);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("wrk runs (apt-get install -y wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut run = Run::default();
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => run.p50_ms = to_ms(v),
            ["99%", v] => run.p99_ms = to_ms(v),
            ["Requests/sec:", v] => run.rps = v.parse().unwrap_or(0.0),
            ["Non-2xx", "or", "3xx", "responses:", n] => run.non_2xx = n.parse().unwrap_or(0),
            [n, "requests", "in", ..] => run.requests = n.parse().unwrap_or(0),
            _ => {}
        }
    }
    run
}

pub fn better(a: Run, b: Run) -> Run {
    if b.rps > a.rps { b } else { a }
}

/// A Lua script that sends `method path` with the tokens of `file` in turn.
/// The requests are formatted once, up front: building a new string per
/// request costs wrk (on the same two cores) more for many distinct tokens
/// than for one, which would be charged to the server.
pub fn token_script(dir: &Path, name: &str, file: &Path, method: &str, path: &str) -> PathBuf {
    let script = dir.join(name);
    let lua = format!(
        r#"local requests = {{}}
for line in io.lines("{file}") do
  requests[#requests + 1] = wrk.format("{method}", "{path}", {{ ["Authorization"] = "Bearer " .. line }})
end
local i = 0
request = function()
  i = i + 1
  if i > #requests then i = 1 end
  return requests[i]
end
"#,
        file = file.display()
    );
    std::fs::File::create(&script)
        .unwrap()
        .write_all(lua.as_bytes())
        .unwrap();
    script
}
