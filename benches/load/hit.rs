//! The hit path against the floor: issue 14's target 1 (`/need_login` and
//! `/api/v1/verify` with a cached token, each ≥ 0.95 × the floor) and issue
//! 4's t1 (`/need_login` ≥ 0.90 × guestlist's own `GET /`).
//!
//! Each round runs the four routes once, starting at a different one each
//! round (so none always follows the same neighbour), with the same
//! `Authorization` header on every request so the generator's work is the
//! same for all four. A ratio is taken within a round; the median of the
//! rounds is the figure and the lowest and highest rounds its spread.

use crate::storm::percentile;
use crate::wrk::{Run, wrk};

/// What later targets need from these rounds.
pub struct Hit {
    /// Median req/s of `/need_login` with the cached token.
    pub need_login_rps: f64,
}

struct Route {
    name: &'static str,
    url: String,
    runs: Vec<Run>,
}

/// `floor` and `base` are base URLs; `one` is the `Authorization` header line.
pub fn rounds(floor: &str, base: &str, one: &str, rounds: u64, secs: u64) -> Hit {
    let mut routes = [
        ("floor: bare warp {\"msg\":\"ok\"}", format!("{floor}/")),
        ("GET / (nothing checked)", format!("{base}/")),
        (
            "GET /need_login, cached token",
            format!("{base}/need_login"),
        ),
        (
            "GET /api/v1/verify, cached token",
            format!("{base}/api/v1/verify"),
        ),
    ]
    .map(|(name, url)| Route {
        name,
        url,
        runs: Vec::new(),
    });
    for route in &routes {
        wrk(&route.url, 64, 1, None, Some(one)); // warm-up: connections, cache
    }
    for round in 0..rounds as usize {
        for i in 0..routes.len() {
            let route = &mut routes[(round + i) % 4];
            route.runs.push(wrk(&route.url, 64, secs, None, Some(one)));
        }
    }
    for route in &routes {
        let rps: Vec<f64> = route.runs.iter().map(|r| r.rps).collect();
        let non_2xx: u64 = route.runs.iter().map(|r| r.non_2xx).sum();
        println!(
            "14.1 {:40} median {:>8.0} req/s  rounds {}  non-2xx {non_2xx}",
            route.name,
            median(&rps),
            list(&rps, 0)
        );
    }
    let [floor, hello, need_login, verify] = &routes;
    figure("14.1", "/need_login ÷ floor", need_login, floor, "≥ 0.95");
    figure("14.1", "/api/v1/verify ÷ floor", verify, floor, "≥ 0.95");
    figure("14.1", "GET / ÷ floor (for reference)", hello, floor, "-");
    figure("t1", "/need_login ÷ GET /", need_login, hello, "≥ 0.90");
    let rps: Vec<f64> = need_login.runs.iter().map(|r| r.rps).collect();
    Hit {
        need_login_rps: median(&rps),
    }
}

/// Per-round ratios of `a` to `b`, their median and spread.
fn figure(target: &str, what: &str, a: &Route, b: &Route, goal: &str) {
    let ratios: Vec<f64> = a
        .runs
        .iter()
        .zip(&b.runs)
        .map(|(a, b)| a.rps / b.rps)
        .collect();
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{target:4} RATIO {what}: {:.3} (median of {} rounds; spread {:.3}–{:.3}; rounds {}) (target {goal})",
        median(&ratios),
        ratios.len(),
        sorted[0],
        sorted[sorted.len() - 1],
        list(&ratios, 3)
    );
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, 0.5)
}

fn list(values: &[f64], decimals: usize) -> String {
    let each: Vec<String> = values.iter().map(|v| format!("{v:.decimals$}")).collect();
    each.join(", ")
}
