//! Key material and the operations Key Vault performs with it: generation, JWK import, the
//! public JWK, sign/verify over a caller-supplied digest, and RSA encryption and key wrapping.
//! Private keys are PKCS#8 DER here and never leave this module except sealed for storage.
//! Parsing one is the expensive part (an RSA key is checked in full), so the operations also
//! come in a `*_with` form over a key parsed once ([`load_signer`], [`load_rsa`]) that the
//! service keeps in memory per key version.

use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeyPair as RsaKeyPair, KeyPairComponents, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
    OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey,
    Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature::{self, EcdsaKeyPair, UnparsedPublicKey, VerificationAlgorithm};
use skybridge_jose::{Alg, LocalSigner, b64};
use skybridge_pki::KeyKind;

use crate::api::keys::WireJwk;
use crate::error::{VaultError, bad};

/// Operations an RSA key allows by default (Key Vault's; .NET DataProtection breaks on an
/// empty list — james-gould/azure-keyvault-emulator#292).
pub const RSA_OPS: [&str; 6] = [
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "wrapKey",
    "unwrapKey",
];
/// Operations an EC key allows by default.
pub const EC_OPS: [&str; 2] = ["sign", "verify"];

/// The key kind requested by `kty` / `key_size` / `crv` (create and certificate policies).
pub fn requested_kind(
    kty: &str,
    key_size: Option<u32>,
    crv: Option<&str>,
) -> Result<KeyKind, VaultError> {
    match kty {
        "RSA" | "RSA-HSM" => match key_size.unwrap_or(2048) {
            2048 => Ok(KeyKind::Rsa2048),
            3072 => Ok(KeyKind::Rsa3072),
            4096 => Ok(KeyKind::Rsa4096),
            other => Err(bad(format!(
                "Invalid key size {other}: RSA keys are 2048, 3072 or 4096 bits."
            ))),
        },
        "EC" | "EC-HSM" => match crv.unwrap_or("P-256") {
            "P-256" => Ok(KeyKind::EcP256),
            "P-384" => Ok(KeyKind::EcP384),
            "P-521" => Ok(KeyKind::EcP521),
            other => Err(bad(format!(
                "Unsupported curve {}: use P-256, P-384 or P-521.",
                crate::names::printable(other)
            ))),
        },
        "oct" | "oct-HSM" => Err(bad(
            "Symmetric (oct) keys are only available in Managed HSM.",
        )),
        other => Err(bad(format!(
            "Invalid key type {}.",
            crate::names::printable(other)
        ))),
    }
}

/// `RSA` or `EC`, as returned in `kty`.
pub fn kty(kind: KeyKind) -> &'static str {
    if is_rsa(kind) { "RSA" } else { "EC" }
}

/// Whether the kind is RSA.
pub fn is_rsa(kind: KeyKind) -> bool {
    matches!(kind, KeyKind::Rsa2048 | KeyKind::Rsa3072 | KeyKind::Rsa4096)
}

/// The key's default operations.
pub fn default_ops(kind: KeyKind) -> Vec<String> {
    let ops: &[&str] = if is_rsa(kind) { &RSA_OPS } else { &EC_OPS };
    ops.iter().map(|s| (*s).to_string()).collect()
}

fn internal(what: &str) -> VaultError {
    VaultError::Internal(what.to_string())
}

/// Generates a private key (PKCS#8).
pub fn generate(kind: KeyKind) -> Result<Vec<u8>, VaultError> {
    skybridge_pki::generate_key(kind).map_err(|e| VaultError::Internal(e.to_string()))
}

/// [`generate`] on tokio's blocking pool: an RSA-4096 key takes hundreds of milliseconds,
/// which would stall every other request served by the same runtime thread.
pub async fn generate_off_thread(kind: KeyKind) -> Result<Vec<u8>, VaultError> {
    tokio::task::spawn_blocking(move || generate(kind))
        .await
        .map_err(|e| VaultError::Internal(format!("key generation did not finish: {e}")))?
}

/// The key kind of a stored private key.
pub fn kind_of(pkcs8: &[u8]) -> Result<KeyKind, VaultError> {
    skybridge_pki::key_kind(pkcs8).map_err(|e| VaultError::Internal(e.to_string()))
}

/// The key kind a stored public JWK describes (`kty`, the RSA modulus size, the curve): what
/// the algorithm checks need, without parsing the private key.
pub fn kind_of_public(jwk: &WireJwk) -> Result<KeyKind, VaultError> {
    let kind = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("RSA", _) => {
            let n = jwk.n.as_deref().unwrap_or("");
            let bits = b64::url_decode_lenient(n)
                .map(|n| n.iter().skip_while(|b| **b == 0).count() * 8)
                .unwrap_or(0);
            match bits {
                2048 => Some(KeyKind::Rsa2048),
                3072 => Some(KeyKind::Rsa3072),
                4096 => Some(KeyKind::Rsa4096),
                _ => None,
            }
        }
        ("EC", Some("P-256")) => Some(KeyKind::EcP256),
        ("EC", Some("P-384")) => Some(KeyKind::EcP384),
        ("EC", Some("P-521")) => Some(KeyKind::EcP521),
        _ => None,
    };
    kind.ok_or_else(|| internal("stored public key is not usable"))
}

/// An algorithm of the key's family, used to load it for public-key export.
fn family_alg(kind: KeyKind) -> Alg {
    match kind {
        KeyKind::EcP256 => Alg::ES256,
        KeyKind::EcP384 => Alg::ES384,
        KeyKind::EcP521 => Alg::ES512,
        _ => Alg::RS256,
    }
}

/// The public JWK (`kty`, `n`/`e` or `crv`/`x`/`y`) of a private key.
pub fn public_jwk(pkcs8: &[u8]) -> Result<WireJwk, VaultError> {
    let kind = kind_of(pkcs8)?;
    let signer = LocalSigner::from_pkcs8(family_alg(kind), pkcs8)
        .map_err(|_| internal("stored key does not load"))?;
    let jwk = signer.public_jwk();
    Ok(WireJwk {
        kty: jwk.kty,
        n: jwk.n,
        e: jwk.e,
        crv: jwk.crv,
        x: jwk.x,
        y: jwk.y,
        ..WireJwk::default()
    })
}

fn member(value: &Option<String>, name: &str) -> Result<Vec<u8>, VaultError> {
    let text = value
        .as_deref()
        .ok_or_else(|| bad(format!("The JSON web key lacks '{name}'.")))?;
    b64::url_decode_lenient(text).map_err(|_| {
        bad(format!(
            "The JSON web key member '{name}' is not base64url."
        ))
    })
}

/// Builds a private key (PKCS#8) from an imported JWK with its private members.
pub fn import_jwk(jwk: &WireJwk) -> Result<Vec<u8>, VaultError> {
    let pkcs8 = match jwk.kty.as_str() {
        "RSA" | "RSA-HSM" => {
            let n = member(&jwk.n, "n")?;
            let e = member(&jwk.e, "e")?;
            let strip = |v: &[u8]| {
                v.iter()
                    .position(|b| *b != 0)
                    .map_or(vec![], |i| v[i..].to_vec())
            };
            let components = KeyPairComponents {
                public_key: PublicKeyComponents {
                    n: strip(&n),
                    e: strip(&e),
                },
                d: member(&jwk.d, "d")?,
                p: member(&jwk.p, "p")?,
                q: member(&jwk.q, "q")?,
                dP: member(&jwk.dp, "dp")?,
                dQ: member(&jwk.dq, "dq")?,
                qInv: member(&jwk.qi, "qi")?,
            };
            let pair = RsaKeyPair::from_components(&components)
                .map_err(|_| bad("The RSA JSON web key is not a consistent private key."))?;
            let der: aws_lc_rs::encoding::Pkcs8V1Der<'_> = pair
                .as_der()
                .map_err(|_| internal("PKCS#8 encoding failed"))?;
            der.as_ref().to_vec()
        }
        "EC" | "EC-HSM" => {
            let (alg, len) = match jwk.crv.as_deref() {
                Some("P-256") => (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, 32),
                Some("P-384") => (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, 48),
                Some("P-521") => (&signature::ECDSA_P521_SHA512_FIXED_SIGNING, 66),
                _ => return Err(bad("The EC JSON web key needs crv P-256, P-384 or P-521.")),
            };
            let pad = |v: Vec<u8>, name: &str| -> Result<Vec<u8>, VaultError> {
                if v.len() > len {
                    return Err(bad(format!(
                        "The JSON web key member '{name}' is too long."
                    )));
                }
                let mut out = vec![0u8; len - v.len()];
                out.extend_from_slice(&v);
                Ok(out)
            };
            let d = pad(member(&jwk.d, "d")?, "d")?;
            let point = [
                vec![4u8],
                pad(member(&jwk.x, "x")?, "x")?,
                pad(member(&jwk.y, "y")?, "y")?,
            ]
            .concat();
            let pair = EcdsaKeyPair::from_private_key_and_public_key(alg, &d, &point)
                .map_err(|_| bad("The EC JSON web key is not a consistent private key."))?;
            pair.to_pkcs8v1()
                .map_err(|_| internal("PKCS#8 encoding failed"))?
                .as_ref()
                .to_vec()
        }
        "oct" | "oct-HSM" => {
            return Err(bad(
                "Symmetric (oct) keys are only available in Managed HSM.",
            ));
        }
        other => {
            return Err(bad(format!(
                "Invalid key type {}.",
                crate::names::printable(other)
            )));
        }
    };
    skybridge_pki::key_kind(&pkcs8).map_err(|e| bad(format!("Unsupported key: {e}")))?;
    Ok(pkcs8)
}

/// A signature algorithm the key can use, or 400.
pub fn sign_alg(name: &str, kind: KeyKind) -> Result<Alg, VaultError> {
    let alg = Alg::from_name(name).ok_or_else(|| {
        bad(format!(
            "Invalid algorithm {} for signing.",
            crate::names::printable(name)
        ))
    })?;
    let fits = match kind {
        KeyKind::EcP256 => alg == Alg::ES256,
        KeyKind::EcP384 => alg == Alg::ES384,
        KeyKind::EcP521 => alg == Alg::ES512,
        _ => alg.is_rsa(),
    };
    if fits {
        Ok(alg)
    } else {
        Err(bad(format!("Algorithm {alg} is not valid for this key.")))
    }
}

/// A digest of the algorithm's hash length, or 400.
pub fn check_digest(alg: Alg, digest: &[u8]) -> Result<(), VaultError> {
    if digest.len() == alg.hash_len() {
        Ok(())
    } else {
        Err(bad(format!(
            "Invalid digest length {} for algorithm {alg}: expected {} bytes.",
            digest.len(),
            alg.hash_len()
        )))
    }
}

/// Parses a private key for signing (and verifying) with `alg`, checked by [`sign_alg`].
pub fn load_signer(pkcs8: &[u8], alg: Alg) -> Result<LocalSigner, VaultError> {
    LocalSigner::from_pkcs8(alg, pkcs8).map_err(|_| internal("stored key does not load"))
}

/// Signs a digest: RS* PKCS#1 v1.5, PS* PSS (salt = hash length), ES* raw `r||s`.
pub fn sign(pkcs8: &[u8], alg: &str, digest: &[u8]) -> Result<Vec<u8>, VaultError> {
    let alg = sign_alg(alg, kind_of(pkcs8)?)?;
    check_digest(alg, digest)?;
    sign_with(&load_signer(pkcs8, alg)?, digest)
}

/// Signs a digest already checked with [`check_digest`].
pub fn sign_with(signer: &LocalSigner, digest: &[u8]) -> Result<Vec<u8>, VaultError> {
    signer
        .sign_digest(digest)
        .map_err(|_| internal("signing failed"))
}

fn digest_alg(alg: Alg) -> &'static digest::Algorithm {
    match alg.hash_len() {
        32 => &digest::SHA256,
        48 => &digest::SHA384,
        _ => &digest::SHA512,
    }
}

fn verification(alg: Alg) -> &'static dyn VerificationAlgorithm {
    match alg {
        Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Alg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        Alg::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        Alg::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
        Alg::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
        Alg::ES512 => &signature::ECDSA_P521_SHA512_FIXED,
    }
}

/// Verifies a signature over a digest.
pub fn verify(pkcs8: &[u8], alg: &str, digest: &[u8], sig: &[u8]) -> Result<bool, VaultError> {
    let alg = sign_alg(alg, kind_of(pkcs8)?)?;
    check_digest(alg, digest)?;
    verify_with(&load_signer(pkcs8, alg)?, digest, sig)
}

/// Verifies a signature over a digest already checked with [`check_digest`], with the public
/// half of a key loaded by [`load_signer`].
pub fn verify_with(signer: &LocalSigner, digest: &[u8], sig: &[u8]) -> Result<bool, VaultError> {
    let alg = signer.alg();
    let spki = signer.public_key_spki_der();
    let digest =
        Digest::import_less_safe(digest, digest_alg(alg)).map_err(|_| bad("Invalid digest."))?;
    Ok(UnparsedPublicKey::new(verification(alg), &spki)
        .verify_digest(&digest, sig)
        .is_ok())
}

/// An encryption algorithm's padding.
pub enum Padding {
    /// `RSA1_5`.
    Pkcs1,
    /// `RSA-OAEP`, `RSA-OAEP-256`.
    Oaep(&'static OaepAlgorithm),
}

/// The padding of an encryption algorithm, or 400.
pub fn padding(alg: &str) -> Result<Padding, VaultError> {
    match alg {
        "RSA1_5" => Ok(Padding::Pkcs1),
        "RSA-OAEP" => Ok(Padding::Oaep(&OAEP_SHA1_MGF1SHA1)),
        "RSA-OAEP-256" => Ok(Padding::Oaep(&OAEP_SHA256_MGF1SHA256)),
        other => Err(bad(format!(
            "Invalid algorithm {} for encryption: use RSA1_5, RSA-OAEP or RSA-OAEP-256.",
            crate::names::printable(other)
        ))),
    }
}

/// 400 unless the key is RSA: encryption and wrapping need one.
pub fn check_rsa(kind: KeyKind) -> Result<(), VaultError> {
    if is_rsa(kind) {
        Ok(())
    } else {
        Err(bad("Encryption and key wrapping need an RSA key."))
    }
}

/// Parses an RSA private key for encryption and decryption (after [`check_rsa`]).
pub fn load_rsa(pkcs8: &[u8]) -> Result<PrivateDecryptingKey, VaultError> {
    PrivateDecryptingKey::from_pkcs8(pkcs8).map_err(|_| internal("stored key does not load"))
}

fn rsa_private(pkcs8: &[u8]) -> Result<PrivateDecryptingKey, VaultError> {
    check_rsa(kind_of(pkcs8)?)?;
    load_rsa(pkcs8)
}

/// Encrypts (or wraps) with the key's public half.
pub fn encrypt(pkcs8: &[u8], alg: &str, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    let padding = padding(alg)?;
    encrypt_with(&rsa_private(pkcs8)?, &padding, plaintext)
}

/// Encrypts (or wraps) with the public half of a key loaded by [`load_rsa`].
pub fn encrypt_with(
    key: &PrivateDecryptingKey,
    padding: &Padding,
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let public = key.public_key();
    let too_long = || bad("The plaintext is too long for this key and algorithm.");
    match *padding {
        Padding::Pkcs1 => {
            let key = Pkcs1PublicEncryptingKey::new(public).map_err(|_| internal("key"))?;
            if plaintext.len() > key.max_plaintext_size() {
                return Err(too_long());
            }
            let mut out = vec![0u8; key.ciphertext_size()];
            let n = key
                .encrypt(plaintext, &mut out)
                .map_err(|_| too_long())?
                .len();
            out.truncate(n);
            Ok(out)
        }
        Padding::Oaep(oaep) => {
            let key = OaepPublicEncryptingKey::new(public).map_err(|_| internal("key"))?;
            if plaintext.len() > key.max_plaintext_size(oaep) {
                return Err(too_long());
            }
            let mut out = vec![0u8; key.ciphertext_size()];
            let n = key
                .encrypt(oaep, plaintext, &mut out, None)
                .map_err(|_| too_long())?
                .len();
            out.truncate(n);
            Ok(out)
        }
    }
}

/// Decrypts (or unwraps) with the private key.
pub fn decrypt(pkcs8: &[u8], alg: &str, ciphertext: &[u8]) -> Result<Vec<u8>, VaultError> {
    let padding = padding(alg)?;
    decrypt_with(&rsa_private(pkcs8)?, &padding, ciphertext)
}

/// Decrypts (or unwraps) with a key loaded by [`load_rsa`].
pub fn decrypt_with(
    key: &PrivateDecryptingKey,
    padding: &Padding,
    ciphertext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let private = key.clone();
    let failed = || bad("The ciphertext could not be decrypted with this key and algorithm.");
    match *padding {
        Padding::Pkcs1 => {
            let key = Pkcs1PrivateDecryptingKey::new(private).map_err(|_| internal("key"))?;
            let mut out = vec![0u8; key.min_output_size()];
            let n = key
                .decrypt(ciphertext, &mut out)
                .map_err(|_| failed())?
                .len();
            out.truncate(n);
            Ok(out)
        }
        Padding::Oaep(oaep) => {
            let key = OaepPrivateDecryptingKey::new(private).map_err(|_| internal("key"))?;
            let mut out = vec![0u8; key.min_output_size()];
            let n = key
                .decrypt(oaep, ciphertext, &mut out, None)
                .map_err(|_| failed())?
                .len();
            out.truncate(n);
            Ok(out)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_every_family() {
        for (kind, alg) in [
            (KeyKind::Rsa2048, "RS256"),
            (KeyKind::Rsa2048, "PS384"),
            (KeyKind::EcP256, "ES256"),
            (KeyKind::EcP384, "ES384"),
            (KeyKind::EcP521, "ES512"),
        ] {
            let key = generate(kind).unwrap();
            assert_eq!(kind_of_public(&public_jwk(&key).unwrap()).unwrap(), kind);
            let a = Alg::from_name(alg).unwrap();
            let digest = vec![7u8; a.hash_len()];
            let sig = sign(&key, alg, &digest).unwrap();
            if !is_rsa(kind) {
                assert_eq!(sig.len(), 2 * [32, 48, 66][(a.hash_len() / 16) - 2]);
            }
            assert!(verify(&key, alg, &digest, &sig).unwrap(), "{alg}");
            let other = vec![8u8; a.hash_len()];
            assert!(!verify(&key, alg, &other, &sig).unwrap(), "{alg}");
            assert!(sign(&key, alg, &digest[1..]).is_err());
        }
        let ec = generate(KeyKind::EcP256).unwrap();
        assert!(sign(&ec, "ES384", &[0; 48]).is_err());
        assert!(sign(&ec, "HS256", &[0; 32]).is_err());
        assert!(encrypt(&ec, "RSA-OAEP", b"x").is_err());
    }

    #[test]
    fn encrypt_decrypt_and_import() {
        let key = generate(KeyKind::Rsa2048).unwrap();
        for alg in ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256"] {
            let ct = encrypt(&key, alg, b"sixteen byte key").unwrap();
            assert_eq!(ct.len(), 256);
            assert_eq!(decrypt(&key, alg, &ct).unwrap(), b"sixteen byte key");
        }
        assert!(encrypt(&key, "A256KW", b"x").is_err());
        assert!(encrypt(&key, "RSA-OAEP", &[0; 250]).is_err());
        assert!(decrypt(&key, "RSA-OAEP", &[0; 256]).is_err());
        let jwk = public_jwk(&key).unwrap();
        assert_eq!(jwk.kty, "RSA");
        assert!(import_jwk(&jwk).is_err(), "no private members");
    }
}
