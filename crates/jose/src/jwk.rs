//! JSON Web Keys (RFC 7517) and key sets.

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::der;
use crate::error::cap;
use crate::keys::EcCurve;
use crate::{Alg, JoseError, VerifyingKey, b64};

/// A public JWK as Entra ID and Key Vault publish them.
///
/// Serialises `None` members away, in the order `kty, use, key_ops, alg,
/// kid, x5t, x5t#S256, n, e, crv, x, y, x5c`, then extras (Entra adds
/// `issuer`, and `cloud_instance_name` in the OIDC JWKS).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `"RSA"` or `"EC"` (others parse but cannot verify).
    pub kty: String,
    /// Intended use, `"sig"` or `"enc"`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Permitted operations (Key Vault style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// Algorithm the key is pinned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Base64url SHA-1 certificate thumbprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// Base64url SHA-256 certificate thumbprint.
    #[serde(rename = "x5t#S256", default, skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// Certificate chain, standard base64 DER, leaf first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5c: Option<Vec<String>>,
    /// Any other members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn key_b64(value: &str, member: &str) -> Result<Vec<u8>, JoseError> {
    b64::url_decode_lenient(value)
        .map_err(|_| JoseError::InvalidKey(format!("JWK member {member} is not base64url")))
}

/// Decodes an EC coordinate. Producers are supposed to emit the full
/// field length (RFC 7518 §6.2.1.2) but some drop leading zero bytes;
/// left-padding those back is harmless, longer values are refused.
fn coordinate(value: &str, member: &str, curve: EcCurve) -> Result<Vec<u8>, JoseError> {
    let raw = key_b64(value, member)?;
    let len = curve.coordinate_len();
    if raw.len() > len {
        return Err(JoseError::InvalidKey(format!(
            "JWK member {member} is too long for {}",
            curve.jwk_name()
        )));
    }
    let mut out = vec![0u8; len - raw.len()];
    out.extend_from_slice(&raw);
    Ok(out)
}

/// JSON string literal for the RFC 7638 canonical form.
fn quoted(value: &str) -> String {
    Value::String(value.to_owned()).to_string()
}

impl Jwk {
    /// Builds the verifying key.
    ///
    /// RSA uses `n`/`e`; EC uses `crv`/`x`/`y`. If those are absent but
    /// `x5c` is present, the first certificate's SubjectPublicKeyInfo is used
    /// (the certificate itself is not validated — the JWKS is the trust
    /// anchor). A present `alg` pins the key (RFC 8725 §3.1); `alg` values
    /// we do not support (e.g. `HS256`) are refused, as are `use: "enc"`
    /// keys.
    pub fn verifying_key(&self) -> Result<VerifyingKey, JoseError> {
        if self.use_.as_deref() == Some("enc") {
            return Err(JoseError::InvalidKey(
                "JWK is marked for encryption (use=enc)".into(),
            ));
        }
        let pinned = match &self.alg {
            Some(name) => {
                Some(Alg::from_name(name).ok_or_else(|| JoseError::UnsupportedAlg(cap(name)))?)
            }
            None => None,
        };
        let key = match self.kty.as_str() {
            "RSA" => match (&self.n, &self.e) {
                (Some(n), Some(e)) => VerifyingKey::rsa(&key_b64(n, "n")?, &key_b64(e, "e")?)?,
                _ => match self.x5c_key()? {
                    key @ VerifyingKey::Rsa { .. } => key,
                    VerifyingKey::Ec { .. } => {
                        return Err(JoseError::InvalidKey(
                            "x5c certificate key is not RSA".into(),
                        ));
                    }
                },
            },
            "EC" => match (&self.crv, &self.x, &self.y) {
                (Some(crv), Some(x), Some(y)) => {
                    let curve = EcCurve::from_jwk_name(crv).ok_or_else(|| {
                        JoseError::InvalidKey(format!("unsupported curve {}", cap(crv)))
                    })?;
                    let point = [
                        vec![0x04],
                        coordinate(x, "x", curve)?,
                        coordinate(y, "y", curve)?,
                    ]
                    .concat();
                    VerifyingKey::ec(curve, &point)?
                }
                _ => match self.x5c_key()? {
                    key @ VerifyingKey::Ec { curve, .. }
                        if self.crv.as_deref().is_none_or(|c| c == curve.jwk_name()) =>
                    {
                        key
                    }
                    _ => {
                        return Err(JoseError::InvalidKey(
                            "x5c certificate key does not match the JWK".into(),
                        ));
                    }
                },
            },
            other => {
                return Err(JoseError::InvalidKey(format!(
                    "unsupported kty {}",
                    cap(other)
                )));
            }
        };
        match pinned {
            Some(alg) => key.pinned(alg),
            None => Ok(key),
        }
    }

    fn x5c_key(&self) -> Result<VerifyingKey, JoseError> {
        let first = self
            .x5c
            .as_ref()
            .and_then(|chain| chain.first())
            .ok_or_else(|| JoseError::InvalidKey("JWK lacks key members and x5c".into()))?;
        let cert = b64::std_decode_lenient(first)
            .map_err(|_| JoseError::InvalidKey("x5c[0] is not valid base64".into()))?;
        VerifyingKey::from_spki_der(der::certificate_spki(&cert)?)
    }

    /// RFC 7638 JWK thumbprint: base64url SHA-256 of the canonical JSON of
    /// the required members. For an RSA or EC JWK that only carries `x5c`,
    /// the members are derived from the certificate's key.
    pub fn thumbprint(&self) -> Result<String, JoseError> {
        let derived;
        let source = match self.kty.as_str() {
            "RSA" if self.n.is_some() && self.e.is_some() => self,
            "EC" if self.crv.is_some() && self.x.is_some() && self.y.is_some() => self,
            "RSA" | "EC" => {
                derived = self.verifying_key()?.to_jwk();
                &derived
            }
            other => {
                return Err(JoseError::InvalidKey(format!(
                    "thumbprint of kty {} is not supported",
                    cap(other)
                )));
            }
        };
        let member = |v: &Option<String>| quoted(v.as_deref().unwrap_or_default());
        // Members in lexicographic order, no whitespace (RFC 7638 §3.3).
        let canonical = if source.kty == "RSA" {
            format!(
                r#"{{"e":{},"kty":"RSA","n":{}}}"#,
                member(&source.e),
                member(&source.n)
            )
        } else {
            format!(
                r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
                member(&source.crv),
                member(&source.x),
                member(&source.y)
            )
        };
        let hash = digest::digest(&digest::SHA256, canonical.as_bytes());
        Ok(b64::url_encode(hash.as_ref()))
    }
}

/// A JWK Set (RFC 7517 §5): `{"keys": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys, in publication order.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The first key whose `kid` equals `kid`.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    fn rfc7638_jwk() -> Jwk {
        Jwk {
            kty: "RSA".into(),
            n: Some(RFC7638_N.into()),
            e: Some("AQAB".into()),
            alg: Some("RS256".into()),
            kid: Some("2011-04-29".into()),
            ..Jwk::default()
        }
    }

    #[test]
    fn rfc7638_thumbprint() {
        assert_eq!(
            rfc7638_jwk().thumbprint().unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn entra_style_output_order() {
        let mut jwk = rfc7638_jwk();
        jwk.alg = None;
        jwk.use_ = Some("sig".into());
        jwk.x5t = Some("t".into());
        jwk.n = Some("N".into());
        jwk.x5c = Some(vec!["C".into()]);
        jwk.extra
            .insert("issuer".into(), Value::String("https://iss".into()));
        assert_eq!(
            serde_json::to_string(&jwk).unwrap(),
            r#"{"kty":"RSA","use":"sig","kid":"2011-04-29","x5t":"t","n":"N","e":"AQAB","x5c":["C"],"issuer":"https://iss"}"#
        );
    }

    #[test]
    fn alg_member_pins_and_refuses_hmac_and_enc() {
        let key = rfc7638_jwk().verifying_key().unwrap();
        assert!(key.allows(Alg::RS256) && !key.allows(Alg::PS256));
        let mut hs = rfc7638_jwk();
        hs.alg = Some("HS256".into());
        assert!(matches!(
            hs.verifying_key(),
            Err(JoseError::UnsupportedAlg(_))
        ));
        let mut es = rfc7638_jwk();
        es.alg = Some("ES256".into());
        assert!(matches!(es.verifying_key(), Err(JoseError::InvalidKey(_))));
        let mut enc = rfc7638_jwk();
        enc.use_ = Some("enc".into());
        assert!(enc.verifying_key().is_err());
        let oct = Jwk {
            kty: "oct".into(),
            ..Jwk::default()
        };
        assert!(oct.verifying_key().is_err() && oct.thumbprint().is_err());
    }

    #[test]
    fn jwk_set_find_by_kid() {
        let set: JwkSet = serde_json::from_str(
            r#"{"keys":[{"kty":"RSA","kid":"a"},{"kty":"EC","kid":"b","crv":"P-256"}]}"#,
        )
        .unwrap();
        assert_eq!(set.find("b").map(|k| k.kty.as_str()), Some("EC"));
        assert!(set.find("c").is_none());
    }
}
