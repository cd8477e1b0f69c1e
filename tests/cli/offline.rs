//! `users`, `roles` and `tokens` through the binary, and their refusal
//! while a server holds the database.

use crate::common::*;
use crate::support::Data;

/// alice (admin) and bob (no role), each with a password.
fn two_users() -> Data {
    let data = Data::new();
    data.run(&["create-admin", "alice", "alice@example.com", "password-a"])
        .ok();
    data.run(&["create-admin", "bob", "bob@example.com", "password-b"])
        .ok();
    data.run(&["roles", "revoke", "bob", "admin"]).ok();
    data
}

#[tokio::test]
async fn every_command_is_refused_while_a_server_runs() {
    let data = two_users();
    let server = data.serve();
    let commands: &[&[&str]] = &[
        &["users", "list"],
        &["users", "show", "alice"],
        &["users", "disable", "bob"],
        &["users", "enable", "bob"],
        &["users", "delete", "bob"],
        &["roles", "list"],
        &["roles", "create", "editor", "edits"],
        &["roles", "delete", "admin"],
        &["roles", "grant", "bob", "admin"],
        &["roles", "revoke", "alice", "admin"],
        &["tokens", "list", "alice"],
        &["tokens", "revoke", "some-id"],
        &["tokens", "revoke-all", "alice"],
        &["tokens", "mint", "--count", "1"],
        &["export"],
        &["compact"],
    ];
    for args in commands {
        let line = data.run(args).fails(1);
        assert!(
            line.contains("in use by another guestlist process"),
            "{args:?}: {line}"
        );
    }
    let empty_export = data.path().join("empty.jsonl");
    let lines = "{\"type\":\"guestlist-export\",\"version\":1}\n{\"type\":\"end\",\"records\":0}\n";
    std::fs::write(&empty_export, lines).unwrap();
    let line = data
        .run(&["import", empty_export.to_str().unwrap()])
        .fails(1);
    assert!(
        line.contains("in use by another guestlist process"),
        "{line}"
    );
    server.stop();
    data.run(&["users", "list"]).ok();
}

#[tokio::test]
async fn users_and_tokens_are_managed_offline_and_it_shows_on_the_next_start() {
    let data = two_users();
    let server = data.serve();
    let Session {
        token: a1,
        id: a1_id,
        ..
    } = server.login_ok("alice", "password-a").await;
    let a2 = server.login_ok("alice", "password-a").await.token;
    let b1 = server.login_ok("bob", "password-b").await.token;
    server.stop();

    let list = data.run(&["users", "list"]).ok();
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.contains("alice  alice@example.com") && list.contains("roles admin"));
    let listed = data.json(&["users", "list", "--json"]);
    let users = listed["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    let alice = users.iter().find(|u| u["username"] == "alice").unwrap();
    assert_eq!(alice["tokens"], 2);
    assert_eq!(alice["disabled"], false);

    let tokens = data.json(&["tokens", "list", "alice", "--json"]);
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 2);
    assert!(data.run(&["users", "show", "alice"]).ok().contains(&a1_id));
    data.run(&["tokens", "revoke", &a1_id]).ok();
    let line = data.run(&["tokens", "revoke", &a1_id]).fails(1);
    assert_eq!(line, format!("guestlist: error: no token with id {a1_id}"));

    data.run(&["users", "disable", "bob"]).ok();
    let shown = data.json(&["users", "show", "bob", "--json"]);
    assert_eq!(shown["user"]["disabled"], true);
    assert_eq!(shown["tokens"].as_array().unwrap().len(), 0);
    data.run(&["users", "enable", "bob"]).ok();

    let server = data.serve();
    assert_eq!(server.check(&a1).await, 401, "revoked offline");
    assert_eq!(server.check(&a2).await, 200, "untouched");
    assert_eq!(server.check(&b1).await, 401, "disabling revoked it");
    server.login_ok("bob", "password-b").await;
    server.stop();

    let revoked = data.run(&["tokens", "revoke-all", "alice"]).ok();
    assert!(revoked.contains("revoked 1 token(s) of alice"), "{revoked}");
    assert!(
        data.run(&["tokens", "list", "alice"])
            .ok()
            .contains("no live tokens")
    );
    data.run(&["users", "delete", "bob"]).ok();
    let line = data.run(&["users", "show", "bob"]).fails(1);
    assert_eq!(line, "guestlist: error: no user named bob");
    assert_eq!(data.run(&["users", "list"]).ok().lines().count(), 1);
}

#[test]
fn roles_are_managed_offline() {
    let data = two_users();
    data.run(&["roles", "create", "editor", "Edits things"])
        .ok();
    let line = data.run(&["roles", "create", "editor", "again"]).fails(1);
    assert!(
        line.contains("a role already exists named editor"),
        "{line}"
    );
    data.run(&["roles", "grant", "bob", "editor"]).ok();
    data.run(&["roles", "grant", "bob", "editor"]).ok();
    let roles = data.json(&["roles", "list", "--json"]);
    let names: Vec<&str> = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "editor"]);
    let bob = data.json(&["users", "show", "bob", "--json"]);
    assert_eq!(bob["user"]["roles"], serde_json::json!(["editor"]));

    data.run(&["roles", "revoke", "bob", "editor"]).ok();
    data.run(&["roles", "revoke", "bob", "editor"]).ok();
    data.run(&["roles", "grant", "bob", "editor"]).ok();
    let deleted = data.run(&["roles", "delete", "editor"]).ok();
    assert!(deleted.contains("taken from 1 user(s)"), "{deleted}");
    let bob = data.json(&["users", "show", "bob", "--json"]);
    assert_eq!(bob["user"]["roles"], serde_json::json!([]));

    let line = data.run(&["roles", "delete", "editor"]).fails(1);
    assert_eq!(line, "guestlist: error: no role named editor");
    let line = data.run(&["roles", "grant", "nobody", "admin"]).fails(1);
    assert_eq!(line, "guestlist: error: no user named nobody");
    let line = data.run(&["roles", "grant", "bob", "nope"]).fails(1);
    assert_eq!(line, "guestlist: error: no role named nope");
}

#[test]
fn unknown_names_and_bad_usage_have_their_exit_codes() {
    let data = two_users();
    for args in [
        &["users", "show", "nobody"][..],
        &["users", "disable", "nobody"],
        &["users", "enable", "nobody"],
        &["users", "delete", "nobody"],
        &["tokens", "list", "nobody"],
        &["tokens", "revoke-all", "nobody"],
    ] {
        let line = data.run(args).fails(1);
        assert_eq!(line, "guestlist: error: no user named nobody", "{args:?}");
    }
    // A token id may start with '-' (base64url): it is an id, not a flag.
    let line = data.run(&["tokens", "revoke", "-Ab_c"]).fails(1);
    assert_eq!(line, "guestlist: error: no token with id -Ab_c");
    let line = data.run(&["roles", "create", "bad name", "x"]).fails(2);
    assert!(line.contains("role name must be"), "{line}");
    data.run(&["roles", "create", "ok", ""]).fails(2);
    assert_eq!(data.run(&["users", "frobnicate"]).code, 2);
    assert_eq!(data.run(&["tokens", "mint", "--count", "0"]).code, 2);
    assert_eq!(data.run(&["tokens", "list"]).code, 2);

    let empty = Data::new();
    for args in [&["users", "list"][..], &["compact"]] {
        let line = empty.run(args).fails(1);
        assert!(line.contains("no database at"), "{args:?}: {line}");
    }
}
