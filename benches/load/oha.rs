//! Open-loop runs with `oha` for target 5 of `benches/load.rs`: a fixed
//! request rate, latencies corrected for coordinated omission (each one
//! measured from when its request was due, not from when it was sent).

use std::process::Command;

/// One fixed-rate run's figures.
#[derive(Debug, Clone, Copy)]
pub struct OpenLoop {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub not_ok: u64,
}

pub fn installed() -> bool {
    Command::new("oha").arg("--version").output().is_ok()
}

/// `oha -q rate --latency-correction` on `url` for `secs` seconds over 64
/// connections.
pub fn fixed_rate(url: &str, rate: f64, secs: u64, header: Option<&str>) -> OpenLoop {
    let mut cmd = Command::new("oha");
    cmd.args([
        "-c",
        "64",
        "-z",
        &format!("{secs}s"),
        "-q",
        &format!("{rate:.0}"),
    ])
    .args([
        "--latency-correction",
        "--no-tui",
        "--output-format",
        "json",
    ]);
    if let Some(header) = header {
        cmd.args(["-H", header]);
    }
    let out = cmd.arg(url).output().expect("oha runs");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("oha prints its JSON report");
    let seconds = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN) * 1e3;
    let not_ok = report["statusCodeDistribution"]
        .as_object()
        .map(|codes| {
            codes
                .iter()
                .filter(|(code, _)| code.as_str() != "200")
                .map(|(_, n)| n.as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0);
    OpenLoop {
        rps: report["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0),
        p50_ms: seconds(&report["latencyPercentiles"]["p50"]),
        p99_ms: seconds(&report["latencyPercentiles"]["p99"]),
        not_ok,
    }
}
