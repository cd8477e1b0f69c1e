//! `tokens mint`: the tokens it writes are live on the next start, spread
//! over the load-test users, and a second run reuses those users; the
//! packing that follows a mint (and `compact`) keeps every one of them.

use crate::support::Data;

#[tokio::test]
async fn minted_tokens_pass_need_login_on_the_next_start() {
    let data = Data::new();
    data.run(&["reset-db", "--yes"]).ok();
    let out = data.path().join("tokens.txt");
    let out_arg = out.to_str().unwrap();
    let minted = data.run(&[
        "tokens", "mint", "--count", "25", "--users", "3", "--out", out_arg,
    ]);
    assert!(
        minted.stderr.contains("packed the database: "),
        "{minted:?}"
    );
    minted.ok();
    let text = std::fs::read_to_string(&out).unwrap();
    let tokens: Vec<&str> = text.lines().collect();
    assert_eq!(tokens.len(), 25, "{text}");
    let distinct: std::collections::HashSet<_> = tokens.iter().collect();
    assert_eq!(distinct.len(), 25, "every token is distinct");

    let listed = data.json(&["users", "list", "--json"]);
    let users = listed["users"].as_array().unwrap();
    assert_eq!(users.len(), 3);
    let mut held: Vec<u64> = users
        .iter()
        .map(|u| u["tokens"].as_u64().unwrap())
        .collect();
    held.sort();
    assert_eq!(held, [8, 8, 9], "round-robin over the users");

    // A second run adds tokens to the same users, to stdout.
    let more = data
        .run(&["tokens", "mint", "--count", "2", "--users", "3"])
        .ok();
    assert_eq!(more.lines().count(), 2, "{more}");
    assert_eq!(
        data.json(&["users", "list", "--json"])["users"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let packed = data.run(&["compact"]).ok();
    assert!(packed.starts_with("packed the database: "), "{packed}");
    let server = data.serve();
    for token in tokens.iter().chain(more.lines().collect::<Vec<_>>().iter()) {
        assert_eq!(server.check(token).await, 200, "minted token {token}");
    }
    server.stop();
}
