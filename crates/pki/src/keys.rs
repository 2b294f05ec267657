//! Private key generation, classification and format conversion.
//!
//! Keys travel through this crate as unencrypted PKCS#8 DER because that is
//! what aws-lc-rs, rcgen, rustls and PKCS#12 all accept without guessing.

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P521_SHA512_ASN1_SIGNING,
    EcdsaKeyPair, EcdsaSigningAlgorithm,
};
use x509_parser::asn1_rs::{Any, FromDer as _, Integer, Oid, Sequence};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION,
};

use crate::PkiError;

/// The key types Skybridge can generate and sign with (the Key Vault set minus secp256k1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA, 2048-bit modulus.
    Rsa2048,
    /// RSA, 3072-bit modulus.
    Rsa3072,
    /// RSA, 4096-bit modulus.
    Rsa4096,
    /// ECDSA on NIST P-256.
    EcP256,
    /// ECDSA on NIST P-384.
    EcP384,
    /// ECDSA on NIST P-521.
    EcP521,
}

impl KeyKind {
    fn ec_algorithm(self) -> Option<&'static EcdsaSigningAlgorithm> {
        match self {
            KeyKind::EcP256 => Some(&ECDSA_P256_SHA256_ASN1_SIGNING),
            KeyKind::EcP384 => Some(&ECDSA_P384_SHA384_ASN1_SIGNING),
            KeyKind::EcP521 => Some(&ECDSA_P521_SHA512_ASN1_SIGNING),
            KeyKind::Rsa2048 | KeyKind::Rsa3072 | KeyKind::Rsa4096 => None,
        }
    }
}

/// Generates a fresh private key and returns it as PKCS#8 DER.
pub fn generate_key(kind: KeyKind) -> Result<Vec<u8>, PkiError> {
    let size = match kind {
        KeyKind::Rsa2048 => KeySize::Rsa2048,
        KeyKind::Rsa3072 => KeySize::Rsa3072,
        KeyKind::Rsa4096 => KeySize::Rsa4096,
        KeyKind::EcP256 | KeyKind::EcP384 | KeyKind::EcP521 => {
            let alg = kind
                .ec_algorithm()
                .ok_or_else(|| PkiError::Crypto("no ECDSA algorithm for key kind".into()))?;
            let doc = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new())
                .map_err(|_| PkiError::Crypto(format!("{kind:?} key generation failed")))?;
            return Ok(doc.as_ref().to_vec());
        }
    };
    let key = RsaKeyPair::generate(size)
        .map_err(|_| PkiError::Crypto(format!("{kind:?} key generation failed")))?;
    let der = key
        .as_der()
        .map_err(|_| PkiError::Crypto("RSA PKCS#8 encoding failed".into()))?;
    Ok(der.as_ref().to_vec())
}

/// Identifies a PKCS#8 private key, validating it with aws-lc-rs on the way.
///
/// Keys outside [`KeyKind`] (other RSA sizes, other curves, Ed25519, ...) are
/// [`PkiError::Unsupported`]; undecodable input is [`PkiError::Malformed`].
pub fn key_kind(key_pkcs8: &[u8]) -> Result<KeyKind, PkiError> {
    let (algorithm, curve) = pkcs8_algorithm(key_pkcs8)?;
    if algorithm == OID_PKCS1_RSAENCRYPTION {
        let key = RsaKeyPair::from_pkcs8(key_pkcs8)
            .map_err(|e| PkiError::Malformed(format!("RSA private key rejected: {e}")))?;
        return match key.public_modulus_len() * 8 {
            2048 => Ok(KeyKind::Rsa2048),
            3072 => Ok(KeyKind::Rsa3072),
            4096 => Ok(KeyKind::Rsa4096),
            bits => Err(PkiError::Unsupported(format!("RSA key size {bits}"))),
        };
    }
    if algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let kind = match curve {
            Some(c) if c == OID_EC_P256 => KeyKind::EcP256,
            Some(c) if c == OID_NIST_EC_P384 => KeyKind::EcP384,
            Some(c) if c == OID_NIST_EC_P521 => KeyKind::EcP521,
            Some(c) => return Err(PkiError::Unsupported(format!("elliptic curve {c}"))),
            None => {
                return Err(PkiError::Unsupported("EC key without a named curve".into()));
            }
        };
        let alg = kind
            .ec_algorithm()
            .ok_or_else(|| PkiError::Crypto("no ECDSA algorithm for key kind".into()))?;
        EcdsaKeyPair::from_pkcs8(alg, key_pkcs8)
            .map_err(|e| PkiError::Malformed(format!("EC private key rejected: {e}")))?;
        return Ok(kind);
    }
    Err(PkiError::Unsupported(format!(
        "private key algorithm {algorithm}"
    )))
}

/// Reads the algorithm OID (and, for EC, the named-curve OID) from PKCS#8.
///
/// Done by hand because aws-lc-rs only answers "does this parse as X", which
/// cannot tell a truncated RSA key from an Ed25519 key.
fn pkcs8_algorithm(der: &[u8]) -> Result<(Oid<'static>, Option<Oid<'static>>), PkiError> {
    let parsed = Sequence::from_der_and_then(der, |content| {
        let (rest, _version) = Integer::from_der(content)?;
        let (rest, (oid, params)) = Sequence::from_der_and_then(rest, |alg| {
            let (alg_rest, oid) = Oid::from_der(alg)?;
            let params = if alg_rest.is_empty() {
                None
            } else {
                Some(Any::from_der(alg_rest)?.1)
            };
            Ok((&[][..], (oid, params)))
        })?;
        Ok((rest, (oid, params)))
    });
    let (_, (oid, params)) =
        parsed.map_err(|_: x509_parser::nom::Err<x509_parser::asn1_rs::Error>| {
            PkiError::Malformed("not a PKCS#8 PrivateKeyInfo".into())
        })?;
    let curve = params.and_then(|p| p.as_oid().ok().map(|o| o.to_owned()));
    Ok((oid.to_owned(), curve))
}

/// Converts a PKCS#1 `RSAPrivateKey` ("RSA PRIVATE KEY") to PKCS#8.
pub(crate) fn pkcs1_to_pkcs8(der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let key = RsaKeyPair::from_der(der)
        .map_err(|e| PkiError::Malformed(format!("RSA PRIVATE KEY rejected: {e}")))?;
    let pkcs8 = key
        .as_der()
        .map_err(|_| PkiError::Crypto("RSA PKCS#8 encoding failed".into()))?;
    Ok(pkcs8.as_ref().to_vec())
}

/// Converts a SEC1 `ECPrivateKey` ("EC PRIVATE KEY") to PKCS#8.
pub(crate) fn sec1_to_pkcs8(der: &[u8]) -> Result<Vec<u8>, PkiError> {
    // SEC1 carries the curve inside, so try each supported one; aws-lc-rs
    // checks the embedded curve against the algorithm we offer.
    for kind in [KeyKind::EcP256, KeyKind::EcP384, KeyKind::EcP521] {
        let Some(alg) = kind.ec_algorithm() else {
            continue;
        };
        if let Ok(key) = EcdsaKeyPair::from_private_key_der(alg, der) {
            let pkcs8 = key
                .to_pkcs8v1()
                .map_err(|_| PkiError::Crypto("EC PKCS#8 encoding failed".into()))?;
            return Ok(pkcs8.as_ref().to_vec());
        }
    }
    Err(PkiError::Malformed(
        "EC PRIVATE KEY is not a P-256, P-384 or P-521 SEC1 key".into(),
    ))
}

/// Loads a PKCS#8 key as an rcgen signing key, restricted to [`KeyKind`].
///
/// RSA signs with PKCS#1 v1.5 SHA-256, EC with the curve's customary hash.
pub(crate) fn signing_key(key_pkcs8: &[u8]) -> Result<rcgen::KeyPair, PkiError> {
    key_kind(key_pkcs8)?;
    rcgen::KeyPair::try_from(key_pkcs8).map_err(|e| PkiError::rcgen("loading signing key", e))
}

/// The raw public key of any private key rcgen can load (also Ed25519, since
/// PFX files may carry keys we can store but not sign with): an uncompressed
/// EC point, a DER `RSAPublicKey`, or raw Ed25519 bytes.
pub(crate) fn public_key_raw(key_pkcs8: &[u8]) -> Result<Vec<u8>, PkiError> {
    let key = rcgen::KeyPair::try_from(key_pkcs8)
        .map_err(|_| PkiError::Unsupported("private key type cannot be matched".into()))?;
    Ok(key.public_key_raw().to_vec())
}

/// The certificate's subjectPublicKey bits, comparable with [`public_key_raw`].
pub(crate) fn cert_public_key_raw(cert_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|_| PkiError::Malformed("certificate DER".into()))?;
    Ok(cert.public_key().subject_public_key.data.to_vec())
}

/// True if `cert_der` certifies the public half of `key_pkcs8`.
pub(crate) fn key_matches_cert(key_pkcs8: &[u8], cert_der: &[u8]) -> Result<bool, PkiError> {
    Ok(public_key_raw(key_pkcs8)? == cert_public_key_raw(cert_der)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_classify() {
        for kind in [
            KeyKind::Rsa2048,
            KeyKind::EcP256,
            KeyKind::EcP384,
            KeyKind::EcP521,
        ] {
            let key = generate_key(kind).expect("generate");
            assert_eq!(key_kind(&key).expect("kind"), kind);
            assert!(signing_key(&key).is_ok());
        }
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(key_kind(b""), Err(PkiError::Malformed(_))));
        assert!(matches!(
            key_kind(&[0x30, 0x03, 0x02, 0x01]),
            Err(PkiError::Malformed(_))
        ));
    }
}
