//! Reading the token out of an `Authorization` header value.
//!
//! Accepted: `Bearer <token>` with the scheme in any case and one or more
//! spaces, or the bare token (what the tutorial's clients send). The token
//! must be three base64url segments; the third, the HMAC-SHA256 signature,
//! is what the cache is keyed by: 43 bytes nobody can produce without the
//! secret.

/// Longest value looked at; anything longer is refused before decoding.
pub const MAX_VALUE_LEN: usize = 4096;
/// Length of an HS256 signature in unpadded base64url.
pub const SIGNATURE_LEN: usize = 43;

/// The cache key of a token: its signature segment.
pub type SignatureKey = [u8; SIGNATURE_LEN];

/// What an `Authorization` value holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented<'a> {
    /// No credentials at all (empty value).
    Nothing,
    /// Something that cannot be one of our tokens.
    Malformed,
    /// A well-shaped token and its signature key.
    Token { token: &'a str, key: SignatureKey },
}

/// Parses a raw header value. Never allocates, never panics.
pub fn parse(value: &[u8]) -> Presented<'_> {
    if value.len() > MAX_VALUE_LEN {
        return Presented::Malformed;
    }
    let value = value.trim_ascii();
    if value.is_empty() {
        return Presented::Nothing;
    }
    let token = match strip_bearer(value) {
        Some(rest) => rest.trim_ascii_start(),
        None if value.contains(&b' ') => return Presented::Malformed,
        None => value,
    };
    shaped_token(token).map_or(Presented::Malformed, |(token, key)| Presented::Token {
        token,
        key,
    })
}

/// The token's signed part (header, payload and the dot after them) and
/// its signature key, found without looking at its characters. Only for
/// comparing with the bytes of a token [`parse`] accepted before (the
/// cache's front): on its own it accepts nothing.
#[inline]
pub fn split(value: &[u8]) -> Option<(&[u8], SignatureKey)> {
    if value.len() > MAX_VALUE_LEN {
        return None;
    }
    let value = value.trim_ascii();
    let token = strip_bearer(value).map_or(value, <[u8]>::trim_ascii_start);
    let (signed, signature) = token.split_at_checked(token.len().checked_sub(SIGNATURE_LEN)?)?;
    if signed.last() != Some(&b'.') {
        return None;
    }
    Some((signed, signature.try_into().ok()?))
}

/// The rest after a case-insensitive `Bearer` and at least one space.
fn strip_bearer(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer";
    let (scheme, rest) = value.split_at_checked(SCHEME.len())?;
    (scheme.eq_ignore_ascii_case(SCHEME) && rest.first() == Some(&b' ')).then_some(rest)
}

fn shaped_token(token: &[u8]) -> Option<(&str, SignatureKey)> {
    if !token
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return None;
    }
    let mut segments = token.split(|&b| b == b'.');
    let (header, payload, signature) = (segments.next()?, segments.next()?, segments.next()?);
    if segments.next().is_some() || header.is_empty() || payload.is_empty() {
        return None;
    }
    let key: SignatureKey = signature.try_into().ok()?;
    // All bytes were checked to be ASCII above.
    let token = std::str::from_utf8(token).ok()?;
    Some((token, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

    fn tok() -> String {
        format!("eyJh.eyJz.{SIG}")
    }

    fn is_token(p: Presented<'_>) -> bool {
        matches!(p, Presented::Token { key, .. } if key == SIG.as_bytes())
    }

    #[test]
    fn bearer_in_any_case_and_the_bare_token_are_accepted() {
        let t = tok();
        for value in [
            format!("Bearer {t}"),
            format!("bearer {t}"),
            format!("BEARER {t}"),
            format!("Bearer   {t}"),
            format!("  {t}  "),
            t.clone(),
        ] {
            assert!(is_token(parse(value.as_bytes())), "{value:?}");
        }
    }

    #[test]
    fn empty_values_are_no_credentials() {
        assert_eq!(parse(b""), Presented::Nothing);
        assert_eq!(parse(b"   "), Presented::Nothing);
    }

    #[test]
    fn other_schemes_and_broken_shapes_are_malformed() {
        let sig = SIG;
        for value in [
            "Bearer".to_string(),
            "Bearer ".to_string(),
            "Basic dXNlcjpwYXNz".to_string(),
            "Bearerx.y.z".to_string(),
            "test.test.test".to_string(),
            format!("a.b.{sig}.d"),
            format!("a.{sig}"),
            format!(".b.{sig}"),
            format!("a.b.{sig}="),
            format!("a.b+.{sig}"),
            format!("a.b.{sig}x"),
            format!("Bearer a.b.{sig} extra"),
            "é.b.c".to_string(),
        ] {
            assert_eq!(parse(value.as_bytes()), Presented::Malformed, "{value:?}");
        }
    }

    #[test]
    fn split_finds_what_parse_finds_in_a_good_value() {
        let t = tok();
        for value in [format!("Bearer {t}"), format!("bearer   {t} "), t.clone()] {
            let (signed, key) = split(value.as_bytes()).expect("split");
            assert_eq!(signed, b"eyJh.eyJz.");
            assert!(is_token(parse(value.as_bytes())));
            assert_eq!(&key, SIG.as_bytes());
        }
        assert_eq!(split(b"short"), None);
        assert_eq!(split(format!("x{SIG}").as_bytes()), None, "no dot before");
    }

    #[test]
    fn oversized_values_are_refused_before_looking_inside() {
        let big = vec![b'a'; MAX_VALUE_LEN + 1];
        assert_eq!(parse(&big), Presented::Malformed);
        assert_eq!(parse(&[0xff, 0xfe, b'.', b'.']), Presented::Malformed);
    }
}
