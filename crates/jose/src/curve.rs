//! The elliptic curves usable for JWS.

use aws_lc_rs::signature;

use crate::Alg;
use crate::der;

/// The NIST curves usable with ECDSA JWS algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// NIST P-256 (secp256r1), used with ES256.
    P256,
    /// NIST P-384 (secp384r1), used with ES384.
    P384,
    /// NIST P-521 (secp521r1), used with ES512.
    P521,
}

impl EcCurve {
    /// JWK `crv` name (RFC 7518 §6.2.1.1), e.g. `"P-256"`.
    pub fn jwk_name(&self) -> &'static str {
        match self {
            EcCurve::P256 => "P-256",
            EcCurve::P384 => "P-384",
            EcCurve::P521 => "P-521",
        }
    }

    /// Parses a JWK `crv` name.
    pub fn from_jwk_name(name: &str) -> Option<EcCurve> {
        [EcCurve::P256, EcCurve::P384, EcCurve::P521]
            .into_iter()
            .find(|c| c.jwk_name() == name)
    }

    /// Byte length of one coordinate (and of `r` / `s` in a JWS signature).
    pub fn coordinate_len(&self) -> usize {
        match self {
            EcCurve::P256 => 32,
            EcCurve::P384 => 48,
            EcCurve::P521 => 66,
        }
    }

    /// The only JWS algorithm this curve may be used with (RFC 7518 §3.4).
    pub fn alg(&self) -> Alg {
        match self {
            EcCurve::P256 => Alg::ES256,
            EcCurve::P384 => Alg::ES384,
            EcCurve::P521 => Alg::ES512,
        }
    }

    pub(crate) fn oid(&self) -> &'static [u8] {
        match self {
            EcCurve::P256 => der::OID_P256,
            EcCurve::P384 => der::OID_P384,
            EcCurve::P521 => der::OID_P521,
        }
    }

    pub(crate) fn verification(&self) -> &'static signature::EcdsaVerificationAlgorithm {
        match self {
            EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            EcCurve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        }
    }
}
