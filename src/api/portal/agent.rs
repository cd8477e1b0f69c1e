//! A browser and an operating system named from a `User-Agent`, for the
//! devices page. A small classifier by hand: the page needs "Firefox on
//! Windows", not a database of every build, and a wrong guess costs
//! nothing (the raw string is shown beside it). The order of the checks
//! matters: most browsers also claim to be the ones before them.

/// What the devices page says about a user agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub browser: String,
    pub os: Option<&'static str>,
}

/// Browsers by the token that names them, most specific first.
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Vivaldi/", "Vivaldi"),
    ("YaBrowser/", "Yandex Browser"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
];

/// Programs that are not browsers, by their leading product token.
const TOOLS: &[(&str, &str)] = &[
    ("curl/", "curl"),
    ("Wget/", "Wget"),
    ("reqwest/", "reqwest"),
    ("python-requests/", "Python requests"),
    ("python-httpx/", "Python httpx"),
    ("Go-http-client/", "Go"),
    ("PostmanRuntime/", "Postman"),
    ("okhttp/", "OkHttp"),
    ("node-fetch", "Node.js"),
    ("HTTPie/", "HTTPie"),
];

/// Operating systems by a token, most specific first.
const SYSTEMS: &[(&str, &str)] = &[
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("FreeBSD", "FreeBSD"),
    ("OpenBSD", "OpenBSD"),
    ("Linux", "Linux"),
];

pub fn name(agent: &str) -> Named {
    let os = SYSTEMS
        .iter()
        .find(|(token, _)| agent.contains(token))
        .map(|(_, os)| *os);
    Named {
        browser: browser(agent),
        os,
    }
}

fn browser(agent: &str) -> String {
    if agent.trim().is_empty() {
        return "Unknown client".to_owned();
    }
    if let Some((token, tool)) = TOOLS.iter().find(|(t, _)| agent.starts_with(t)) {
        return with_version(tool, agent, token);
    }
    if let Some((token, name)) = BROWSERS.iter().find(|(t, _)| agent.contains(t)) {
        return with_version(name, agent, token);
    }
    // Safari says `Version/17.1 ... Safari/605`; others say Safari too.
    if agent.contains("Safari/") && agent.contains("Version/") {
        return with_version("Safari", agent, "Version/");
    }
    // Whatever it calls itself first, shortened: it is shown escaped.
    let product = agent.split(['/', ' ']).next().unwrap_or(agent);
    product.chars().take(40).collect()
}

/// `name` and the major version after `token`, if there is one.
fn with_version(name: &str, agent: &str, token: &str) -> String {
    let version = agent
        .split_once(token)
        .map(|(_, rest)| rest.split(['.', ' ', ';', ')']).next().unwrap_or(""))
        .filter(|v| !v.is_empty() && v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit()));
    match version {
        Some(version) => format!("{name} {version}"),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(agent: &str) -> (String, Option<&'static str>) {
        let named = name(agent);
        (named.browser, named.os)
    }

    #[test]
    fn common_browsers_and_systems_are_named() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome 131",
                Some("Windows"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
                "Edge 131",
                Some("Windows"),
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox 133",
                Some("Linux"),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari 18",
                Some("macOS"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari 18",
                Some("iOS"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36",
                "Chrome 131",
                Some("Android"),
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
                "Headless Chrome 156",
                Some("Linux"),
            ),
            ("curl/8.5.0", "curl 8", None),
            ("", "Unknown client", None),
        ];
        for (agent, browser, os) in cases {
            assert_eq!(named(agent), (browser.to_owned(), os), "{agent}");
        }
    }

    #[test]
    fn anything_else_is_its_first_word_shortened() {
        assert_eq!(named("MyScript/1.0 (bot)").0, "MyScript");
        let long = "<script>".repeat(10);
        assert_eq!(named(&long).0.chars().count(), 40);
    }
}
