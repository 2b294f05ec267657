//! Signing: the [`Signer`] abstraction and the in-process [`LocalSigner`].

use std::fmt;

use async_trait::async_trait;
use aws_lc_rs::digest::Digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaEncoding, RsaKeyPair};

use crate::der::{self, Reader};
use crate::keys::{EcCurve, ParsedKeys};
use crate::{Alg, JoseError, Jwk, VerifyingKey};

/// Something that produces JWS signatures: an in-process key
/// ([`LocalSigner`]) or a remote one (an HSM-backed Key Vault key).
#[async_trait]
pub trait Signer: Send + Sync {
    /// The algorithm every signature from this signer uses.
    fn alg(&self) -> Alg;

    /// Signs the JWS signing input (`b64(header).b64(payload)`).
    /// ECDSA signatures must be the raw JWS form `r || s`, not DER.
    async fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, JoseError>;
}

enum KeyMaterial {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// An aws-lc-rs key pair bound to one algorithm.
///
/// The same PKCS#8 key may back several `LocalSigner`s with different
/// algorithms of its family (e.g. `RS256` and `PS256`), which is how Key
/// Vault lets one key sign with any algorithm the caller names.
pub struct LocalSigner {
    alg: Alg,
    key: KeyMaterial,
}

fn rsa_encoding(alg: Alg) -> &'static dyn RsaEncoding {
    match alg {
        Alg::RS256 => &signature::RSA_PKCS1_SHA256,
        Alg::RS384 => &signature::RSA_PKCS1_SHA384,
        Alg::RS512 => &signature::RSA_PKCS1_SHA512,
        Alg::PS256 => &signature::RSA_PSS_SHA256,
        Alg::PS384 => &signature::RSA_PSS_SHA384,
        // Only called for RSA algorithms.
        _ => &signature::RSA_PSS_SHA512,
    }
}

fn ec_signing(alg: Alg) -> &'static signature::EcdsaSigningAlgorithm {
    match alg {
        Alg::ES256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        Alg::ES384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        // Only called for ECDSA algorithms.
        _ => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
    }
}

fn ec_curve(alg: Alg) -> EcCurve {
    match alg {
        Alg::ES256 => EcCurve::P256,
        Alg::ES384 => EcCurve::P384,
        _ => EcCurve::P521,
    }
}

fn crypto_err(what: &str) -> JoseError {
    JoseError::Crypto(what.to_owned())
}

impl LocalSigner {
    /// Loads an unencrypted PKCS#8 private key. The key type (and, for EC,
    /// the curve) must fit `alg`, else [`JoseError::InvalidKey`].
    pub fn from_pkcs8(alg: Alg, pkcs8_der: &[u8]) -> Result<Self, JoseError> {
        let key = if alg.is_rsa() {
            let pair = RsaKeyPair::from_pkcs8(pkcs8_der).map_err(|_| {
                JoseError::InvalidKey(format!("not a usable RSA PKCS#8 key for {alg}"))
            })?;
            KeyMaterial::Rsa(pair)
        } else {
            let pair = EcdsaKeyPair::from_pkcs8(ec_signing(alg), pkcs8_der).map_err(|_| {
                JoseError::InvalidKey(format!("not a usable EC PKCS#8 key for {alg}"))
            })?;
            KeyMaterial::Ec(pair)
        };
        Ok(Self { alg, key })
    }

    /// Generates a fresh key for `alg` and returns it with its PKCS#8 DER.
    /// `rsa_bits` (2048, 3072 or 4096) is ignored for ECDSA algorithms.
    pub fn generate(alg: Alg, rsa_bits: usize) -> Result<(Self, Vec<u8>), JoseError> {
        let pkcs8 = if alg.is_rsa() {
            let size = match rsa_bits {
                2048 => KeySize::Rsa2048,
                3072 => KeySize::Rsa3072,
                4096 => KeySize::Rsa4096,
                other => {
                    return Err(JoseError::InvalidKey(format!(
                        "unsupported RSA key size {other}"
                    )));
                }
            };
            let pair = RsaKeyPair::generate(size).map_err(|_| crypto_err("RSA key generation"))?;
            let doc = AsDer::as_der(&pair).map_err(|_| crypto_err("PKCS#8 encoding"))?;
            doc.as_ref().to_vec()
        } else {
            let pair = EcdsaKeyPair::generate(ec_signing(alg))
                .map_err(|_| crypto_err("EC key generation"))?;
            let doc = pair
                .to_pkcs8v1()
                .map_err(|_| crypto_err("PKCS#8 encoding"))?;
            doc.as_ref().to_vec()
        };
        let signer = Self::from_pkcs8(alg, &pkcs8)?;
        Ok((signer, pkcs8))
    }

    /// The algorithm this signer uses.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// Signs `msg` (hashing it with the algorithm's hash).
    pub fn sign_sync(&self, msg: &[u8]) -> Result<Vec<u8>, JoseError> {
        match &self.key {
            KeyMaterial::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(rsa_encoding(self.alg), &SystemRandom::new(), msg, &mut sig)
                    .map_err(|_| crypto_err("RSA signing"))?;
                Ok(sig)
            }
            KeyMaterial::Ec(pair) => pair
                .sign(&SystemRandom::new(), msg)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| crypto_err("ECDSA signing")),
        }
    }

    /// Signs a digest the caller already computed (Key Vault `sign`
    /// semantics). Its length must match the algorithm's hash
    /// (32/48/64 bytes), else [`JoseError::Malformed`].
    pub fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, JoseError> {
        if digest.len() != self.alg.hash_len() {
            return Err(JoseError::Malformed(format!(
                "digest for {} must be {} bytes, got {}",
                self.alg,
                self.alg.hash_len(),
                digest.len()
            )));
        }
        let digest = Digest::import_less_safe(digest, self.alg.digest())
            .map_err(|_| JoseError::Malformed("digest length mismatch".into()))?;
        match &self.key {
            KeyMaterial::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign_digest(rsa_encoding(self.alg), &digest, &mut sig)
                    .map_err(|_| crypto_err("RSA digest signing"))?;
                Ok(sig)
            }
            KeyMaterial::Ec(pair) => pair
                .sign_digest(&digest)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| crypto_err("ECDSA digest signing")),
        }
    }

    /// The public key, not pinned to an algorithm (the key type and curve
    /// still restrict it). Pin with [`VerifyingKey::pinned`] if wanted.
    pub fn verifying_key(&self) -> VerifyingKey {
        match &self.key {
            KeyMaterial::Rsa(pair) => {
                // `public_key().as_ref()` is the PKCS#1 RSAPublicKey DER that
                // aws-lc-rs itself produced, so parsing cannot fail in
                // practice; the fallback keeps this function infallible.
                rsa_components(pair.public_key().as_ref())
                    .map(|(n, e)| VerifyingKey::Rsa {
                        n,
                        e,
                        alg: None,
                        parsed: ParsedKeys::default(),
                    })
                    .unwrap_or(VerifyingKey::Rsa {
                        n: Vec::new(),
                        e: Vec::new(),
                        alg: None,
                        parsed: ParsedKeys::default(),
                    })
            }
            KeyMaterial::Ec(pair) => VerifyingKey::Ec {
                curve: ec_curve(self.alg),
                point: pair.public_key().as_ref().to_vec(),
                alg: None,
                parsed: ParsedKeys::default(),
            },
        }
    }

    /// The bare public JWK (`kty` and key members only).
    pub fn public_jwk(&self) -> Jwk {
        self.verifying_key().to_jwk()
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_spki_der(&self) -> Vec<u8> {
        self.verifying_key().spki_der()
    }
}

/// Splits a PKCS#1 RSAPublicKey into `(n, e)`.
fn rsa_components(der_bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>), JoseError> {
    let mut seq = Reader::new(Reader::new(der_bytes).expect(der::SEQUENCE)?);
    let n = der::unsigned(seq.expect(der::INTEGER)?)?.to_vec();
    let e = der::unsigned(seq.expect(der::INTEGER)?)?.to_vec();
    Ok((n, e))
}

impl fmt::Debug for LocalSigner {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSigner")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Signer for LocalSigner {
    fn alg(&self) -> Alg {
        self.alg
    }

    async fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, JoseError> {
        self.sign_sync(signing_input)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_sign_and_verify_every_alg() {
        let (rsa, rsa_pkcs8) = LocalSigner::generate(Alg::RS256, 2048).unwrap();
        for alg in Alg::ALL {
            let signer = if alg.is_rsa() {
                LocalSigner::from_pkcs8(alg, &rsa_pkcs8).unwrap()
            } else {
                LocalSigner::generate(alg, 0).unwrap().0
            };
            let sig = signer.sign_sync(b"hello").unwrap();
            let key = signer.verifying_key();
            assert_eq!(key.verify(alg, b"hello", &sig), Ok(()), "{alg}");
            assert_eq!(
                key.verify(alg, b"hellO", &sig),
                Err(JoseError::BadSignature)
            );
            if let VerifyingKey::Ec { curve, .. } = &key {
                assert_eq!(sig.len(), 2 * curve.coordinate_len());
            }
        }
        assert!(format!("{rsa:?}").contains("RS256"));
    }

    #[test]
    fn spki_matches_aws_lc_encoding() {
        let (rsa, _) = LocalSigner::generate(Alg::PS256, 2048).unwrap();
        let (ec, _) = LocalSigner::generate(Alg::ES384, 0).unwrap();
        for signer in [&rsa, &ec] {
            let theirs = match &signer.key {
                KeyMaterial::Rsa(p) => AsDer::as_der(p.public_key()).unwrap().as_ref().to_vec(),
                KeyMaterial::Ec(p) => AsDer::as_der(p.public_key()).unwrap().as_ref().to_vec(),
            };
            assert_eq!(signer.public_key_spki_der(), theirs);
            assert_eq!(
                VerifyingKey::from_spki_der(&theirs).unwrap(),
                signer.verifying_key()
            );
        }
    }

    #[test]
    fn key_type_must_fit_alg() {
        let (_, rsa_pkcs8) = LocalSigner::generate(Alg::RS256, 2048).unwrap();
        let (_, p256_pkcs8) = LocalSigner::generate(Alg::ES256, 0).unwrap();
        assert!(LocalSigner::from_pkcs8(Alg::ES256, &rsa_pkcs8).is_err());
        assert!(LocalSigner::from_pkcs8(Alg::RS256, &p256_pkcs8).is_err());
        assert!(LocalSigner::from_pkcs8(Alg::ES384, &p256_pkcs8).is_err());
        assert!(LocalSigner::from_pkcs8(Alg::RS256, b"junk").is_err());
        assert!(LocalSigner::generate(Alg::RS256, 1024).is_err());
    }
}
