//! HS256 tokens: issued with `sub`, `jti`, `iat`, `exp`, `iss`; verified
//! strictly (one algorithm, no leeway, every claim required, `iat` not in
//! the future, expired at `exp` to the second).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AuthError;

pub const ISSUER: &str = "guestlist";
/// RFC 7518 §3.2: an HS256 key has at least 256 bits.
pub const MIN_SECRET_LEN: usize = 32;
/// 9999-12-31T23:59:59Z, the last time RFC 3339 can write.
const LAST_DATE: u64 = 253_402_300_799;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    pub sub: String,
    pub jti: String,
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
}

/// Why a presented token was refused. Clients only ever learn "invalid".
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    Signature,
    Expired,
    IssuedInFuture,
}

/// The signing and verifying keys, built once at start.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// The header segments accepted: ours, `{"alg":"HS256","typ":"JWT"}` in
    /// either key order. Anything else (`kid`, `jku`, `jwk`, `crit`, other
    /// spellings of the alg) is refused before decoding: no header field
    /// can steer the check.
    headers: [String; 2],
    /// Root of the keys derived for other purposes (see [`Keys::derive`]),
    /// so the secret itself is kept by the JWT keys only.
    derived_root: [u8; 32],
}

impl Keys {
    /// Builds the keys and proves one sign-and-verify round trip, so a
    /// broken crypto backend fails the start, not the first login.
    pub fn new(secret: &[u8]) -> Result<Keys, AuthError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(AuthError::SecretTooShort {
                min: MIN_SECRET_LEN,
                got: secret.len(),
            });
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.set_issuer(&[ISSUER]);
        let keys = Keys {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            headers: [
                r#"{"typ":"JWT","alg":"HS256"}"#,
                r#"{"alg":"HS256","typ":"JWT"}"#,
            ]
            .map(|h| URL_SAFE_NO_PAD.encode(h)),
            derived_root: hmac_sha256(secret, b"guestlist derived keys v1"),
        };
        keys.self_test()?;
        Ok(keys)
    }

    pub fn issue(&self, claims: &Claims) -> Result<String, AuthError> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature and claims as of `now` (Unix seconds).
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims, Rejected> {
        let header = token.split('.').next().unwrap_or_default();
        if !self.headers.iter().any(|ours| ours == header) {
            return Err(Rejected::Signature);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| Rejected::Signature)?;
        let claims = data.claims;
        if claims.iss != ISSUER || claims.sub.is_empty() || claims.jti.is_empty() {
            return Err(Rejected::Signature);
        }
        // An exp past year 9999 is no date we would issue (nor render).
        if claims.exp > LAST_DATE {
            return Err(Rejected::Signature);
        }
        if claims.exp <= now {
            return Err(Rejected::Expired);
        }
        if claims.iat > now {
            return Err(Rejected::IssuedInFuture);
        }
        Ok(claims)
    }

    /// A key for `purpose` (e.g. the portal's anti-CSRF tokens), derived
    /// from the signing secret: one secret to keep, one rotation for all.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.derived_root, purpose.as_bytes())
    }

    fn self_test(&self) -> Result<(), AuthError> {
        let now = crate::time::now_secs();
        let claims = Claims {
            sub: "self-test".into(),
            jti: "self-test".into(),
            iat: now,
            exp: now + 60,
            iss: ISSUER.into(),
        };
        let token = self.issue(&claims)?;
        match self.verify(&token, now) {
            Ok(back) if back == claims => Ok(()),
            _ => Err(AuthError::SelfTest),
        }
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    // HMAC takes keys of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims(now: u64) -> Claims {
        Claims {
            sub: "u".into(),
            jti: "j".into(),
            iat: now,
            exp: now + 60,
            iss: ISSUER.into(),
        }
    }

    /// Signs an arbitrary header and payload with HS256 and `secret`.
    fn forge(header: &str, payload: &str, secret: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let input = format!("{}.{}", B64.encode(header), B64.encode(payload));
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(input.as_bytes());
        format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_short_secret_is_refused() {
        assert!(matches!(
            Keys::new(b"short"),
            Err(AuthError::SecretTooShort { .. })
        ));
    }

    #[test]
    fn issued_tokens_verify_until_exp_exclusive() {
        let keys = Keys::new(SECRET).unwrap();
        let now = crate::time::now_secs();
        let token = keys.issue(&claims(now)).unwrap();
        assert_eq!(keys.verify(&token, now), Ok(claims(now)));
        assert_eq!(keys.verify(&token, now + 59).map(|c| c.jti), Ok("j".into()));
        assert!(
            keys.verify(&token, now + 60).is_err(),
            "expired at exp exactly"
        );
        assert_eq!(keys.verify(&token, now - 1), Err(Rejected::IssuedInFuture));
    }

    #[test]
    fn other_secrets_algorithms_and_claim_shapes_are_refused() {
        let keys = Keys::new(SECRET).unwrap();
        let now = crate::time::now_secs();
        let hs256 = r#"{"typ":"JWT","alg":"HS256"}"#;
        let ok = format!(
            r#"{{"sub":"u","jti":"j","iat":{now},"exp":{},"iss":"guestlist"}}"#,
            now + 60
        );
        assert!(
            keys.verify(&forge(hs256, &ok, SECRET), now).is_ok(),
            "control"
        );
        let bad_payloads = [
            format!(
                r#"{{"sub":"u","jti":"j","iat":{now},"exp":"{}","iss":"guestlist"}}"#,
                now + 60
            ),
            format!(
                r#"{{"sub":"u","jti":"j","iat":{now},"exp":{}.5,"iss":"guestlist"}}"#,
                now + 60
            ),
            format!(r#"{{"sub":"u","jti":"j","iat":{now},"exp":-1,"iss":"guestlist"}}"#),
            format!(r#"{{"sub":"u","jti":"j","iat":{now},"exp":1e30,"iss":"guestlist"}}"#),
            format!(
                r#"{{"jti":"j","iat":{now},"exp":{},"iss":"guestlist"}}"#,
                now + 60
            ),
            format!(
                r#"{{"sub":"u","iat":{now},"exp":{},"iss":"guestlist"}}"#,
                now + 60
            ),
            format!(
                r#"{{"sub":"u","jti":"j","exp":{},"iss":"guestlist"}}"#,
                now + 60
            ),
            format!(r#"{{"sub":"u","jti":"j","iat":{now},"iss":"guestlist"}}"#),
            format!(r#"{{"sub":"u","jti":"j","iat":{now},"exp":{}}}"#, now + 60),
            format!(
                r#"{{"sub":"u","jti":"j","iat":{now},"exp":{},"iss":"other"}}"#,
                now + 60
            ),
            format!(
                r#"{{"sub":"u","jti":"j","iat":{now},"exp":{},"iss":"guestlist","aud":"x"}}"#,
                now + 60
            ),
            "[1,2,3]".to_string(),
        ];
        for payload in &bad_payloads {
            assert!(
                keys.verify(&forge(hs256, payload, SECRET), now).is_err(),
                "{payload}"
            );
        }
        for header in [
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"None"}"#,
            r#"{"alg":"NONE"}"#,
            r#"{"alg":"HS512"}"#,
            r#"{"alg":"RS256"}"#,
            r#"{"alg":"ES256"}"#,
        ] {
            assert!(
                keys.verify(&forge(header, &ok, SECRET), now).is_err(),
                "{header}"
            );
        }
        let other = forge(hs256, &ok, b"another secret of thirty-two bytes!!");
        assert!(keys.verify(&other, now).is_err());
    }
}
