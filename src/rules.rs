//! The rules of what a client may send, one definition each, with the one
//! message that explains a refusal. The HTTP API answers them with 422 and
//! the command line with exit code 2; uniqueness ignores case (see
//! `store::fold`).

/// The role that may administer users and roles.
pub const ADMIN: &str = "admin";
/// Longest device or role description, in characters.
pub const DESCRIPTION_MAX: usize = 200;

pub const USERNAME_RULE: &str = "username must be 1 to 64 letters, digits, '.', '_' or '-'";
pub const EMAIL_RULE: &str = "email must be 3 to 254 characters with one '@'";
pub const PASSWORD_RULE: &str = "password must be 8 to 128 characters";
pub const ROLE_RULE: &str = "name must be 1 to 64 letters, digits, '.', '_' or '-'";
pub const DESCRIPTION_RULE: &str = "description is longer than 200 characters";

/// The one meaning of a live token entry at `now`: not expired and, with
/// an idle limit, used less than `idle_secs` ago. (A disabled or deleted
/// user holds no entries: disabling and deleting remove them.)
pub fn token_alive(expires_at: u64, last_used_at: u64, idle_secs: Option<u64>, now: u64) -> bool {
    now < expires_at && idle_secs.is_none_or(|idle| now.saturating_sub(last_used_at) < idle)
}

/// A user name for sign-up or `create-admin`.
pub fn check_username(name: &str) -> Result<(), &'static str> {
    username_ok(name).then_some(()).ok_or(USERNAME_RULE)
}

pub fn check_email(email: &str) -> Result<(), &'static str> {
    email_ok(email).then_some(()).ok_or(EMAIL_RULE)
}

/// A new password (sign-up, change, `create-admin`).
pub fn check_password(password: &str) -> Result<(), &'static str> {
    crate::auth::password::check_rules(password).map_err(|_| PASSWORD_RULE)
}

/// A new role: a valid name and a description of 1 to 200 characters.
pub fn check_role(name: &str, description: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("name is empty");
    }
    if description.is_empty() {
        return Err("description is empty");
    }
    if !role_ok(name) {
        return Err(ROLE_RULE);
    }
    check_description(description)
}

/// A description: at most [`DESCRIPTION_MAX`] characters.
pub fn check_description(description: &str) -> Result<(), &'static str> {
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(DESCRIPTION_RULE);
    }
    Ok(())
}

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
