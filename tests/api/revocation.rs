//! A logout or revocation is complete before its response is sent: the
//! very next request with that token, on another connection, gets 401.

use reqwest::{Client, Response};

use crate::common::*;

/// A second client: its own connection pool, so its own connections.
struct Watcher {
    client: Client,
}

impl Watcher {
    fn new() -> Watcher {
        Watcher {
            client: Client::builder().pool_max_idle_per_host(1).build().unwrap(),
        }
    }

    async fn need_login(&self, app: &TestApp, token: &str) -> Response {
        self.client
            .get(app.url("/need_login"))
            .header("authorization", bearer(token))
            .send()
            .await
            .unwrap()
    }

    /// Uses the token so that it is warm in every cache, and checks it works.
    async fn warm(&self, app: &TestApp, session: &Session) {
        expect_text(self.need_login(app, &session.token).await, NEED_LOGIN_TEXT).await;
        expect_text(app.need_login(&session.token).await, NEED_LOGIN_TEXT).await;
    }
}

async fn sessions(app: &TestApp, username: &str, count: usize) -> Vec<Session> {
    app.new_user(username).await;
    let mut out = Vec::new();
    for _ in 0..count {
        out.push(app.login_ok(username, &password_of(username)).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_is_seen_at_once_on_another_connection() {
    let app = spawn().await;
    let watcher = Watcher::new();
    for round in 0..5 {
        let all = sessions(&app, &format!("lou{round}"), 2).await;
        for session in &all {
            watcher.warm(&app, session).await;
        }
        assert_eq!(app.logout(&all[0].token).await.status(), 200);
        expect_invalid(watcher.need_login(&app, &all[0].token).await).await;
        expect_text(
            watcher.need_login(&app, &all[1].token).await,
            NEED_LOGIN_TEXT,
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_token_by_id_is_seen_at_once_on_another_connection() {
    let app = spawn().await;
    let watcher = Watcher::new();
    for round in 0..5 {
        let all = sessions(&app, &format!("max{round}"), 3).await;
        for session in &all {
            watcher.warm(&app, session).await;
        }
        assert_eq!(
            app.delete_token(&all[0].token, &all[1].id).await.status(),
            200
        );
        expect_invalid(watcher.need_login(&app, &all[1].token).await).await;
        expect_text(
            watcher.need_login(&app, &all[0].token).await,
            NEED_LOGIN_TEXT,
        )
        .await;
        expect_text(
            watcher.need_login(&app, &all[2].token).await,
            NEED_LOGIN_TEXT,
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_every_token_is_seen_at_once_on_another_connection() {
    let app = spawn().await;
    let watcher = Watcher::new();
    for round in 0..5 {
        let all = sessions(&app, &format!("nia{round}"), 3).await;
        for session in &all {
            watcher.warm(&app, session).await;
        }
        assert_eq!(app.delete_tokens(&all[2].token, false).await.status(), 200);
        for session in &all {
            expect_invalid(watcher.need_login(&app, &session.token).await).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_current_is_seen_at_once_on_another_connection() {
    let app = spawn().await;
    let watcher = Watcher::new();
    for round in 0..5 {
        let all = sessions(&app, &format!("oz{round}"), 3).await;
        for session in &all {
            watcher.warm(&app, session).await;
        }
        assert_eq!(app.delete_tokens(&all[1].token, true).await.status(), 200);
        expect_invalid(watcher.need_login(&app, &all[0].token).await).await;
        expect_text(
            watcher.need_login(&app, &all[1].token).await,
            NEED_LOGIN_TEXT,
        )
        .await;
        expect_invalid(watcher.need_login(&app, &all[2].token).await).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_used_while_it_is_revoked_is_refused_after_the_answer() {
    // Revocation and checks of the same token race on two connections; once
    // the revocation has answered, nothing can bring the token back.
    let app = spawn().await;
    let watcher = Watcher::new();
    let all = sessions(&app, "pia", 2).await;
    watcher.warm(&app, &all[0]).await;
    let hammer = async {
        for _ in 0..50 {
            let status = watcher.need_login(&app, &all[0].token).await.status();
            assert!(status == 200 || status == 401, "{status}");
        }
    };
    let (_, revoked) = tokio::join!(hammer, app.delete_token(&all[1].token, &all[0].id));
    assert_eq!(revoked.status(), 200);
    for _ in 0..5 {
        expect_invalid(watcher.need_login(&app, &all[0].token).await).await;
        expect_invalid(app.need_login(&all[0].token).await).await;
    }
}
