//! The compact encoding of token entries (schema 3). An id that is one of
//! guestlist's own (22 base64url characters, 128 bits) is stored as its 16
//! bytes; numbers are varints (postcard); field names are not stored. A
//! minted entry (no description, user agent or address) takes 45 bytes
//! where its JSON took 212, a browser login's 159 where it took 326; the
//! rows of the per-user and expiry indexes 34 and 42 bytes where their
//! text took 44 and 52 (measured 2026-12-07).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::store::{StoreError, TokenRecord};

/// First byte of an id stored as the 16 bytes it was made of.
const RAW: u8 = 1;
/// First byte of an id stored as its text (imported ids of another shape).
const TEXT: u8 = 2;
/// First byte of an entry: its layout, so a later one can be told apart.
const ENTRY_LAYOUT: u8 = 1;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

/// The stored form of an id: tagged, so two different texts never meet.
pub(super) fn id(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(17);
    let mut raw = [0u8; 16];
    let decoded = URL_SAFE_NO_PAD.decode_slice(text.as_bytes(), &mut raw);
    // Only the canonical spelling goes raw, so that decoding gives it back.
    if text.len() == 22 && decoded == Ok(16) && URL_SAFE_NO_PAD.encode(raw) == text {
        out.push(RAW);
        out.extend_from_slice(&raw);
    } else {
        out.push(TEXT);
        out.extend_from_slice(text.as_bytes());
    }
    out
}

/// The text of a stored id.
pub(super) fn id_text(stored: &[u8]) -> Result<String, StoreError> {
    match stored.split_first() {
        Some((&RAW, raw)) if raw.len() == 16 => Ok(URL_SAFE_NO_PAD.encode(raw)),
        Some((&TEXT, text)) => std::str::from_utf8(text)
            .map(str::to_owned)
            .map_err(|_| corrupt("an id is not text")),
        _ => Err(corrupt("an id has an unknown tag")),
    }
}

/// An entry as stored, without its jti (the table's key).
#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    user: &'a [u8],
    created_at: u64,
    created_us: u64,
    last_used_at: u64,
    expires_at: u64,
    description: &'a str,
    user_agent: &'a str,
    ip: &'a str,
}

/// The stored value of an entry.
pub(super) fn entry(record: &TokenRecord) -> Result<Vec<u8>, StoreError> {
    let user = id(&record.user_id);
    let entry = Entry {
        user: &user,
        created_at: record.created_at,
        created_us: record.created_us,
        last_used_at: record.last_used_at,
        expires_at: record.expires_at,
        description: &record.description,
        user_agent: &record.user_agent,
        ip: &record.ip,
    };
    postcard::to_extend(&entry, vec![ENTRY_LAYOUT]).map_err(|_| corrupt("entry encoding"))
}

/// The fields of a stored value, its layout byte checked.
fn fields(value: &[u8]) -> Result<Entry<'_>, StoreError> {
    let body = match value.split_first() {
        Some((&ENTRY_LAYOUT, body)) => body,
        _ => return Err(corrupt("an entry has an unknown layout")),
    };
    postcard::from_bytes(body).map_err(|_| corrupt("an entry cannot be read"))
}

/// The entry stored under `jti` (the stored id) as `value`.
pub(super) fn record(jti: &[u8], value: &[u8]) -> Result<TokenRecord, StoreError> {
    let entry = fields(value)?;
    Ok(TokenRecord {
        jti: id_text(jti)?,
        user_id: id_text(entry.user)?,
        description: entry.description.to_owned(),
        user_agent: entry.user_agent.to_owned(),
        ip: entry.ip.to_owned(),
        created_at: entry.created_at,
        created_us: entry.created_us,
        last_used_at: entry.last_used_at,
        expires_at: entry.expires_at,
    })
}

/// The user id of a stored entry, without decoding the rest as text.
pub(super) fn owner_of(value: &[u8]) -> Result<Vec<u8>, StoreError> {
    Ok(fields(value)?.user.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(jti: &str, user_id: &str) -> TokenRecord {
        TokenRecord {
            jti: jti.into(),
            user_id: user_id.into(),
            description: "laptop «Ä»".into(),
            user_agent: "curl/8".into(),
            ip: "127.0.0.1".into(),
            created_at: 1_780_000_000,
            created_us: 1_780_000_000_123_456,
            last_used_at: 1_780_000_100,
            expires_at: 1_780_172_800,
        }
    }

    #[test]
    fn ids_of_every_shape_come_back_as_they_went_in() {
        let own = crate::auth::ids::random_id().unwrap();
        for text in [own.as_str(), "jti-1", "", "AAAAAAAAAAAAAAAAAAAAAB", "ÄÖ/="] {
            let stored = id(text);
            assert_eq!(id_text(&stored).unwrap(), text, "{text}");
        }
        assert_eq!(id(&own).len(), 17, "guestlist's own ids go raw");
        // 22 characters whose last one carries bits past the 128: not
        // canonical, so stored as text (raw would give another spelling).
        assert_eq!(id("AAAAAAAAAAAAAAAAAAAAAB")[0], TEXT);
    }

    #[test]
    fn an_entry_comes_back_as_it_went_in_and_is_small() {
        let jti = crate::auth::ids::random_id().unwrap();
        let user = crate::auth::ids::random_id().unwrap();
        let original = sample(&jti, &user);
        let stored = entry(&original).unwrap();
        assert_eq!(record(&id(&jti), &stored).unwrap(), original);
        assert_eq!(owner_of(&stored).unwrap(), id(&user));
        let json = serde_json::to_vec(&original).unwrap();
        assert!(
            stored.len() * 3 < json.len(),
            "{} vs {}",
            stored.len(),
            json.len()
        );
    }

    #[test]
    fn damaged_entries_are_errors_not_panics() {
        for bad in [
            &[][..],
            &[9, 1, 2],
            &[ENTRY_LAYOUT],
            &[ENTRY_LAYOUT, 200, 200],
        ] {
            assert!(record(&id("j"), bad).is_err());
            assert!(owner_of(bad).is_err());
        }
        assert!(id_text(&[RAW, 1, 2]).is_err());
        assert!(id_text(&[7]).is_err());
    }
}
