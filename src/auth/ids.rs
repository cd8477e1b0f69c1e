//! Random identifiers: 128 bits from the OS generator, base64url.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::AuthError;

/// 16 random bytes as 22 base64url characters (ASVS: ≥ 128 bits, CSPRNG).
pub fn random_id() -> Result<String, AuthError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// `n` random bytes, for secrets.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, AuthError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 22 base64url characters: 128 bits, unpadded.
    fn is_well_formed(s: &str) -> bool {
        s.len() == 22
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    #[test]
    fn ids_are_distinct_and_well_formed() {
        let a = random_id().unwrap();
        let b = random_id().unwrap();
        assert_ne!(a, b);
        assert!(is_well_formed(&a), "{a}");
        assert!(!is_well_formed("short"));
        assert!(!is_well_formed("aaaaaaaaaaaaaaaaaaaaa/"));
    }
}
