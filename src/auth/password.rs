//! Passwords: the sign-up rules and bcrypt that never truncates.
//!
//! bcrypt reads only the first 72 bytes of its input. Every password is
//! first reduced to base64(HMAC-SHA256(domain key, password)), 44 ASCII
//! bytes, so all of a 128-character (up to 512-byte) password counts.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};

use super::AuthError;

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;
/// Domain separation for the pre-hash; changing it invalidates every hash.
const PREHASH_KEY: &[u8] = b"guestlist password v1";

/// Why a new password is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Weak {
    Empty,
    TooShort,
    TooLong,
}

/// Checks a password chosen at sign-up or change, by Unicode characters.
pub fn check_rules(password: &str) -> Result<(), Weak> {
    match password.chars().count() {
        0 => Err(Weak::Empty),
        n if n < MIN_CHARS => Err(Weak::TooShort),
        n if n > MAX_CHARS => Err(Weak::TooLong),
        _ => Ok(()),
    }
}

/// Whether a login password could be valid at all (so huge inputs are
/// refused before any hashing).
pub fn plausible(password: &str) -> bool {
    password.len() <= MAX_CHARS * 4 && check_rules(password).is_ok()
}

fn prehash(password: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(PREHASH_KEY).expect("HMAC takes any key");
    mac.update(password.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Slow: call off the async workers.
pub fn hash(password: &str, cost: u32) -> Result<String, AuthError> {
    Ok(bcrypt::non_truncating_hash(prehash(password), cost)?)
}

/// Slow: call off the async workers. A malformed stored hash is a mismatch.
pub fn verify(password: &str, stored: &str) -> bool {
    bcrypt::non_truncating_verify(prehash(password), stored).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_count_characters_not_bytes() {
        assert_eq!(check_rules(""), Err(Weak::Empty));
        assert_eq!(check_rules("1234567"), Err(Weak::TooShort));
        assert_eq!(check_rules("12345678"), Ok(()));
        assert_eq!(check_rules(&"a".repeat(128)), Ok(()));
        assert_eq!(check_rules(&"a".repeat(129)), Err(Weak::TooLong));
        assert_eq!(
            check_rules(&"😀".repeat(64)),
            Ok(()),
            "64 emoji are 256 bytes"
        );
    }

    #[test]
    fn passwords_sharing_72_bytes_do_not_match() {
        let a = format!("{}{}", "x".repeat(72), "tail-one");
        let b = format!("{}{}", "x".repeat(72), "tail-two");
        let stored = hash(&a, 4).unwrap();
        assert!(verify(&a, &stored));
        assert!(!verify(&b, &stored));
    }

    #[test]
    fn long_unicode_passwords_round_trip() {
        let pw = "😀".repeat(64);
        assert!(verify(&pw, &hash(&pw, 4).unwrap()));
    }

    #[test]
    fn a_tampered_hash_is_a_mismatch_not_a_panic() {
        let stored = hash("correct horse", 4).unwrap();
        let mut tampered = stored.clone();
        tampered.replace_range(40..42, "é");
        assert!(!verify("correct horse", &tampered));
        assert!(!verify("correct horse", "not a hash"));
        assert!(!verify("correct horse", ""));
    }
}
