//! The `Authorization` parser on arbitrary bytes: never panics, never
//! reads past `MAX_VALUE_LEN`, and a token it accepts is well shaped.
#![no_main]

use guestlist::auth::header::{MAX_VALUE_LEN, Presented, SIGNATURE_LEN, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &[u8]| {
    match parse(value) {
        Presented::Token { token, key } => {
            assert!(value.len() <= MAX_VALUE_LEN);
            assert_eq!(token.split('.').count(), 3);
            assert_eq!(key.len(), SIGNATURE_LEN);
            assert!(token.ends_with(std::str::from_utf8(&key).unwrap()));
        }
        Presented::Nothing => assert!(value.trim_ascii().is_empty()),
        Presented::Malformed => {}
    }
});
