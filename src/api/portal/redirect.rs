//! Where a browser may be sent after signing in (the `rd` parameter).
//!
//! Only two shapes are accepted: a path on the portal itself (`/account`),
//! or an absolute `https://` URL (plain `http://` with `--insecure-cookies`)
//! whose host is the cookie domain, one of its subdomains, the portal's own
//! host, or an allowed host. Everything else (an open redirect waiting to
//! happen: `//evil`, `https:evil`, `/\evil`, `https://good@evil`, control
//! characters, backslashes) is refused and the caller lands on
//! [`DEFAULT`]. The text is checked before parsing as well as after,
//! because URL parsers forgive what browsers then reinterpret.

use url::{Position, Url};

/// Where a sign-in lands when `rd` is missing or refused.
pub const DEFAULT: &str = "/account";

/// Longest `rd` looked at.
const MAX_LEN: usize = 2048;

/// What a return URL may point at.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// The cookie domain: it and every subdomain.
    pub domain: Option<String>,
    /// Exact hosts (lowercase).
    pub allowed: Vec<String>,
    /// Whether `http://` is accepted too.
    pub insecure: bool,
}

impl Rules {
    /// `rd` as a safe `Location`, or `None` to use [`DEFAULT`].
    pub fn target(&self, rd: &str) -> Option<String> {
        if rd.is_empty() || rd.len() > MAX_LEN || !plain_text(rd) {
            return None;
        }
        if rd.starts_with('/') {
            return local_path(rd);
        }
        self.absolute(rd)
    }

    /// [`Rules::target`], or [`DEFAULT`].
    pub fn target_or_default(&self, rd: Option<&str>) -> String {
        rd.and_then(|rd| self.target(rd))
            .unwrap_or_else(|| DEFAULT.to_owned())
    }

    fn absolute(&self, rd: &str) -> Option<String> {
        // `https:evil` and `https:/evil` parse as `https://evil/`: demand
        // the two slashes in the text itself.
        let (scheme, rest) = rd.split_once(':')?;
        if !rest.starts_with("//") {
            return None;
        }
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && !(self.insecure && scheme == "http") {
            return None;
        }
        let url = Url::parse(rd).ok()?;
        let userinfo = !url.username().is_empty() || url.password().is_some();
        if url.scheme() != scheme || userinfo {
            return None;
        }
        let host = match url.host()? {
            url::Host::Domain(host) => host.to_owned(),
            // An address is allowed only when listed exactly.
            other => other.to_string(),
        };
        self.host_ok(&host).then(|| url.to_string())
    }

    fn host_ok(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let in_domain = self.domain.as_deref().is_some_and(|domain| {
            host == domain
                || host
                    .strip_suffix(domain)
                    .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1)
        });
        in_domain || self.allowed.contains(&host)
    }
}

/// No backslash (browsers read it as a slash), no whitespace or control
/// character (parsers strip some of them silently), ASCII only (a
/// percent-encoded URL is what a well-behaved proxy sends).
fn plain_text(rd: &str) -> bool {
    rd.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

/// A path on the portal: `/x` but not `//x` (another host). Resolved
/// against a placeholder origin, it must stay there.
fn local_path(rd: &str) -> Option<String> {
    if rd.starts_with("//") {
        return None;
    }
    let base = Url::parse("https://portal.invalid/").ok()?;
    let url = base.join(rd).ok()?;
    if url.host_str() != Some("portal.invalid") || url.scheme() != "https" {
        return None;
    }
    let path = &url[Position::BeforePath..];
    // What the parser made of it must still be a single-slash path.
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            domain: Some("example.com".into()),
            allowed: vec!["partner.test".into()],
            insecure: false,
        }
    }

    #[test]
    fn the_domain_its_subdomains_and_allowed_hosts_are_accepted() {
        let rules = rules();
        for (rd, expected) in [
            ("https://example.com/", "https://example.com/"),
            (
                "https://app.example.com/a?b=c#d",
                "https://app.example.com/a?b=c#d",
            ),
            (
                "https://APP.Example.com:8443/x",
                "https://app.example.com:8443/x",
            ),
            ("HTTPS://app.example.com/", "https://app.example.com/"),
            ("https://partner.test/", "https://partner.test/"),
            (
                "https://app.example.com/a%20b",
                "https://app.example.com/a%20b",
            ),
            ("/account", "/account"),
            ("/admin/users?after=x", "/admin/users?after=x"),
        ] {
            assert_eq!(rules.target(rd).as_deref(), Some(expected), "{rd}");
        }
    }

    #[test]
    fn open_redirect_tricks_are_refused() {
        let rules = rules();
        for rd in [
            "",
            "https://evil.example",
            "https://evil.example/https://app.example.com",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https:evil.example",
            "https:/evil.example",
            "https:app.example.com",
            "https:\\\\app.example.com",
            "https://app.example.com\\@evil.example",
            "https://app.example.com@evil.example/",
            "https://user:pass@app.example.com/",
            "https://evil.example?.example.com",
            "https://evil.example#.example.com",
            "https://example.com.evil.example/",
            "https://notexample.com/",
            "https://.example.com/",
            "https://evil%2eexample/",
            "https://app.example.com%2f@evil.example/",
            "%2F%2Fevil.example",
            "/%2F%2Fevil.example/..%2F",
            "http://app.example.com/",
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://app.example.com/",
            " https://app.example.com/",
            "https://app.example.com/\n",
            "https://app.exa\tmple.com/",
            "/\t/evil.example",
            "https://app.example.com/\u{0}",
            "https://ap\u{3002}example.com/",
            "https://127.0.0.1/",
            "https://[::1]/",
            "relative/path",
        ] {
            let got = rules.target(rd);
            let safe =
                matches!(got.as_deref(), Some(p) if p.starts_with('/') && !p.starts_with("//"));
            assert!(got.is_none() || safe, "{rd:?} was let through as {got:?}");
            assert_eq!(rules.target_or_default(Some(rd)) == DEFAULT, got.is_none());
        }
    }

    #[test]
    fn encoded_paths_stay_on_the_portal() {
        let rules = rules();
        // A percent-encoded slash is a character of the path, not a host.
        let got = rules.target("/%2F%2Fevil.example").unwrap();
        assert!(got.starts_with("/%2F"), "{got}");
        assert_eq!(rules.target("/a/../..//evil.example"), None);
    }

    #[test]
    fn plain_http_only_when_allowed_and_nothing_without_a_domain() {
        let insecure = Rules {
            insecure: true,
            ..rules()
        };
        assert!(insecure.target("http://app.example.com/").is_some());
        let bare = Rules::default();
        assert_eq!(bare.target("https://example.com/"), None);
        assert_eq!(bare.target("/account").as_deref(), Some("/account"));
        assert_eq!(bare.target_or_default(None), DEFAULT);
    }
}
