//! A proptest state machine: random runs of signup, login, check, logout,
//! revoke, revoke-all, role change, restart and cache eviction against a
//! real server, each answer compared with a simple model. 16 cases by
//! default; more with `PROPTEST_CASES`.

use std::collections::HashSet;

use proptest::prelude::*;
use reqwest::Method;
use serde_json::Value;

use crate::common::library::{forget_cached, grant_admin_directly};
use crate::common::model::Issued;
use crate::common::*;

const USERS: u8 = 3;
const PASSWORD: &str = "password123";

#[derive(Debug, Clone)]
enum Op {
    Signup(u8),
    Login(u8),
    Check(u8, u8),
    Logout(u8, u8),
    Revoke(u8, u8),
    RevokeAll(u8),
    Role(u8, bool),
    Restart,
    Evict,
}

fn op() -> impl Strategy<Value = Op> {
    let u = 0..USERS;
    prop_oneof![
        2 => u.clone().prop_map(Op::Signup),
        4 => u.clone().prop_map(Op::Login),
        4 => (u.clone(), any::<u8>()).prop_map(|(u, k)| Op::Check(u, k)),
        2 => (u.clone(), any::<u8>()).prop_map(|(u, k)| Op::Logout(u, k)),
        2 => (u.clone(), any::<u8>()).prop_map(|(u, k)| Op::Revoke(u, k)),
        1 => u.clone().prop_map(Op::RevokeAll),
        2 => (u, any::<bool>()).prop_map(|(u, g)| Op::Role(u, g)),
        1 => Just(Op::Restart),
        1 => Just(Op::Evict),
    ]
}

/// What the server should hold.
#[derive(Default)]
struct Model {
    signed_up: HashSet<u8>,
    admins: HashSet<u8>,
    /// (user, token, id, live), every token ever issued.
    tokens: Issued,
}

fn tweak(config: &mut guestlist::Config) {
    config.max_login_failures_per_device = 10_000;
    config.max_login_failures_per_account = 10_000;
}

async fn boss(app: &TestApp) -> String {
    app.add_user("boss", PASSWORD).await;
    grant_admin_directly(&app.state, "boss").await;
    app.login_token("boss", PASSWORD).await
}

async fn step(mut app: TestApp, model: &mut Model, boss: &str, op: Op) -> TestApp {
    let name = |u: u8| format!("user{u}");
    match op {
        Op::Signup(u) => {
            let email = format!("{}@m.com", name(u));
            let status = app.signup(&name(u), &email, PASSWORD).await.status();
            let fresh = model.signed_up.insert(u);
            assert_eq!(status.as_u16(), if fresh { 201 } else { 409 }, "{op:?}");
        }
        Op::Login(u) => {
            let response = app.login_from(&name(u), PASSWORD, "x").await;
            let known = model.signed_up.contains(&u);
            assert_eq!(
                response.status().as_u16(),
                if known { 200 } else { 401 },
                "{op:?}"
            );
            if known {
                let body: Value = response.json().await.unwrap();
                let (token, id) = (
                    body["token"].as_str().unwrap(),
                    body["id"].as_str().unwrap(),
                );
                model
                    .tokens
                    .push((u, token.to_owned(), id.to_owned(), true));
            }
        }
        Op::Check(u, k) => {
            let Some(i) = model.tokens.pick(u, k) else {
                return app;
            };
            let (_, token, _, live) = model.tokens[i].clone();
            assert_eq!(
                app.check(&token).await,
                if live { 200 } else { 401 },
                "{op:?}"
            );
            let admin = if !live {
                401
            } else if model.admins.contains(&u) {
                200
            } else {
                403
            };
            assert_eq!(
                app.status_with(Method::GET, "/admin", &token).await,
                admin,
                "{op:?} /admin"
            );
        }
        Op::Logout(u, k) => {
            let Some(i) = model.tokens.pick(u, k) else {
                return app;
            };
            let live = model.tokens[i].3;
            assert_eq!(
                app.logout_status(&model.tokens[i].1).await,
                if live { 200 } else { 401 },
                "{op:?}"
            );
            model.tokens[i].3 = false;
        }
        Op::Revoke(u, k) => {
            let (Some(i), Some(caller)) = (model.tokens.pick(u, k), model.tokens.live_of(u)) else {
                return app;
            };
            let path = format!("/api/v1/tokens/{}", model.tokens[i].2);
            let expected = if model.tokens[i].3 { 200 } else { 404 };
            assert_eq!(
                app.status_with(Method::DELETE, &path, &caller).await,
                expected,
                "{op:?}"
            );
            model.tokens[i].3 = false;
        }
        Op::RevokeAll(u) => {
            let Some(caller) = model.tokens.live_of(u) else {
                return app;
            };
            assert_eq!(
                app.status_with(Method::DELETE, "/api/v1/tokens", &caller)
                    .await,
                200,
                "{op:?}"
            );
            model
                .tokens
                .iter_mut()
                .filter(|t| t.0 == u)
                .for_each(|t| t.3 = false);
        }
        Op::Role(u, grant) => {
            let method = if grant { Method::POST } else { Method::DELETE };
            let path = format!("/api/v1/users/{}/roles/admin", name(u));
            let known = model.signed_up.contains(&u);
            assert_eq!(
                app.status_with(method, &path, boss).await,
                if known { 200 } else { 404 },
                "{op:?}"
            );
            if known && grant {
                model.admins.insert(u);
            } else {
                model.admins.remove(&u);
            }
        }
        Op::Restart => {
            let dir = app.stop().await;
            app = spawn_in(dir, tweak).await;
        }
        Op::Evict => forget_cached(&app.state),
    }
    app
}

fn run(ops: Vec<Op>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut app = spawn_with(tweak).await;
        let boss = boss(&app).await;
        let mut model = Model::default();
        for op in ops {
            app = step(app, &mut model, &boss, op).await;
        }
        app.stop().await;
    });
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_server_agrees_with_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        run(ops);
    }
}
