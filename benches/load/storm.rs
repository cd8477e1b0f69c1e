//! An open-loop login storm for target 4 of `benches/load.rs`: logins sent
//! at a fixed rate whatever the server answers, each latency measured from
//! the moment it was due (so a slow server cannot slow the storm down), and
//! the answers counted by status.

use std::time::{Duration, Instant};

/// What one storm saw.
#[derive(Debug, Default)]
pub struct Storm {
    pub sent: usize,
    pub ok: usize,
    /// Refused at once: 503 (no bcrypt slot) or 429 (a limit).
    pub busy: usize,
    /// Of those, 503.
    pub full: usize,
    pub other: usize,
    /// Latencies of the refusals (the excess logins), milliseconds.
    pub busy_p50_ms: f64,
    pub busy_p99_ms: f64,
    pub busy_max_ms: f64,
    /// Latency of the logins that were served, milliseconds.
    pub ok_p50_ms: f64,
}

/// The value at fraction `p` of `sorted` (NaN when empty).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

/// POSTs `body` to `url` at `rate` per second for `secs` seconds.
pub fn storm(url: &str, body: &str, rate: f64, secs: f64) -> Storm {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answers: Vec<(u16, f64)> = runtime.block_on(async {
        let client = reqwest::Client::new();
        let start = tokio::time::Instant::now();
        let count = (rate * secs) as usize;
        let mut sent = Vec::with_capacity(count);
        for i in 0..count {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            tokio::time::sleep_until(due).await;
            let request = client
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_owned());
            let due = due.into_std();
            sent.push(tokio::spawn(async move {
                let status = match request.send().await {
                    Ok(response) => response.status().as_u16(),
                    Err(_) => 0,
                };
                (status, due.elapsed().as_secs_f64() * 1e3)
            }));
        }
        let mut answers = Vec::with_capacity(count);
        for task in sent {
            answers.push(task.await.unwrap());
        }
        answers
    });
    summarize(&answers)
}

/// Sends `body` to `url` `times` times, one after another: each answer's
/// status and the median seconds per request.
pub fn one_by_one(url: &str, body: &str, times: usize) -> (Vec<u16>, f64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let (mut statuses, mut secs) = (Vec::new(), Vec::new());
        for _ in 0..times {
            let started = Instant::now();
            let response = client
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_owned())
                .send()
                .await
                .expect("the server answers");
            statuses.push(response.status().as_u16());
            secs.push(started.elapsed().as_secs_f64());
        }
        secs.sort_by(f64::total_cmp);
        (statuses, percentile(&secs, 0.5))
    })
}

fn summarize(answers: &[(u16, f64)]) -> Storm {
    let refused = |status: u16| status == 503 || status == 429;
    let mut busy: Vec<f64> = answers
        .iter()
        .filter(|a| refused(a.0))
        .map(|a| a.1)
        .collect();
    let mut ok: Vec<f64> = answers.iter().filter(|a| a.0 == 200).map(|a| a.1).collect();
    busy.sort_by(f64::total_cmp);
    ok.sort_by(f64::total_cmp);
    Storm {
        sent: answers.len(),
        ok: ok.len(),
        busy: busy.len(),
        full: answers.iter().filter(|a| a.0 == 503).count(),
        other: answers.len() - ok.len() - busy.len(),
        busy_p50_ms: percentile(&busy, 0.50),
        busy_p99_ms: percentile(&busy, 0.99),
        busy_max_ms: busy.last().copied().unwrap_or(f64::NAN),
        ok_p50_ms: percentile(&ok, 0.50),
    }
}
