//! The root key: AES-256-GCM over every piece of secret material before it reaches storage.
//! The associated data names what is sealed (for example `signing-key/<tenant>/<kid>`), so a
//! sealed value copied into another row does not open there.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::StoreError;

/// Environment variable that supplies the root key (standard base64 of 32 bytes) instead of the
/// `root.key` file in the data directory.
pub const ROOT_KEY_ENV: &str = "SKYBRIDGE_ROOT_KEY";

const FORMAT_V1: u8 = 1;

/// The key that seals secrets at rest.
pub struct RootKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKey(..)")
    }
}

impl RootKey {
    /// Builds a root key from 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| StoreError::RootKey("the root key must be exactly 32 bytes".into()))?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
        })
    }

    /// Uses `SKYBRIDGE_ROOT_KEY` when set; otherwise reads `path`, creating it (mode 0600) with
    /// fresh random bytes on first use. A key file readable by others is refused.
    pub fn load_or_create(path: &Path) -> Result<Self, StoreError> {
        if let Ok(value) = std::env::var(ROOT_KEY_ENV) {
            let bytes = STANDARD.decode(value.trim()).map_err(|_| {
                StoreError::RootKey(format!("{ROOT_KEY_ENV} is not standard base64"))
            })?;
            return Self::from_bytes(&bytes);
        }
        match std::fs::read(path) {
            Ok(bytes) => {
                let mode = std::fs::metadata(path)
                    .map_err(|e| StoreError::RootKey(format!("{}: {e}", path.display())))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(StoreError::RootKey(format!(
                        "{} is accessible by other users (mode {:o}); run chmod 600 on it",
                        path.display(),
                        mode & 0o777
                    )));
                }
                Self::from_bytes(&bytes)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                aws_lc_rs::rand::fill(&mut bytes)
                    .map_err(|_| StoreError::RootKey("no randomness available".into()))?;
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| StoreError::RootKey(format!("{}: {e}", path.display())))?;
                file.write_all(&bytes)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| StoreError::RootKey(format!("{}: {e}", path.display())))?;
                Self::from_bytes(&bytes)
            }
            Err(e) => Err(StoreError::RootKey(format!("{}: {e}", path.display()))),
        }
    }

    /// Seals `plaintext`: `1 || nonce || ciphertext || tag`.
    pub fn seal(&self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| StoreError::RootKey("no randomness available".into()))?;
        let mut buffer = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut buffer,
            )
            .map_err(|_| StoreError::RootKey("sealing failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buffer.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buffer);
        Ok(out)
    }

    /// Opens what [`RootKey::seal`] produced with the same associated data.
    pub fn open(&self, aad: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != FORMAT_V1 {
            return Err(StoreError::Unseal);
        }
        let nonce = Nonce::try_assume_unique_for_key(&sealed[1..1 + NONCE_LEN])
            .map_err(|_| StoreError::Unseal)?;
        let mut buffer = sealed[1 + NONCE_LEN..].to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut buffer)
            .map_err(|_| StoreError::Unseal)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let key = RootKey::from_bytes(&[7u8; 32]).unwrap();
        let sealed = key.seal("signing-key/a", b"secret bytes").unwrap();
        assert!(!sealed.windows(12).any(|w| w == b"secret bytes"));
        assert_eq!(key.open("signing-key/a", &sealed).unwrap(), b"secret bytes");
        assert!(matches!(
            key.open("signing-key/b", &sealed),
            Err(StoreError::Unseal)
        ));
        let other = RootKey::from_bytes(&[8u8; 32]).unwrap();
        assert!(matches!(
            other.open("signing-key/a", &sealed),
            Err(StoreError::Unseal)
        ));
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(matches!(
            key.open("signing-key/a", &tampered),
            Err(StoreError::Unseal)
        ));
        assert!(matches!(key.open("x", &[1, 2]), Err(StoreError::Unseal)));
    }

    #[test]
    fn file_is_created_private_and_reloaded() {
        let dir = std::env::temp_dir().join(format!("sb-rootkey-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("root.key");
        let _ = std::fs::remove_file(&path);
        let a = RootKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = a.seal("x", b"y").unwrap();
        let b = RootKey::load_or_create(&path).unwrap();
        assert_eq!(b.open("x", &sealed).unwrap(), b"y");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(RootKey::load_or_create(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
