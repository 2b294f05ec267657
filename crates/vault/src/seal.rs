//! Envelope encryption at rest: each object version's material (a private key, a secret value)
//! is sealed with its own random data key, and only that data key is sealed with the root key.
//! Both layers are AES-256-GCM bound to the object's identity, so a blob copied to another row
//! does not open.

use skybridge_store::RootKey;

use crate::error::VaultError;

/// The two stored parts: the wrapped data key and the sealed material.
pub struct Sealed {
    /// The data key, sealed with the root key.
    pub wrapped_key: Vec<u8>,
    /// The material, sealed with the data key.
    pub sealed: Vec<u8>,
}

fn dek_aad(aad: &str) -> String {
    format!("vault-dek/{aad}")
}

/// Seals `plaintext` for the object named by `aad`.
pub fn seal(root: &RootKey, aad: &str, plaintext: &[u8]) -> Result<Sealed, VaultError> {
    let mut dek = [0u8; 32];
    aws_lc_rs::rand::fill(&mut dek).map_err(|_| VaultError::Internal("no randomness".into()))?;
    let data_key = RootKey::from_bytes(&dek)?;
    let sealed = data_key.seal(aad, plaintext)?;
    let wrapped_key = root.seal(&dek_aad(aad), &dek)?;
    dek.fill(0);
    Ok(Sealed {
        wrapped_key,
        sealed,
    })
}

/// Opens what [`seal`] produced.
pub fn open(
    root: &RootKey,
    aad: &str,
    wrapped_key: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let mut dek = root.open(&dek_aad(aad), wrapped_key)?;
    let data_key = RootKey::from_bytes(&dek);
    dek.fill(0);
    Ok(data_key?.open(aad, sealed)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let root = RootKey::from_bytes(&[9; 32]).unwrap();
        let s = seal(&root, "kv/secret/a/1", b"top secret value").unwrap();
        assert!(!s.sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            open(&root, "kv/secret/a/1", &s.wrapped_key, &s.sealed).unwrap(),
            b"top secret value"
        );
        assert!(open(&root, "kv/secret/a/2", &s.wrapped_key, &s.sealed).is_err());
        let other = RootKey::from_bytes(&[8; 32]).unwrap();
        assert!(open(&other, "kv/secret/a/1", &s.wrapped_key, &s.sealed).is_err());
    }
}
