//! The portal's two cookies: the session (the token itself, so a browser
//! session is a device on the guest list like any other) and the login
//! form's double-submit value.
//!
//! Names carry the browser-enforced prefixes: `__Host-` (Secure, Path=/,
//! no Domain: no sibling subdomain can plant or shadow it) for host-only
//! cookies, `__Secure-` when a `--cookie-domain` is shared. Without
//! `Secure` (`--insecure-cookies`) no prefix is allowed, so none is used.

use crate::config::Config;

/// How the cookies are written, from the configuration.
#[derive(Debug, Clone)]
pub struct Jar {
    pub session: &'static str,
    pub login: &'static str,
    domain: Option<String>,
    secure: bool,
}

/// How long the login form's value lives: time enough to type a password.
pub const LOGIN_MAX_AGE: u64 = 2 * 3600;

impl Jar {
    pub fn new(config: &Config) -> Jar {
        let secure = !config.insecure_cookies;
        let domain = config.cookie_domain.clone();
        let session = match (secure, domain.is_some()) {
            (false, _) => "guestlist_session",
            (true, false) => "__Host-guestlist_session",
            (true, true) => "__Secure-guestlist_session",
        };
        // The login value is never shared: it belongs to the portal's host.
        let login = if secure {
            "__Host-guestlist_login"
        } else {
            "guestlist_login"
        };
        Jar {
            session,
            login,
            domain,
            secure,
        }
    }

    /// `Set-Cookie` of a session token living `max_age` seconds, as long
    /// as the token. `Lax`: a link from another site still opens the app
    /// signed in, while cross-site form posts carry no session.
    pub fn session_cookie(&self, token: &str, max_age: u64) -> String {
        let mut cookie = format!(
            "{}={token}; Path=/; Max-Age={max_age}; Expires={}; HttpOnly; SameSite=Lax",
            self.session,
            expires(max_age)
        );
        if let Some(domain) = &self.domain {
            cookie.push_str("; Domain=");
            cookie.push_str(domain);
        }
        self.secured(cookie)
    }

    /// `Set-Cookie` that makes the browser forget its session.
    pub fn clear_session(&self) -> String {
        let mut cookie = format!(
            "{}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
            self.session
        );
        if let Some(domain) = &self.domain {
            cookie.push_str("; Domain=");
            cookie.push_str(domain);
        }
        self.secured(cookie)
    }

    /// `Set-Cookie` of the login form's double-submit value. `Strict`: it
    /// only ever needs to come back to the portal from the portal.
    pub fn login_cookie(&self, value: &str) -> String {
        let cookie = format!(
            "{}={value}; Path=/; Max-Age={LOGIN_MAX_AGE}; HttpOnly; SameSite=Strict",
            self.login
        );
        self.secured(cookie)
    }

    fn secured(&self, mut cookie: String) -> String {
        if self.secure {
            cookie.push_str("; Secure");
        }
        cookie
    }
}

/// The HTTP date `max_age` seconds from now, for browsers that ignore
/// `Max-Age`.
fn expires(max_age: u64) -> String {
    let at = std::time::SystemTime::now() + std::time::Duration::from_secs(max_age);
    httpdate::fmt_http_date(at)
}

/// The value of cookie `name` in a `Cookie` header, if it is there once
/// and non-empty. Two cookies of one name (one planted for a parent
/// domain, say) are ambiguous: neither is believed.
pub fn value_of<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    let mut found = None;
    for pair in header.split(';') {
        let Some((key, value)) = pair.trim().split_once('=') else {
            continue;
        };
        if key == name {
            if found.is_some() {
                return None;
            }
            found = Some(value.trim_matches('"'));
        }
    }
    found.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jar(domain: Option<&str>, insecure: bool) -> Jar {
        let mut config = Config::new("x");
        config.cookie_domain = domain.map(str::to_owned);
        config.insecure_cookies = insecure;
        Jar::new(&config)
    }

    #[test]
    fn host_only_secure_cookies_carry_the_host_prefix_and_every_flag() {
        let cookie = jar(None, false).session_cookie("t.o.k", 60);
        assert!(cookie.starts_with("__Host-guestlist_session=t.o.k; Path=/; Max-Age=60; Expires="));
        for flag in ["; HttpOnly", "; SameSite=Lax", "; Secure"] {
            assert!(cookie.contains(flag), "{cookie}");
        }
        assert!(!cookie.contains("Domain"), "{cookie}");
    }

    #[test]
    fn a_shared_domain_uses_the_secure_prefix_and_insecure_none() {
        let shared = jar(Some("example.com"), false).session_cookie("t", 5);
        assert!(shared.starts_with("__Secure-guestlist_session=t;"));
        assert!(shared.contains("; Domain=example.com; Secure"), "{shared}");
        let insecure = jar(None, true);
        assert!(
            insecure
                .session_cookie("t", 5)
                .starts_with("guestlist_session=t;")
        );
        assert!(!insecure.session_cookie("t", 5).contains("Secure"));
        assert!(insecure.clear_session().contains("Max-Age=0"));
    }

    #[test]
    fn values_are_found_once_or_not_at_all() {
        let header = "a=1; __Host-guestlist_session=abc; b=\"2\"";
        assert_eq!(value_of(header, "__Host-guestlist_session"), Some("abc"));
        assert_eq!(value_of(header, "b"), Some("2"));
        assert_eq!(value_of(header, "c"), None);
        assert_eq!(value_of("s=1; s=2", "s"), None);
        assert_eq!(value_of("s=", "s"), None);
    }
}
