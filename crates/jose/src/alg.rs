//! The JWS signature algorithms this crate supports.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An asymmetric JWS algorithm (RFC 7518 §3).
///
/// There is deliberately no `none` and no `HS*`: RFC 8725 §3.1 — a verifier
/// that can be talked into those is the classic JWT vulnerability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 (salt length 32).
    PS256,
    /// RSASSA-PSS with SHA-384 (salt length 48).
    PS384,
    /// RSASSA-PSS with SHA-512 (salt length 64).
    PS512,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// ECDSA P-384 with SHA-384.
    ES384,
    /// ECDSA P-521 with SHA-512.
    ES512,
}

impl Alg {
    /// Every supported algorithm, in a stable order.
    pub const ALL: [Alg; 9] = [
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
    ];

    /// The registered JWA name, e.g. `"RS256"`.
    pub fn name(&self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
        }
    }

    /// Parses a JWA name. Matching is case-sensitive (RFC 7515 §4.1.1), so
    /// `"rs256"` is not `RS256`. Returns `None` for `none`, `HS*` and
    /// anything unknown.
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// True for the RSA algorithms (`RS*` and `PS*`).
    pub fn is_rsa(&self) -> bool {
        !self.is_ecdsa()
    }

    /// True for the ECDSA algorithms (`ES*`).
    pub fn is_ecdsa(&self) -> bool {
        matches!(self, Alg::ES256 | Alg::ES384 | Alg::ES512)
    }

    /// Output length in bytes of the algorithm's hash (32, 48 or 64).
    pub fn hash_len(&self) -> usize {
        match self {
            Alg::RS256 | Alg::PS256 | Alg::ES256 => 32,
            Alg::RS384 | Alg::PS384 | Alg::ES384 => 48,
            Alg::RS512 | Alg::PS512 | Alg::ES512 => 64,
        }
    }

    /// The aws-lc-rs digest algorithm matching [`Alg::hash_len`].
    pub(crate) fn digest(&self) -> &'static aws_lc_rs::digest::Algorithm {
        use aws_lc_rs::digest;
        match self.hash_len() {
            32 => &digest::SHA256,
            48 => &digest::SHA384,
            _ => &digest::SHA512,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Alg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Alg {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Alg::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unsupported algorithm {}",
                crate::error::cap(&name)
            ))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in Alg::ALL {
            assert_eq!(Alg::from_name(alg.name()), Some(alg));
            let json = serde_json::to_string(&alg).unwrap();
            assert_eq!(json, format!("\"{}\"", alg.name()));
            assert_eq!(serde_json::from_str::<Alg>(&json).unwrap(), alg);
        }
    }

    #[test]
    fn refuses_none_hmac_and_case_variants() {
        for name in [
            "none", "None", "HS256", "HS384", "HS512", "rs256", "", "EdDSA",
        ] {
            assert_eq!(Alg::from_name(name), None, "{name}");
        }
        assert!(serde_json::from_str::<Alg>("\"none\"").is_err());
    }

    #[test]
    fn families_and_hash_lengths() {
        assert!(Alg::PS384.is_rsa() && !Alg::PS384.is_ecdsa());
        assert!(Alg::ES512.is_ecdsa() && !Alg::ES512.is_rsa());
        assert_eq!(Alg::ES512.hash_len(), 64);
        assert_eq!(Alg::RS384.hash_len(), 48);
        assert_eq!(Alg::PS256.digest().output_len(), 32);
    }
}
