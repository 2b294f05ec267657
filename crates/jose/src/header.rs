//! The JOSE header of a compact JWS.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::cap;
use crate::{Alg, JoseError};

/// A JWS protected header.
///
/// `alg` is kept as the raw string so that a token with an unsupported
/// algorithm still decodes and can be inspected; [`Header::algorithm`] is
/// the gate. Serialises in the order `alg, typ, kid, x5t, x5t#S256, x5c`,
/// then any extra members.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Algorithm name (RFC 7515 §4.1.1).
    pub alg: String,
    /// Media type, e.g. `"JWT"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Base64url SHA-1 thumbprint of the signing certificate (Entra sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// Base64url SHA-256 thumbprint of the signing certificate.
    #[serde(rename = "x5t#S256", default, skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
    /// Certificate chain, standard base64 DER entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5c: Option<Vec<String>>,
    /// Every other member, e.g. `nonce`, `crit`, `cty`.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Header {
    /// A header with only `alg` set.
    pub fn new(alg: Alg) -> Self {
        Self {
            alg: alg.name().to_owned(),
            ..Self::default()
        }
    }

    /// The header's algorithm, if it is one we accept.
    ///
    /// `none`, `HS*` and unknown names give [`JoseError::UnsupportedAlg`].
    pub fn algorithm(&self) -> Result<Alg, JoseError> {
        Alg::from_name(&self.alg).ok_or_else(|| JoseError::UnsupportedAlg(cap(&self.alg)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_in_documented_order_and_skips_none() {
        let mut h = Header::new(Alg::RS256);
        h.typ = Some("JWT".into());
        h.kid = Some("k1".into());
        h.x5t = Some("t1".into());
        h.x5t_s256 = Some("t2".into());
        h.x5c = Some(vec!["MIIB".into()]);
        h.extra.insert("nonce".into(), json!("n"));
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"alg":"RS256","typ":"JWT","kid":"k1","x5t":"t1","x5t#S256":"t2","x5c":["MIIB"],"nonce":"n"}"#
        );
        assert_eq!(
            serde_json::to_string(&Header::new(Alg::ES256)).unwrap(),
            r#"{"alg":"ES256"}"#
        );
    }

    #[test]
    fn parses_extras_and_round_trips() {
        let h: Header =
            serde_json::from_str(r#"{"typ":"JWT","alg":"PS256","x5t#S256":"abc","cty":"x"}"#)
                .unwrap();
        assert_eq!(h.algorithm().unwrap(), Alg::PS256);
        assert_eq!(h.x5t_s256.as_deref(), Some("abc"));
        assert_eq!(h.extra.get("cty"), Some(&json!("x")));
        let again: Header = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        assert_eq!(again, h);
    }

    #[test]
    fn algorithm_refuses_none_and_hmac() {
        for name in ["none", "HS256", "foo"] {
            let h = Header {
                alg: name.into(),
                ..Header::default()
            };
            assert_eq!(h.algorithm(), Err(JoseError::UnsupportedAlg(name.into())));
        }
    }
}
