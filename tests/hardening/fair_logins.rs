//! Logins in flight are limited per address and per account, so a flood
//! from one address, or against one account, cannot keep others out: with
//! one bcrypt slot, a login from another address to another account is
//! answered 200 after at most the one bcrypt run the flood has in flight
//! (two runs, its own included). The clients bind to their own loopback
//! source addresses and the server sees those sockets' addresses (no
//! forwarding header, no trusted proxy).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

fn from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from(address))
        .build()
        .unwrap()
}

async fn log_in(
    client: &reqwest::Client,
    app: &TestApp,
    user: &str,
    password: &str,
) -> reqwest::Response {
    let body = json!({ "username": user, "password": password });
    let sent = client.post(app.url("/api/v1/login")).json(&body).send();
    sent.await.expect("the server answers")
}

/// What a flood saw: answers by status, and whether any 429 lacked
/// `Retry-After`.
#[derive(Default)]
struct Seen {
    refused: AtomicU64,
    other: AtomicU64,
    without_retry_after: AtomicU64,
}

/// `connections` tasks from `address` logging in as `user` with `password`
/// as fast as they are answered, until `stop`.
fn flood(
    app: &TestApp,
    address: [u8; 4],
    user: &str,
    password: &str,
    connections: usize,
    stop: &Arc<AtomicBool>,
    seen: &Arc<Seen>,
) {
    let client = from(address);
    for _ in 0..connections {
        let (client, api, stop, seen) = (
            client.clone(),
            app.url("/api/v1/login"),
            stop.clone(),
            seen.clone(),
        );
        let body = json!({ "username": user, "password": password });
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Ok(response) = client.post(&api).json(&body).send().await else {
                    continue;
                };
                if response.status() == StatusCode::TOO_MANY_REQUESTS {
                    seen.refused.fetch_add(1, Ordering::Relaxed);
                    if response.headers().get("retry-after").is_none() {
                        seen.without_retry_after.fetch_add(1, Ordering::Relaxed);
                    }
                } else {
                    seen.other.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
}

/// Five logins of `guest` from 127.0.0.3 during the flood: each 200, each
/// after at most two bcrypt runs finished on the server (the flood's one in
/// flight and its own). bcrypt cost 10 (tens of milliseconds a run) so that
/// the time the guest's request takes to reach the queue on a loaded
/// machine stays well under one run.
async fn guest_gets_in(app: &TestApp, seen: &Seen) {
    let guest = from([127, 0, 0, 3]);
    while seen.refused.load(Ordering::Relaxed) == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for n in 0..5 {
        let before = app.state.guests.password_checks();
        let response = log_in(&guest, app, "guest", &password_of("guest")).await;
        let runs = app.state.guests.password_checks() - before;
        assert_eq!(response.status(), StatusCode::OK, "login {n} of the guest");
        assert!(
            runs <= 2,
            "login {n} of the guest waited for {runs} bcrypt runs"
        );
    }
    assert_eq!(seen.without_retry_after.load(Ordering::Relaxed), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_leaves_room_for_another() {
    let app = spawn_with(|config| {
        config.bcrypt_cost = 10;
        config.login_slots = 1;
    })
    .await;
    app.new_user("flooder").await;
    app.new_user("guest").await;
    let (stop, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(Seen::default()));
    // The right password: every login let through costs a full bcrypt.
    flood(
        &app,
        [127, 0, 0, 2],
        "flooder",
        &password_of("flooder"),
        64,
        &stop,
        &seen,
    );
    guest_gets_in(&app, &seen).await;
    stop.store(true, Ordering::Relaxed);
    assert!(
        seen.other.load(Ordering::Relaxed) >= 1,
        "the flood got some logins in too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_against_one_account_leaves_room_for_another() {
    let app = spawn_with(|config| {
        config.bcrypt_cost = 10;
        config.login_slots = 1;
        // Failures keep costing bcrypt for the whole test.
        config.max_login_failures_per_device = 100_000;
        config.max_login_failures_per_account = 100_000;
    })
    .await;
    app.new_user("victim").await;
    app.new_user("guest").await;
    let owner = from([127, 0, 0, 7]);
    let password = password_of("victim");
    let response = log_in(&owner, &app, "victim", &password).await;
    assert_eq!(response.status(), StatusCode::OK, "the owner's device");
    let (stop, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(Seen::default()));
    for address in [
        [127, 0, 0, 2],
        [127, 0, 0, 4],
        [127, 0, 0, 5],
        [127, 0, 0, 6],
    ] {
        flood(&app, address, "victim", "wrong password", 16, &stop, &seen);
    }
    guest_gets_in(&app, &seen).await;
    // A device that logged in to the account before needs no place among
    // the account's logins in flight: the flood does not lock it out.
    let response = log_in(&owner, &app, "victim", &password).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the owner's device, flooded"
    );
    stop.store(true, Ordering::Relaxed);
}
