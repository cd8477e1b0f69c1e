//! Sign-up rules for usernames and emails (uniqueness ignores case).

pub const USERNAME_MAX: usize = 64;
pub const EMAIL_MIN: usize = 3;
pub const EMAIL_MAX: usize = 254;

/// 1–64 characters of ASCII letters, digits, `.`, `_` and `-`.
pub fn username_ok(name: &str) -> bool {
    (1..=USERNAME_MAX).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// 3–254 characters with exactly one `@` that is neither first nor last,
/// and no whitespace or control characters.
pub fn email_ok(email: &str) -> bool {
    let chars = email.chars().count();
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    (EMAIL_MIN..=EMAIL_MAX).contains(&chars)
        && !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Role names follow the username rules.
pub fn role_ok(name: &str) -> bool {
    username_ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["a", "test_user", "A.b-c_9", &"x".repeat(64)] {
            assert!(username_ok(ok), "{ok}");
        }
        for bad in [
            "",
            "has space",
            "nul\0",
            "rtl\u{202e}",
            "é",
            &"x".repeat(65),
        ] {
            assert!(!username_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn emails() {
        for ok in ["a@b", "test_user@mail.com"] {
            assert!(email_ok(ok), "{ok}");
        }
        for bad in [
            "",
            "ab",
            "a@",
            "@b",
            "a@b@c",
            "a b@c",
            "nul\0@x",
            &format!("{}@b", "a".repeat(253)),
        ] {
            assert!(!email_ok(bad), "{bad:?}");
        }
    }
}
