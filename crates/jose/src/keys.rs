//! Public keys that verify JWS signatures, and their SPKI encoding.

use std::fmt;
use std::sync::OnceLock;

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents};

pub use crate::curve::EcCurve;
use crate::der::{self, Reader};
use crate::{Alg, JoseError, Jwk, b64};

/// A public key that verifies JWS signatures.
///
/// The key type restricts the algorithms (RSA → `RS*`/`PS*`; EC → the
/// `ES*` of its curve), and `alg`, when set, pins it to exactly one. Build
/// it with [`VerifyingKey::rsa`], [`VerifyingKey::ec`],
/// [`VerifyingKey::from_spki_der`] or [`Jwk::verifying_key`] so the
/// material is validated.
#[derive(Clone, PartialEq, Eq)]
pub enum VerifyingKey {
    /// RSA public key.
    Rsa {
        /// Modulus, big-endian, no leading zeros.
        n: Vec<u8>,
        /// Public exponent, big-endian, no leading zeros.
        e: Vec<u8>,
        /// Pinned algorithm, if any.
        alg: Option<Alg>,
        /// aws-lc's parsed form, built on first use per algorithm.
        parsed: ParsedKeys,
    },
    /// EC public key.
    Ec {
        /// The curve.
        curve: EcCurve,
        /// Uncompressed SEC1 point: `0x04 || x || y`.
        point: Vec<u8>,
        /// Pinned algorithm, if any.
        alg: Option<Alg>,
        /// aws-lc's parsed form, built on first use.
        parsed: ParsedKeys,
    },
}

/// The parsed aws-lc form of a [`VerifyingKey`], one slot per algorithm the
/// key may verify (aws-lc-rs binds a parsed key to its algorithm). Parsing
/// an RSA key and building its Montgomery context cost about a fifth of a
/// whole RS256 verification, and a key from a JWKS verifies many tokens, so
/// the work is done once and kept with the key. It is derived state: it
/// takes no part in equality, and a clone starts empty.
#[derive(Default)]
pub struct ParsedKeys([OnceLock<ParsedPublicKey>; 6]);

impl ParsedKeys {
    fn get_or_parse(
        &self,
        slot: usize,
        parse: impl FnOnce() -> Option<ParsedPublicKey>,
    ) -> Option<&ParsedPublicKey> {
        let cell = self.0.get(slot)?;
        if cell.get().is_none() {
            // Two threads may both parse on first use; one result is kept.
            let _ = cell.set(parse()?);
        }
        cell.get()
    }
}

impl Clone for ParsedKeys {
    fn clone(&self) -> Self {
        ParsedKeys::default()
    }
}

impl PartialEq for ParsedKeys {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ParsedKeys {}

/// RSA keys outside this range are refused up front; it is also the range
/// of the aws-lc-rs `*_2048_8192_*` verification parameters.
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 8192;

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The [`ParsedKeys`] slot of an RSA algorithm.
fn rsa_slot(alg: Alg) -> usize {
    match alg {
        Alg::RS256 => 0,
        Alg::RS384 => 1,
        Alg::RS512 => 2,
        Alg::PS256 => 3,
        Alg::PS384 => 4,
        _ => 5,
    }
}

fn rsa_params(alg: Alg) -> &'static RsaParameters {
    match alg {
        Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Alg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        // Only called for RSA algorithms; ES* never reach here.
        _ => &signature::RSA_PSS_2048_8192_SHA512,
    }
}

impl VerifyingKey {
    /// An RSA key from big-endian modulus and exponent (leading zeros
    /// allowed). Refuses moduli outside 2048..=8192 bits.
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<Self, JoseError> {
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        let bits = match n.first() {
            Some(first) => n.len() * 8 - first.leading_zeros() as usize,
            None => 0,
        };
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(JoseError::InvalidKey(format!(
                "RSA modulus of {bits} bits is outside {RSA_MIN_BITS}..={RSA_MAX_BITS}"
            )));
        }
        if e.is_empty() || e.len() > 8 {
            return Err(JoseError::InvalidKey("RSA exponent out of range".into()));
        }
        RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| JoseError::InvalidKey("RSA public key rejected".into()))?;
        Ok(VerifyingKey::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
            alg: None,
            parsed: ParsedKeys::default(),
        })
    }

    /// An EC key from an uncompressed SEC1 point; the point must be on the
    /// curve.
    pub fn ec(curve: EcCurve, point: &[u8]) -> Result<Self, JoseError> {
        if point.len() != 1 + 2 * curve.coordinate_len() || point.first() != Some(&0x04) {
            return Err(JoseError::InvalidKey(format!(
                "expected an uncompressed {} point",
                curve.jwk_name()
            )));
        }
        ParsedPublicKey::new(curve.verification(), point)
            .map_err(|_| JoseError::InvalidKey("EC point is not on the curve".into()))?;
        Ok(VerifyingKey::Ec {
            curve,
            point: point.to_vec(),
            alg: None,
            parsed: ParsedKeys::default(),
        })
    }

    /// Parses a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) holding an RSA
    /// (`rsaEncryption`) or EC P-256/P-384/P-521 (`id-ecPublicKey`) key.
    pub fn from_spki_der(der_bytes: &[u8]) -> Result<Self, JoseError> {
        let mut outer = Reader::new(der_bytes);
        let spki = outer.expect(der::SEQUENCE)?;
        if !outer.is_empty() {
            return Err(JoseError::InvalidKey("trailing data after SPKI".into()));
        }
        let mut fields = Reader::new(spki);
        let alg_id = fields.expect(der::SEQUENCE)?;
        let bits = fields.expect(der::BIT_STRING)?;
        if !fields.is_empty() {
            return Err(JoseError::InvalidKey("unexpected SPKI field".into()));
        }
        let key = match bits.split_first() {
            Some((0, key)) => key,
            _ => return Err(JoseError::InvalidKey("bad SPKI bit string".into())),
        };
        let mut alg_fields = Reader::new(alg_id);
        let oid = alg_fields.expect(der::OID)?;
        if oid == der::OID_RSA_ENCRYPTION {
            // Parameters must be NULL (or, leniently, absent).
            if !alg_fields.is_empty() {
                alg_fields.expect(der::NULL)?;
            }
            let mut rsa = Reader::new(Reader::new(key).expect(der::SEQUENCE)?);
            let n = der::unsigned(rsa.expect(der::INTEGER)?)?;
            let e = der::unsigned(rsa.expect(der::INTEGER)?)?;
            VerifyingKey::rsa(n, e)
        } else if oid == der::OID_EC_PUBLIC_KEY {
            let curve_oid = alg_fields.expect(der::OID)?;
            let curve = [EcCurve::P256, EcCurve::P384, EcCurve::P521]
                .into_iter()
                .find(|c| c.oid() == curve_oid)
                .ok_or_else(|| JoseError::InvalidKey("unsupported EC curve".into()))?;
            VerifyingKey::ec(curve, key)
        } else {
            Err(JoseError::InvalidKey(
                "unsupported SubjectPublicKeyInfo algorithm".into(),
            ))
        }
    }

    /// Pins the key to `alg`, which must suit the key type.
    pub fn pinned(self, alg: Alg) -> Result<Self, JoseError> {
        let fits = match &self {
            VerifyingKey::Rsa { .. } => alg.is_rsa(),
            VerifyingKey::Ec { curve, .. } => curve.alg() == alg,
        };
        if !fits {
            return Err(JoseError::InvalidKey(format!(
                "algorithm {alg} does not suit this key type"
            )));
        }
        Ok(match self {
            VerifyingKey::Rsa { n, e, parsed, .. } => VerifyingKey::Rsa {
                n,
                e,
                alg: Some(alg),
                parsed,
            },
            VerifyingKey::Ec {
                curve,
                point,
                parsed,
                ..
            } => VerifyingKey::Ec {
                curve,
                point,
                alg: Some(alg),
                parsed,
            },
        })
    }

    /// The pinned algorithm, if any.
    pub fn pinned_alg(&self) -> Option<Alg> {
        match self {
            VerifyingKey::Rsa { alg, .. } | VerifyingKey::Ec { alg, .. } => *alg,
        }
    }

    /// Whether this key may verify `alg` (key type, curve and pin).
    pub fn allows(&self, alg: Alg) -> bool {
        let fits = match self {
            VerifyingKey::Rsa { .. } => alg.is_rsa(),
            VerifyingKey::Ec { curve, .. } => curve.alg() == alg,
        };
        fits && self.pinned_alg().is_none_or(|pinned| pinned == alg)
    }

    /// Verifies `signature` over `message` with `alg`.
    ///
    /// ECDSA signatures are the JWS form, `r || s` (RFC 7518 §3.4).
    pub fn verify(&self, alg: Alg, message: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        if !self.allows(alg) {
            return Err(JoseError::AlgNotAllowedForKey {
                alg: alg.name().to_owned(),
            });
        }
        let key = match self {
            VerifyingKey::Rsa { n, e, parsed, .. } => parsed.get_or_parse(rsa_slot(alg), || {
                RsaPublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                }
                .to_parsed_public_key(rsa_params(alg))
                .ok()
            }),
            VerifyingKey::Ec {
                curve,
                point,
                parsed,
                ..
            } => parsed.get_or_parse(0, || ParsedPublicKey::new(curve.verification(), point).ok()),
        };
        let ok = key.is_some_and(|key| key.verify_sig(message, signature).is_ok());
        if ok {
            Ok(())
        } else {
            Err(JoseError::BadSignature)
        }
    }

    /// The key as DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        let (alg_id, key) = match self {
            VerifyingKey::Rsa { n, e, .. } => {
                let oid = der::tlv(der::OID, der::OID_RSA_ENCRYPTION);
                let alg_id = [oid, der::tlv(der::NULL, &[])].concat();
                let key = der::tlv(der::SEQUENCE, &[der::uint(n), der::uint(e)].concat());
                (alg_id, key)
            }
            VerifyingKey::Ec { curve, point, .. } => {
                let alg_id = [
                    der::tlv(der::OID, der::OID_EC_PUBLIC_KEY),
                    der::tlv(der::OID, curve.oid()),
                ]
                .concat();
                (alg_id, point.clone())
            }
        };
        let bit_string = der::tlv(der::BIT_STRING, &[&[0u8][..], &key].concat());
        der::tlv(
            der::SEQUENCE,
            &[der::tlv(der::SEQUENCE, &alg_id), bit_string].concat(),
        )
    }

    /// The key as a bare public JWK: `kty` plus `n`/`e` or `crv`/`x`/`y`,
    /// and `alg` if pinned. Callers add `use`, `kid`, `x5c` as needed.
    pub fn to_jwk(&self) -> Jwk {
        let mut jwk = Jwk {
            alg: self.pinned_alg().map(|a| a.name().to_owned()),
            ..Jwk::default()
        };
        match self {
            VerifyingKey::Rsa { n, e, .. } => {
                jwk.kty = "RSA".into();
                jwk.n = Some(b64::url_encode(n));
                jwk.e = Some(b64::url_encode(e));
            }
            VerifyingKey::Ec { curve, point, .. } => {
                let (x, y) = point[1..].split_at(curve.coordinate_len());
                jwk.kty = "EC".into();
                jwk.crv = Some(curve.jwk_name().into());
                jwk.x = Some(b64::url_encode(x));
                jwk.y = Some(b64::url_encode(y));
            }
        }
        jwk
    }
}

impl fmt::Debug for VerifyingKey {
    // Keeps logs readable: the size and pin say enough to tell keys apart
    // in a failure message without dumping hundreds of hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyingKey::Rsa { n, alg, .. } => f
                .debug_struct("VerifyingKey::Rsa")
                .field("modulus_bytes", &n.len())
                .field("alg", alg)
                .finish(),
            VerifyingKey::Ec { curve, alg, .. } => f
                .debug_struct("VerifyingKey::Ec")
                .field("curve", curve)
                .field("alg", alg)
                .finish(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p256_point() -> Vec<u8> {
        // RFC 7515 A.3 public key.
        let x = b64::url_decode_lenient("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU").unwrap();
        let y = b64::url_decode_lenient("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0").unwrap();
        [&[4u8][..], &x, &y].concat()
    }

    #[test]
    fn ec_key_allows_only_its_curve_alg() {
        let key = VerifyingKey::ec(EcCurve::P256, &p256_point()).unwrap();
        assert!(key.allows(Alg::ES256));
        for alg in [Alg::ES384, Alg::ES512, Alg::RS256, Alg::PS256] {
            assert!(!key.allows(alg), "{alg}");
            assert_eq!(
                key.verify(alg, b"m", &[0; 64]),
                Err(JoseError::AlgNotAllowedForKey {
                    alg: alg.name().into()
                })
            );
        }
        assert_eq!(
            key.verify(Alg::ES256, b"m", &[0; 64]),
            Err(JoseError::BadSignature)
        );
        assert!(key.clone().pinned(Alg::ES384).is_err());
    }

    #[test]
    fn ec_rejects_bad_points() {
        let mut point = p256_point();
        assert!(VerifyingKey::ec(EcCurve::P384, &point).is_err());
        point[10] ^= 1; // off the curve
        assert!(VerifyingKey::ec(EcCurve::P256, &point).is_err());
        assert!(VerifyingKey::ec(EcCurve::P256, &point[..33]).is_err());
    }

    #[test]
    fn spki_round_trip_ec() {
        let key = VerifyingKey::ec(EcCurve::P256, &p256_point()).unwrap();
        let der_bytes = key.spki_der();
        assert_eq!(VerifyingKey::from_spki_der(&der_bytes).unwrap(), key);
        let mut trailing = der_bytes.clone();
        trailing.push(0);
        assert!(VerifyingKey::from_spki_der(&trailing).is_err());
    }

    #[test]
    fn rsa_refuses_small_moduli_and_pins() {
        assert!(VerifyingKey::rsa(&[0xc5; 128], &[1, 0, 1]).is_err());
        assert!(VerifyingKey::rsa(&[], &[1, 0, 1]).is_err());
        let n = [[0u8].as_slice(), &[0xc5; 256]].concat();
        // Leading zero is stripped; 2048-bit odd modulus accepted.
        let mut n_odd = n.clone();
        if let Some(last) = n_odd.last_mut() {
            *last |= 1;
        }
        let key = VerifyingKey::rsa(&n_odd, &[1, 0, 1]).unwrap();
        let key = key.pinned(Alg::PS256).unwrap();
        assert!(key.allows(Alg::PS256) && !key.allows(Alg::RS256));
        assert!(format!("{key:?}").contains("modulus_bytes: 256"));
    }

    #[test]
    fn parsed_keys_are_kept_per_algorithm() {
        // One RSA key verifies RS256 and PS256 signatures, each through its own parsed slot,
        // and keeps doing so on reuse and in clones; a tampered signature still fails.
        let (rs, pkcs8) = crate::LocalSigner::generate(Alg::RS256, 2048).unwrap();
        let key = rs.verifying_key();
        let rs_sig = rs.sign_sync(b"message").unwrap();
        let ps = crate::LocalSigner::from_pkcs8(Alg::PS256, &pkcs8).unwrap();
        let ps_sig = ps.sign_sync(b"message").unwrap();
        for _ in 0..2 {
            assert_eq!(key.verify(Alg::RS256, b"message", &rs_sig), Ok(()));
            assert_eq!(key.verify(Alg::PS256, b"message", &ps_sig), Ok(()));
            assert_eq!(
                key.verify(Alg::RS256, b"message", &ps_sig),
                Err(JoseError::BadSignature)
            );
            assert_eq!(
                key.verify(Alg::PS256, b"massage", &ps_sig),
                Err(JoseError::BadSignature)
            );
        }
        let copy = key.clone();
        assert_eq!(copy, key);
        assert_eq!(copy.verify(Alg::RS256, b"message", &rs_sig), Ok(()));
    }
}
