//! Times on the wire: RFC 3339 UTC to the second.

use std::time::{Duration, UNIX_EPOCH};

pub fn rfc3339(unix_secs: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix_secs)).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc_seconds() {
        assert_eq!(super::rfc3339(1_795_863_358), "2026-11-28T10:55:58Z");
    }
}
