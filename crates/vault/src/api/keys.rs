//! Keys: bundles, items and the bodies of create, import, update and the crypto operations.

use serde::{Deserialize, Serialize};

use super::{Attributes, Tags};

/// A JSON Web Key as Key Vault returns (public members only) or receives it (import adds the
/// private members).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireJwk {
    /// The versioned key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `RSA`, `EC` (`-HSM` variants accepted on input).
    #[serde(default)]
    pub kty: String,
    /// Permitted operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// RSA modulus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// RSA/EC private exponent (input only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// RSA prime p (input only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<String>,
    /// RSA prime q (input only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// RSA d mod (p-1) (input only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<String>,
    /// RSA d mod (q-1) (input only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dq: Option<String>,
    /// RSA q^-1 mod p (input only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qi: Option<String>,
    /// Symmetric key (never returned; refused on import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
    /// EC curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// `KeyBundle`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyBundle {
    /// The public key with its `kid`.
    pub key: WireJwk,
    /// Attributes.
    pub attributes: Attributes,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    /// True for a certificate's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<bool>,
}

/// `KeyItem` (lists).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyItem {
    /// The key id (versioned in version lists, versionless in the key list).
    pub kid: String,
    /// Attributes.
    pub attributes: Attributes,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    /// True for a certificate's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<bool>,
}

/// `POST /keys/{name}/create`.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyCreateParameters {
    /// `RSA`, `RSA-HSM`, `EC`, `EC-HSM` (`oct` is refused).
    pub kty: String,
    /// RSA size in bits.
    pub key_size: Option<u32>,
    /// RSA public exponent (only 65537).
    pub public_exponent: Option<u64>,
    /// EC curve.
    pub crv: Option<String>,
    /// Permitted operations.
    pub key_ops: Option<Vec<String>>,
    /// Attributes.
    pub attributes: Option<Attributes>,
    /// Tags.
    pub tags: Option<Tags>,
}

/// `PUT /keys/{name}`.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyImportParameters {
    /// The private JWK.
    pub key: WireJwk,
    /// Whether to import into an HSM (accepted, ignored).
    #[serde(rename = "Hsm")]
    pub hsm: Option<bool>,
    /// Attributes.
    pub attributes: Option<Attributes>,
    /// Tags.
    pub tags: Option<Tags>,
}

/// `PATCH /keys/{name}/{version}`.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyUpdateParameters {
    /// New permitted operations.
    pub key_ops: Option<Vec<String>>,
    /// Attribute changes.
    pub attributes: Option<Attributes>,
    /// New tags (replace).
    pub tags: Option<Tags>,
}

/// encrypt / decrypt / wrapkey / unwrapkey / sign bodies.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyOperationParameters {
    /// The algorithm.
    pub alg: String,
    /// base64url input.
    pub value: String,
}

/// `verify` body.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyVerifyParameters {
    /// The algorithm.
    pub alg: String,
    /// base64url digest.
    pub digest: String,
    /// base64url signature.
    pub value: String,
}

/// Result of a crypto operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyOperationResult {
    /// The versioned key id used.
    pub kid: String,
    /// base64url output.
    pub value: String,
}

/// Result of `verify`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyVerifyResult {
    /// Whether the signature is valid.
    pub value: bool,
}

/// `POST /rng`.
#[derive(Debug, Clone, Deserialize)]
pub struct RandomBytesParameters {
    /// 1..=128 bytes.
    pub count: i64,
}
