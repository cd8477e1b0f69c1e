//! Cross-site request forgery, refused twice over.
//!
//! 1. Where the form came from: a browser says `Sec-Fetch-Site`
//!    (`same-origin` is the only acceptable answer for our forms) and, on
//!    every POST, `Origin`, which must name the host the form was posted
//!    to. A request with neither header is not from a browser a victim
//!    could be tricked with, and goes on to the token check.
//! 2. A token only the page could know: for a session, an HMAC of the
//!    session's id (`jti`) under a key derived from the signing secret, so
//!    it dies with the session and needs no storage; for the login form
//!    (no session yet), the value of a `__Host-` cookie repeated in the
//!    form (double submit).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};

/// The anti-CSRF key of the portal, derived from the signing secret.
#[derive(Clone)]
pub struct Tokens {
    key: [u8; 32],
}

impl Tokens {
    pub fn new(key: [u8; 32]) -> Tokens {
        Tokens { key }
    }

    /// The form token of the session `jti`.
    pub fn for_session(&self, jti: &str) -> String {
        // HMAC takes keys of any length: `new_from_slice` cannot fail.
        let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(b"session form:");
        mac.update(jti.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `presented` is the form token of the session `jti`.
    pub fn session_ok(&self, jti: &str, presented: &str) -> bool {
        same(&self.for_session(jti), presented)
    }
}

/// Whether the login form's field repeats its cookie.
pub fn login_ok(cookie: Option<&str>, presented: &str) -> bool {
    cookie.is_some_and(|cookie| well_formed(cookie) && same(cookie, presented))
}

/// A double-submit value as [`crate::auth::ids::random_id`] makes them.
pub fn well_formed(value: &str) -> bool {
    value.len() == 22
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Equal, in a time that depends on the length only.
fn same(expected: &str, presented: &str) -> bool {
    let (a, b) = (expected.as_bytes(), presented.as_bytes());
    !a.is_empty() && a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The headers that say where a form post came from.
#[derive(Debug, Default, Clone)]
pub struct Provenance {
    pub sec_fetch_site: Option<String>,
    pub origin: Option<String>,
    /// `Host`, and `X-Forwarded-Host` when a proxy rewrote it: the
    /// authorities the form may have been posted to.
    pub hosts: Vec<String>,
}

impl Provenance {
    /// Whether a browser says this post came from our own pages.
    pub fn same_origin(&self) -> bool {
        if let Some(site) = &self.sec_fetch_site {
            // `none` is a user typing a URL: never a form post.
            if !site.eq_ignore_ascii_case("same-origin") {
                return false;
            }
        }
        match &self.origin {
            None => true,
            Some(origin) => self.origin_is_ours(origin),
        }
    }

    fn origin_is_ours(&self, origin: &str) -> bool {
        // `null` (sandboxed frames, some redirects) is nobody we know.
        let Some((_, authority)) = origin.split_once("://") else {
            return false;
        };
        let authority = authority.to_ascii_lowercase();
        self.hosts
            .iter()
            .any(|host| host.to_ascii_lowercase() == authority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(site: Option<&str>, origin: Option<&str>) -> Provenance {
        Provenance {
            sec_fetch_site: site.map(str::to_owned),
            origin: origin.map(str::to_owned),
            hosts: vec!["auth.example.com".into()],
        }
    }

    #[test]
    fn only_our_own_pages_may_post() {
        assert!(posted(Some("same-origin"), Some("https://auth.example.com")).same_origin());
        assert!(posted(None, Some("https://AUTH.example.com")).same_origin());
        assert!(posted(None, None).same_origin());
        for (site, origin) in [
            (Some("same-site"), Some("https://app.example.com")),
            (Some("cross-site"), Some("https://evil.example")),
            (Some("none"), None),
            (None, Some("https://evil.example")),
            (None, Some("null")),
            (
                Some("same-origin"),
                Some("https://auth.example.com.evil.example"),
            ),
        ] {
            assert!(!posted(site, origin).same_origin(), "{site:?} {origin:?}");
        }
    }

    #[test]
    fn session_tokens_are_bound_to_the_session_and_the_key() {
        let tokens = Tokens::new([7; 32]);
        let token = tokens.for_session("jti-1");
        assert!(tokens.session_ok("jti-1", &token));
        assert!(!tokens.session_ok("jti-2", &token));
        assert!(!Tokens::new([8; 32]).session_ok("jti-1", &token));
        assert!(!tokens.session_ok("jti-1", ""));
        assert!(!tokens.session_ok("jti-1", &token[1..]));
    }

    #[test]
    fn the_login_form_must_repeat_its_cookie() {
        let value = "abcdefghijklmnopqrstuv";
        assert!(login_ok(Some(value), value));
        assert!(!login_ok(None, value));
        assert!(!login_ok(Some(value), "abcdefghijklmnopqrstuw"));
        assert!(!login_ok(Some(""), ""));
        assert!(!login_ok(Some("short"), "short"));
    }
}
