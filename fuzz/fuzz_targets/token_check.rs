//! The token check on arbitrary strings: never panics, and nothing that
//! was not signed with the secret verifies (the fuzzer cannot forge HS256).
#![no_main]

use std::sync::OnceLock;

use guestlist::auth::jwt::Keys;
use libfuzzer_sys::fuzz_target;

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::new(b"fuzzing-secret-0123456789abcdefghij").unwrap())
}

fuzz_target!(|token: &str| {
    let now = 1_800_000_000;
    assert!(
        keys().verify(token, now).is_err(),
        "a forged token verified: {token}"
    );
});
