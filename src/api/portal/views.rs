//! The pages, as askama templates (`templates/`). askama escapes every
//! `{{ value }}` of an `.html` template for HTML text and quoted
//! attributes alike: device names, user agents, usernames and e-mail
//! addresses are written by whoever signs up or signs in, and reach the
//! page only through these structs.

use std::borrow::Cow;
use std::time::{Duration, UNIX_EPOCH};

use askama::Template;

use super::agent;
use crate::rules::DESCRIPTION_MAX;
use crate::usecases::{Device, UserSummary};

/// What the top bar shows to a signed-in visitor.
pub struct Nav {
    pub username: String,
    pub is_admin: bool,
    pub csrf: String,
}

/// A line above a page's content: the outcome of the last action.
pub struct Notice {
    pub kind: &'static str,
    pub text: Cow<'static, str>,
}

impl Notice {
    pub fn ok(text: impl Into<Cow<'static, str>>) -> Option<Notice> {
        Some(Notice {
            kind: "ok",
            text: text.into(),
        })
    }

    pub fn error(text: impl Into<Cow<'static, str>>) -> Option<Notice> {
        Some(Notice {
            kind: "error",
            text: text.into(),
        })
    }

    /// Errors interrupt a screen reader; the rest waits its turn.
    pub fn role(&self) -> &'static str {
        if self.kind == "error" {
            "alert"
        } else {
            "status"
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub active: &'static str,
    pub width: &'static str,
    pub csrf: &'a str,
    pub rd: &'a str,
    pub username: &'a str,
    /// The host a valid `rd` leads back to.
    pub destination: Option<String>,
    pub notice: Option<Notice>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub active: &'static str,
    pub width: &'static str,
    pub heading: &'static str,
    pub text: Cow<'static, str>,
    pub link_href: &'static str,
    pub link_text: &'static str,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub active: &'static str,
    pub width: &'static str,
    pub csrf: String,
    pub username: String,
    pub initial: String,
    pub email: String,
    pub since: String,
    pub roles: Vec<String>,
    pub devices: Vec<DeviceRow>,
    pub notice: Option<Notice>,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub title: &'static str,
    pub nav: Option<Nav>,
    pub active: &'static str,
    pub width: &'static str,
    pub csrf: String,
    pub users: Vec<UserRow>,
    /// The cursor of this page (empty on the first), sent back by forms.
    pub after: String,
    /// The link to the next page.
    pub next: Option<String>,
    pub notice: Option<Notice>,
}

/// A time as a machine reads it (`iso`) and as a person does (`text`).
pub struct Moment {
    pub iso: String,
    pub text: String,
}

/// One device on the account page.
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    /// Browser and system, as "Firefox 133 on Linux".
    pub kind: String,
    pub agent: String,
    pub address: String,
    pub created: Moment,
    pub last_used: Moment,
    pub expires: Moment,
    pub current: bool,
}

impl DeviceRow {
    pub fn new(device: Device, now: u64) -> DeviceRow {
        let named = agent::name(&device.user_agent);
        let address = match device.ip.is_empty() {
            true => "unknown".to_owned(),
            false => device.ip,
        };
        // A login without a name is described by its user agent: the
        // classified name reads better, and the raw string is shown anyway.
        let kind = match named.os {
            Some(os) => format!("{} on {os}", named.browser),
            None => named.browser.clone(),
        };
        let described: String = device.user_agent.chars().take(DESCRIPTION_MAX).collect();
        let name = match !described.is_empty() && device.description == described {
            true => kind.clone(),
            false => device.description,
        };
        DeviceRow {
            name,
            kind,
            agent: device.user_agent,
            address,
            created: moment(&device.created_at, now),
            last_used: moment(&device.last_used_at, now),
            expires: moment(&device.expires_at, now),
            current: device.current == Some(true),
            id: device.id,
        }
    }
}

/// One user on the users page.
pub struct UserRow {
    pub username: String,
    pub email: String,
    pub roles: Vec<String>,
    pub since: String,
    pub tokens: usize,
    pub disabled: bool,
}

impl From<UserSummary> for UserRow {
    fn from(user: UserSummary) -> UserRow {
        UserRow {
            since: day(&user.created_at),
            username: user.username,
            email: user.email,
            roles: user.roles,
            tokens: user.tokens,
            disabled: user.disabled,
        }
    }
}

/// `2026-12-02` of an RFC 3339 time.
pub fn day(rfc3339: &str) -> String {
    rfc3339.split('T').next().unwrap_or(rfc3339).to_owned()
}

/// "5 min ago", "in 2 days", or the date, from an RFC 3339 time.
pub fn moment(rfc3339: &str, now: u64) -> Moment {
    let secs = humantime::parse_rfc3339(rfc3339)
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    let text = match secs {
        Some(at) if at <= now => ago(now - at),
        Some(at) => ahead(at - now),
        None => rfc3339.to_owned(),
    };
    Moment {
        iso: rfc3339.to_owned(),
        text,
    }
}

fn ago(secs: u64) -> String {
    match secs {
        0..60 => "just now".to_owned(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => plural(secs / 86_400, "day", "ago"),
    }
}

fn ahead(secs: u64) -> String {
    match secs {
        0..3600 => format!("in {} min", secs.div_ceil(60)),
        3600..86_400 => format!("in {} h", secs / 3600),
        // Rounded: a token of 48 h is "in 2 days" a minute after its birth.
        _ => format!(
            "in {}",
            plural((secs + 43_200) / 86_400, "day", "").trim_end()
        ),
    }
}

fn plural(n: u64, unit: &str, suffix: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{n} {unit}{s} {suffix}")
}

/// The first letter of a name, for the avatar.
pub fn initial(name: &str) -> String {
    name.chars().next().map(String::from).unwrap_or_default()
}

/// Whole seconds as a sentence part: "3 minutes", "1 hour".
pub fn wait(secs: u64) -> String {
    let d = Duration::from_secs(secs.max(1));
    match d.as_secs() {
        s @ 0..120 => plural(s, "second", "").trim_end().to_owned(),
        s @ 120..7200 => plural(s.div_ceil(60), "minute", "").trim_end().to_owned(),
        s => plural(s.div_ceil(3600), "hour", "").trim_end().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_like_a_person_would_say_them() {
        let now = 1_795_863_358; // 2026-11-28T10:55:58Z
        assert_eq!(moment("2026-11-28T10:55:30Z", now).text, "just now");
        assert_eq!(moment("2026-11-28T10:45:58Z", now).text, "10 min ago");
        assert_eq!(moment("2026-11-27T10:55:58Z", now).text, "1 day ago");
        assert_eq!(moment("2026-11-30T10:55:58Z", now).text, "in 2 days");
        assert_eq!(moment("garbage", now).text, "garbage");
        assert_eq!(wait(30), "30 seconds");
        assert_eq!(wait(900), "15 minutes");
        assert_eq!(day("2026-11-28T10:55:58Z"), "2026-11-28");
    }

    #[test]
    fn hostile_values_are_escaped() {
        let page = MessagePage {
            title: "t",
            nav: None,
            active: "",
            width: "narrow",
            heading: "h",
            text: "<script>alert(1)</script>\"'".into(),
            link_href: "/",
            link_text: "x",
        };
        let html = page.render().unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;"),
            "{html}"
        );
    }
}
