//! The state machine over two nodes: random runs of login, check, logout,
//! revoke and revoke-all, each sent to either node, compared with a simple
//! model. A change made on one node must reach the other within the bound
//! (`until`); after that, both nodes must agree with the model exactly.
//! 8 cases by default; more with `PROPTEST_CASES`.

use proptest::prelude::*;

use crate::common::model::Issued;
use crate::common::*;
use crate::nodes::{Cluster, cluster, until};

const USERS: u8 = 2;

#[derive(Debug, Clone)]
enum Op {
    Login(u8, bool),
    Check(u8, u8, bool),
    Logout(u8, u8, bool),
    Revoke(u8, u8, bool),
    RevokeAll(u8, bool),
}

fn op() -> impl Strategy<Value = Op> {
    let u = 0..USERS;
    prop_oneof![
        3 => (u.clone(), any::<bool>()).prop_map(|(u, n)| Op::Login(u, n)),
        4 => (u.clone(), any::<u8>(), any::<bool>()).prop_map(|(u, k, n)| Op::Check(u, k, n)),
        2 => (u.clone(), any::<u8>(), any::<bool>()).prop_map(|(u, k, n)| Op::Logout(u, k, n)),
        2 => (u.clone(), any::<u8>(), any::<bool>()).prop_map(|(u, k, n)| Op::Revoke(u, k, n)),
        1 => (u, any::<bool>()).prop_map(|(u, n)| Op::RevokeAll(u, n)),
    ]
}

/// Every token ever issued: (user, token, id, live).
#[derive(Default)]
struct Model {
    tokens: Issued,
}

fn name(user: u8) -> String {
    format!("user{user}")
}

/// Both nodes answer `want` for `token`: the other one within the bound.
async fn agreed(c: &Cluster, token: &str, want: u16) {
    until(&c.a, "/need_login", token, want).await;
    until(&c.b, "/need_login", token, want).await;
}

async fn step(c: &Cluster, model: &mut Model, op: Op) {
    let node = |on_b: bool| if on_b { &c.b } else { &c.a };
    match op {
        Op::Login(u, on_b) => {
            let session = node(on_b).login_ok(&name(u), &password_of(&name(u))).await;
            agreed(c, &session.token, 200).await;
            model.tokens.push((u, session.token, session.id, true));
        }
        Op::Check(u, k, on_b) => {
            let Some(i) = model.tokens.pick(u, k) else {
                return;
            };
            let want = if model.tokens[i].3 { 200 } else { 401 };
            assert_eq!(
                node(on_b).check(&model.tokens[i].1).await,
                want,
                "{:?}",
                model.tokens[i]
            );
        }
        Op::Logout(u, k, on_b) => {
            let Some(i) = model.tokens.pick(u, k) else {
                return;
            };
            let status = node(on_b).logout_status(&model.tokens[i].1).await;
            assert_eq!(status, if model.tokens[i].3 { 200 } else { 401 });
            model.tokens[i].3 = false;
            agreed(c, &model.tokens[i].1, 401).await;
        }
        Op::Revoke(u, k, on_b) => {
            let (Some(i), Some(caller)) = (model.tokens.pick(u, k), model.tokens.live_of(u)) else {
                return;
            };
            let id = model.tokens[i].2.clone();
            let status = node(on_b)
                .delete_token(&caller, &id)
                .await
                .status()
                .as_u16();
            assert_eq!(status, if model.tokens[i].3 { 200 } else { 404 });
            model.tokens[i].3 = false;
            agreed(c, &model.tokens[i].1, 401).await;
        }
        Op::RevokeAll(u, on_b) => {
            let Some(caller) = model.tokens.live_of(u) else {
                return;
            };
            assert_eq!(node(on_b).delete_tokens(&caller, false).await.status(), 200);
            for t in model.tokens.iter_mut().filter(|t| t.0 == u) {
                t.3 = false;
            }
            for t in model.tokens.iter().filter(|t| t.0 == u) {
                agreed(c, &t.1, 401).await;
            }
        }
    }
}

async fn run(ops: Vec<Op>) {
    let Some(c) = cluster().await else { return };
    for user in 0..USERS {
        c.a.new_user(&name(user)).await;
    }
    let mut model = Model::default();
    for op in ops {
        step(&c, &mut model, op).await;
    }
    for (_, token, _, live) in model.tokens.iter() {
        agreed(&c, token, if *live { 200 } else { 401 }).await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(8),
        ..ProptestConfig::default()
    })]

    #[test]
    fn two_nodes_agree_with_the_model(ops in proptest::collection::vec(op(), 1..24)) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run(ops));
    }
}
