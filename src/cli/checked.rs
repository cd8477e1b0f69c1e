//! Reading an export file for `guestlist import`: every line parsed and
//! checked before the database is touched, so a bad file names its line
//! and changes nothing.

use std::collections::HashSet;
use std::io::BufRead;

use crate::rules::{self as names, DESCRIPTION_MAX};
use crate::store::export::{Record, VERSION};
use crate::store::fold;

/// The records of a valid file, each with its line number.
#[derive(Debug, Default)]
pub struct Checked {
    pub records: Vec<Record>,
    pub lines: Vec<usize>,
    /// Token entries left out because they expired since the export.
    pub expired: u64,
}

/// What has been seen so far, to check uniqueness and references.
#[derive(Default)]
struct Seen {
    user_ids: HashSet<String>,
    usernames: HashSet<String>,
    emails: HashSet<String>,
    roles: HashSet<String>,
    jtis: HashSet<String>,
    records: u64,
    ended: bool,
}

/// Reads and checks a whole export; the error is one line naming the line.
pub fn read(input: impl BufRead, now: u64) -> Result<Checked, String> {
    let mut checked = Checked::default();
    let mut seen = Seen::default();
    let mut last = 0;
    for (index, line) in input.lines().enumerate() {
        let number = index + 1;
        last = number;
        let at = |reason: String| format!("line {number}: {reason}");
        let line = line.map_err(|e| at(format!("unreadable: {e}")))?;
        let record = Record::from_line(&line).map_err(at)?;
        seen.check(number, &record).map_err(|r| at(r.to_owned()))?;
        if matches!(&record, Record::Token(t) if t.expires_at <= now) {
            checked.expired += 1;
            continue;
        }
        checked.records.push(record);
        checked.lines.push(number);
    }
    if last == 0 {
        return Err("the file is empty: not a guestlist export".into());
    }
    if !seen.ended {
        return Err(format!(
            "line {last}: the file ends without its end line (it is truncated)"
        ));
    }
    Ok(checked)
}

impl Seen {
    fn check(&mut self, number: usize, record: &Record) -> Result<(), &'static str> {
        if number == 1 {
            return match record {
                Record::Header { version } if *version == VERSION => Ok(()),
                Record::Header { .. } => Err("unsupported export version (this guestlist reads 1)"),
                _ => Err("not a guestlist export: the first line must be its header"),
            };
        }
        if self.ended {
            return Err("a line after the end line");
        }
        match record {
            Record::Header { .. } => Err("a second header"),
            Record::End { records } if *records != self.records => {
                Err("the end line counts a different number of records (lines are missing)")
            }
            Record::End { .. } => {
                self.ended = true;
                Ok(())
            }
            other => {
                self.records += 1;
                self.check_data(other)
            }
        }
    }

    fn check_data(&mut self, record: &Record) -> Result<(), &'static str> {
        match record {
            Record::User(user) => {
                if user.id.is_empty() || user.id.len() > 128 {
                    return Err("a user id must be 1 to 128 characters");
                }
                if !names::username_ok(&user.username) {
                    return Err("invalid username");
                }
                if !names::email_ok(&user.email) {
                    return Err("invalid email");
                }
                if !(user.password_hash.starts_with("$2") && user.password_hash.len() == 60) {
                    return Err("the password hash is not a bcrypt hash");
                }
                unique(
                    &mut self.user_ids,
                    &user.id,
                    "a user with this id came before",
                )?;
                unique(
                    &mut self.usernames,
                    &fold(&user.username),
                    "username already taken",
                )?;
                unique(&mut self.emails, &fold(&user.email), "email already taken")
            }
            Record::Role(role) => {
                if !names::role_ok(&role.name) {
                    return Err("invalid role name");
                }
                let chars = role.description.chars().count();
                if !(1..=DESCRIPTION_MAX).contains(&chars) {
                    return Err("a role description must be 1 to 200 characters");
                }
                unique(
                    &mut self.roles,
                    &role.name,
                    "a role with this name came before",
                )
            }
            Record::UserRole { user_id, role } => {
                if !self.user_ids.contains(user_id) {
                    return Err("the link's user is not among the users above");
                }
                if !self.roles.contains(role) {
                    return Err("the link's role is not among the roles above");
                }
                Ok(())
            }
            Record::Token(token) => {
                if token.jti.is_empty() || token.jti.len() > 128 {
                    return Err("a token id must be 1 to 128 characters");
                }
                if !self.user_ids.contains(&token.user_id) {
                    return Err("the token's user is not among the users above");
                }
                unique(
                    &mut self.jtis,
                    &token.jti,
                    "a token with this id came before",
                )
            }
            Record::Header { .. } | Record::End { .. } => Ok(()),
        }
    }
}

fn unique(set: &mut HashSet<String>, key: &str, reason: &'static str) -> Result<(), &'static str> {
    if set.insert(key.to_owned()) {
        Ok(())
    } else {
        Err(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"{"type":"guestlist-export","version":1}"#;
    const ROLE: &str = r#"{"type":"role","name":"admin","description":"admins","created_at":"2026-11-28T10:55:58Z"}"#;

    fn check(lines: &[&str]) -> Result<Checked, String> {
        read(lines.join("\n").as_bytes(), 0)
    }

    #[test]
    fn a_minimal_file_passes() {
        let end = r#"{"type":"end","records":1}"#;
        let checked = check(&[HEADER, ROLE, end]).unwrap();
        assert_eq!(checked.lines, vec![1, 2, 3]);
    }

    #[test]
    fn errors_name_their_line() {
        assert_eq!(
            check(&[]).unwrap_err(),
            "the file is empty: not a guestlist export"
        );
        assert!(
            check(&[ROLE])
                .unwrap_err()
                .starts_with("line 1: not a guestlist export")
        );
        assert!(check(&[HEADER, "{"]).unwrap_err().starts_with("line 2: "));
        assert!(check(&[HEADER, ROLE]).unwrap_err().contains("truncated"));
        let dup = check(&[HEADER, ROLE, ROLE]).unwrap_err();
        assert_eq!(dup, "line 3: a role with this name came before");
        let link = r#"{"type":"user_role","user_id":"x","role":"admin"}"#;
        assert!(
            check(&[HEADER, ROLE, link])
                .unwrap_err()
                .starts_with("line 3: the link's user")
        );
        let bad_time = ROLE.replace("2026-11-28T10:55:58Z", "yesterday");
        assert!(
            check(&[HEADER, &bad_time])
                .unwrap_err()
                .contains("RFC 3339")
        );
        let short = r#"{"type":"end","records":0}"#;
        assert!(
            check(&[HEADER, ROLE, short])
                .unwrap_err()
                .contains("missing")
        );
    }
}
