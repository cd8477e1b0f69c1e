//! The sign-in portal in a real browser behind a real proxy: headless
//! Debian chromium over WebDriver (chromedriver, through `fantoccini`),
//! nginx serving HTTPS with a throwaway certificate, `auth_request` in
//! front of a small upstream. Skipped with a note when chromium,
//! chromedriver, nginx or openssl is missing, except under `CI`, where
//! that fails (`.ci/run` installs them). Screenshots of every page go to
//! `target/screenshots/`.
//!
//! - `flow`: a protected URL, the portal, back to the URL; the devices
//!   page with the browser and an API token; revocations both ways; the
//!   admin's users page.
//! - `attacks`: hostile device names and user agents, forms posted from
//!   other origins, open redirects, the cookie's flags, one answer for a
//!   wrong password and an unknown user, the brute-force limits.

#[path = "../common/mod.rs"]
mod common;

mod attacks;
mod flow;
mod proxy;
mod rig;
