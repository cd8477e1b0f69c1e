//! The signing secret: from `GUESTLIST_SECRET`, else a file in the data
//! folder, generated with mode 0600 on first start and reused after.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::auth::{self, jwt::MIN_SECRET_LEN};

pub const SECRET_FILE: &str = "secret";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("GUESTLIST_SECRET must be at least {MIN_SECRET_LEN} bytes, got {0}")]
    TooShort(usize),
    #[error("the secret file {path} is unreadable or damaged: {reason}")]
    Damaged { path: String, reason: String },
    #[error("cannot write the secret file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Random(#[from] auth::AuthError),
}

/// The secret to sign with.
pub fn load(data_dir: &Path, configured: Option<&[u8]>) -> Result<Vec<u8>, SecretError> {
    if let Some(secret) = configured {
        return check(secret.to_vec());
    }
    let path = data_dir.join(SECRET_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => decode(&path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(&path),
        Err(e) => Err(damaged(&path, e.to_string())),
    }
}

/// A configured secret, refused when too short.
pub fn check(secret: Vec<u8>) -> Result<Vec<u8>, SecretError> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(SecretError::TooShort(secret.len()));
    }
    Ok(secret)
}

/// A keyed fingerprint of the secret, safe to store where other nodes can
/// compare it: it tells whether two secrets are equal, and nothing else.
pub fn fingerprint(secret: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(b"guestlist secret fingerprint v1");
    STANDARD.encode(mac.finalize().into_bytes())
}

fn decode(path: &Path, text: &str) -> Result<Vec<u8>, SecretError> {
    let secret = STANDARD
        .decode(text.trim())
        .map_err(|e| damaged(path, e.to_string()))?;
    if secret.len() < MIN_SECRET_LEN {
        return Err(damaged(path, format!("only {} bytes", secret.len())));
    }
    Ok(secret)
}

fn create(path: &Path) -> Result<Vec<u8>, SecretError> {
    let secret = auth::ids::random_bytes(MIN_SECRET_LEN)?;
    let write_err = |source| SecretError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(write_err)?;
    file.write_all(format!("{}\n", STANDARD.encode(&secret)).as_bytes())
        .map_err(write_err)?;
    file.sync_all().map_err(write_err)?;
    Ok(secret)
}

fn damaged(path: &Path, reason: String) -> SecretError {
    SecretError::Damaged {
        path: path.display().to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_generated_secret_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load(dir.path(), None).unwrap();
        assert_eq!(first.len(), MIN_SECRET_LEN);
        let mode = fs::metadata(dir.path().join(SECRET_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load(dir.path(), None).unwrap(), first);
    }

    #[test]
    fn a_short_configured_secret_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(dir.path(), Some(b"short")),
            Err(SecretError::TooShort(5))
        ));
        assert!(load(dir.path(), Some(&[7u8; 32])).is_ok());
    }
}
