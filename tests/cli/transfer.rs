//! `export`, `import` and `GET /api/v1/admin/export`: a round trip keeps
//! every login and live token working.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::*;
use crate::support::Data;

fn copy_secret(from: &Data, to: &Data) {
    std::fs::copy(from.path().join("secret"), to.path().join("secret")).expect("the secret copies");
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[tokio::test]
async fn export_then_import_keeps_logins_tokens_and_roles() {
    let data = Data::new();
    data.run(&["create-admin", "alice", "alice@example.com", "password-a"])
        .ok();
    let server = data.serve();
    server.add_user("carol", "password-c").await;
    server.add_user("dave", "password-d").await;
    let alice = server.login_ok("alice", "password-a").await.token;
    let carol1 = server.login_ok("carol", "password-c").await.token;
    let carol2 = server.login_ok("carol", "password-c").await.token;

    let streamed = server
        .get("/api/v1/admin/export", Some(&bearer(&alice)))
        .await;
    assert_eq!(streamed.status(), 200);
    let kind = streamed.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(kind, "application/x-ndjson");
    let streamed = streamed.text().await.unwrap();
    assert_eq!(
        streamed.lines().next(),
        Some(r#"{"type":"guestlist-export","version":1}"#)
    );
    assert_eq!(server.get("/api/v1/admin/export", None).await.status(), 401);
    let carol_asks = server
        .get("/api/v1/admin/export", Some(&bearer(&carol1)))
        .await;
    assert_eq!(carol_asks.status(), 403);
    server.stop();

    data.run(&["roles", "create", "editor", "Edits things"])
        .ok();
    data.run(&["roles", "grant", "carol", "editor"]).ok();
    data.run(&["users", "disable", "dave"]).ok();
    let file = data.path().join("backup.jsonl");
    data.run(&["export", text(&file)]).ok();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "it holds password hashes");
    let exported = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        data.run(&["export"]).ok(),
        exported,
        "stdout and file agree"
    );

    let copy = Data::new();
    copy_secret(&data, &copy);
    let imported = copy.run(&["import", text(&file)]).ok();
    assert!(imported.contains("imported"), "{imported}");
    assert_eq!(copy.run(&["export"]).ok(), exported, "an exact copy");
    let line = copy.run(&["import", text(&file)]).fails(1);
    assert!(line.contains("the database is not empty"), "{line}");

    let server = copy.serve();
    for token in [&alice, &carol1, &carol2] {
        assert_eq!(server.check(token).await, 200);
    }
    assert_eq!(
        server.get("/admin", Some(&bearer(&alice))).await.status(),
        200
    );
    server.login_ok("alice", "password-a").await;
    server.login_ok("carol", "password-c").await;
    assert_eq!(server.login("dave", "password-d").await.status(), 401);
    server.stop();
    let carol = copy.json(&["users", "show", "carol", "--json"]);
    assert_eq!(carol["user"]["roles"], serde_json::json!(["editor"]));

    // What the running server streamed is a valid export too.
    let streamed_file = data.path().join("streamed.jsonl");
    std::fs::write(&streamed_file, streamed).unwrap();
    let third = Data::new();
    third.run(&["import", text(&streamed_file)]).ok();
    assert_eq!(
        third.json(&["users", "list", "--json"])["users"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_bad_file_names_its_line_and_changes_nothing() {
    let data = Data::new();
    data.run(&["create-admin", "alice", "alice@example.com", "password-a"])
        .ok();
    data.run(&["create-admin", "bob", "bob@example.com", "password-b"])
        .ok();
    let good = data.run(&["export"]).ok();
    let lines: Vec<&str> = good.lines().collect();
    let target = Data::new();
    target.run(&["reset-db", "--yes"]).ok();

    let mut corrupt = lines.clone();
    corrupt[2] = "{\"type\":\"user\",";
    let mut dangling = lines.clone();
    dangling.insert(
        4,
        r#"{"type":"user_role","user_id":"ghost","role":"admin"}"#,
    );
    let cases = [
        (corrupt.join("\n"), "line 3: "),
        (lines[..lines.len() - 1].join("\n"), "truncated"),
        (lines[1..].join("\n"), "line 1: not a guestlist export"),
        (
            dangling.join("\n"),
            "line 5: the link's user is not among the users above",
        ),
        (format!("{good}{}", lines[1]), "a line after the end line"),
        (String::new(), "the file is empty"),
    ];
    let file = target.path().join("bad.jsonl");
    for (content, expected) in cases {
        std::fs::write(&file, content).unwrap();
        let line = target.run(&["import", text(&file)]).fails(1);
        assert!(line.contains(expected), "{expected}: {line}");
        assert_eq!(target.run(&["users", "list"]).ok().trim(), "no users");
    }
    std::fs::write(&file, &good).unwrap();
    target.run(&["import", text(&file)]).ok();
    assert_eq!(target.run(&["users", "list"]).ok().lines().count(), 2);
}
