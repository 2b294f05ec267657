//! Cache keys for tokens already verified.
//!
//! A verified-token cache must never let one token hit another token's entry, and should not
//! keep the bearer token itself. A cryptographic hash gives both, but SHA-256 over a ~1.2 KB
//! token was 3 % of a whole vault sign request and of a gateway request (docs/benchmarks.md).
//!
//! This is GMAC (AES-GCM with only additional data) under a random key made per process: a
//! Carter–Wegman MAC. GHASH is a polynomial in a secret point H, so two different tokens of at
//! most L blocks get the same tag with probability at most (L+1)/2^128 over H, whatever the
//! attacker chooses. The tags never leave the process, so nothing is learned about H; and a hit
//! only ever tells a caller that their own token was verified before. The fixed nonce is sound
//! here because nothing is encrypted: it only fixes the mask added to every tag, which cancels
//! out when two tags are compared.

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::error::JoseError;

/// A token's fingerprint: equal for the same bytes, and unequal otherwise except with
/// negligible probability.
pub type TokenFingerprint = [u8; 16];

/// Fingerprints tokens under a key made when it is created.
pub struct Fingerprinter {
    key: LessSafeKey,
}

impl Fingerprinter {
    /// A fingerprinter with a fresh random key.
    pub fn new() -> Result<Self, JoseError> {
        let mut secret = [0u8; 16];
        aws_lc_rs::rand::fill(&mut secret)
            .map_err(|_| JoseError::Crypto("random fingerprint key".into()))?;
        let key = UnboundKey::new(&AES_128_GCM, &secret)
            .map_err(|_| JoseError::Crypto("fingerprint key".into()))?;
        Ok(Self {
            key: LessSafeKey::new(key),
        })
    }

    /// The fingerprint of `token`; `None` only if aws-lc fails, and then the caller must not
    /// use its cache for this token.
    pub fn fingerprint(&self, token: &[u8]) -> Option<TokenFingerprint> {
        let nonce = Nonce::assume_unique_for_key([0u8; 12]);
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(token), &mut [])
            .ok()?;
        let mut out = [0u8; 16];
        out.copy_from_slice(tag.as_ref());
        Some(out)
    }
}

impl std::fmt::Debug for Fingerprinter {
    // The key stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fingerprinter").finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_fingerprint_and_any_change_differs() {
        let f = Fingerprinter::new().unwrap();
        let token = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl".repeat(20);
        let fp = |t: &[u8]| f.fingerprint(t).unwrap();
        let a = fp(&token);
        assert_eq!(a, fp(&token));
        for i in [0, token.len() / 2, token.len() - 1] {
            let mut changed = token.clone();
            changed[i] ^= 1;
            assert_ne!(fp(&changed), a, "byte {i} flipped");
        }
        let mut longer = token.clone();
        longer.push(0);
        assert_ne!(fp(&longer), a);
        assert_ne!(fp(&token[..token.len() - 1]), a);
        assert_ne!(fp(b""), a);
    }

    #[test]
    fn each_fingerprinter_has_its_own_key() {
        let token = b"header.payload.signature";
        let a = Fingerprinter::new().unwrap().fingerprint(token).unwrap();
        let b = Fingerprinter::new().unwrap().fingerprint(token).unwrap();
        assert_ne!(a, b);
    }
}
