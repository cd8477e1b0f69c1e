//! Races, by many iterations rather than timing: a logout against checks
//! on other connections (with a tiny cache so checks keep refilling it),
//! 1,000 logins then 1,000 logouts of one user, revoke-all against logins.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::future::join_all;

use crate::common::*;

async fn login(app: &TestApp) -> (String, String) {
    let session = app.login_from_ok("ann", "password123", "x").await;
    (session.token, session.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_check_succeeds_once_the_logout_has_answered() {
    // Capacity 1: the checks of other tokens evict ours, so checks of ours
    // miss and fill the cache while the logout runs.
    let app = Arc::new(spawn_with(|config| config.cache_capacity = 1).await);
    app.add_user("ann", "password123").await;
    let (decoy, _) = login(&app).await;
    for round in 0..40 {
        let (token, _) = login(&app).await;
        let done = Arc::new(AtomicBool::new(false));
        let checkers: Vec<_> = (0..4)
            .map(|n| {
                let (app, token, decoy, done) =
                    (app.clone(), token.clone(), decoy.clone(), done.clone());
                // Separate clients: separate connections.
                let client = reqwest::Client::new();
                tokio::spawn(async move {
                    for _ in 0..30 {
                        let after_logout = done.load(Ordering::SeqCst);
                        let which = if n % 2 == 0 { &token } else { &decoy };
                        let url = app.url("/need_login");
                        let status = client
                            .get(url)
                            .bearer_auth(which)
                            .send()
                            .await
                            .unwrap()
                            .status();
                        if which == &token && after_logout {
                            assert_eq!(
                                status, 401,
                                "round {round}: a check after the logout passed"
                            );
                        }
                    }
                })
            })
            .collect();
        tokio::task::yield_now().await;
        assert_eq!(app.logout_status(&token).await, 200);
        done.store(true, Ordering::SeqCst);
        for checker in checkers {
            checker.await.unwrap();
        }
        assert_eq!(app.check(&token).await, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_logins_then_a_thousand_logouts_lose_and_duplicate_nothing() {
    let mut app = spawn_with(|config| {
        config.max_tokens_per_user = 5000;
        config.login_queue = 5000;
        config.max_connections = 5000;
        // Logins in flight per address and account: not what this races.
        config.max_logins_in_flight_per_address = 5000;
        config.max_logins_in_flight_per_account = 5000;
    })
    .await;
    // A fresh connection per request: reusing a pooled connection races the
    // server closing it as idle, and that lost request is no server fault.
    app.client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let app = Arc::new(app);
    app.add_user("ann", "password123").await;
    let logins = (0..1000).map(|_| {
        let app = app.clone();
        async move { login(&app).await }
    });
    let sessions: Vec<(String, String)> = join_all(logins).await;
    let ids: HashSet<String> = sessions.iter().map(|(_, id)| id.clone()).collect();
    let tokens: HashSet<&String> = sessions.iter().map(|(t, _)| t).collect();
    assert_eq!((ids.len(), tokens.len()), (1000, 1000), "no duplicate");
    assert_eq!(
        app.listed_ids(&sessions[0].0).await,
        ids,
        "the list is exact"
    );
    let logouts = sessions.iter().map(|(token, _)| app.logout_status(token));
    let statuses: Vec<u16> = join_all(logouts).await;
    assert!(
        statuses.iter().all(|s| *s == 200),
        "every logout answered 200"
    );
    let (last, last_id) = login(&app).await;
    assert_eq!(app.listed_ids(&last).await, HashSet::from([last_id]));
    for (token, _) in sessions.iter().step_by(50) {
        assert_eq!(app.check(token).await, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_all_kills_every_token_issued_before_it() {
    let app = Arc::new(
        spawn_with(|config| {
            config.max_tokens_per_user = 5000;
            // Four loggers at once from one address: not what this races.
            config.max_logins_in_flight_per_address = 8;
            config.max_logins_in_flight_per_account = 8;
        })
        .await,
    );
    app.add_user("ann", "password123").await;
    for _ in 0..10 {
        let (caller, _) = login(&app).await;
        let before = Arc::new(tokio::sync::Mutex::new(Vec::new()));
        let sent = Arc::new(AtomicBool::new(false));
        let loggers: Vec<_> = (0..4)
            .map(|_| {
                let (app, before, sent) = (app.clone(), before.clone(), sent.clone());
                tokio::spawn(async move {
                    for _ in 0..5 {
                        let (token, _) = login(&app).await;
                        // Answered before the revoke-all was sent: must die.
                        if !sent.load(Ordering::SeqCst) {
                            before.lock().await.push(token);
                        }
                    }
                })
            })
            .collect();
        tokio::task::yield_now().await;
        sent.store(true, Ordering::SeqCst);
        let url = app.url("/api/v1/tokens");
        let response = app
            .client
            .delete(url)
            .bearer_auth(&caller)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        for logger in loggers {
            logger.await.unwrap();
        }
        assert_eq!(app.check(&caller).await, 401);
        for token in before.lock().await.iter() {
            assert_eq!(
                app.check(token).await,
                401,
                "a token from before the revoke-all lives"
            );
        }
    }
}
