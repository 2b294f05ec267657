//! What the service keeps in each version's `meta` JSON. Never secret: private keys and secret
//! values live only in the sealed column.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use skybridge_store::VaultObjectRecord;

use crate::api::certificates::CertificatePolicy;
use crate::api::keys::WireJwk;
use crate::api::{Attributes, Tags};
use crate::error::VaultError;

/// A key version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyMeta {
    /// The public key (no `kid`, no `key_ops`).
    pub public: WireJwk,
    /// Permitted operations.
    pub key_ops: Vec<String>,
    /// enabled / nbf / exp / exportable.
    pub attributes: Attributes,
    /// Tags.
    pub tags: Option<Tags>,
    /// A certificate's key.
    #[serde(default)]
    pub managed: bool,
}

/// A secret version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretMeta {
    /// Content type.
    pub content_type: Option<String>,
    /// enabled / nbf / exp.
    pub attributes: Attributes,
    /// Tags.
    pub tags: Option<Tags>,
    /// A certificate's secret (it then names the key of the same name and version).
    #[serde(default)]
    pub managed: bool,
}

/// A certificate version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertMeta {
    /// The leaf certificate, DER in standard base64.
    pub cer: String,
    /// base64url SHA-1 thumbprint.
    pub x5t: String,
    /// The rest of the chain (issuers), standard base64 DER.
    #[serde(default)]
    pub chain: Vec<String>,
    /// The policy in force when this version was made (the latest version's is "the" policy).
    pub policy: CertificatePolicy,
    /// enabled (nbf/exp come from the certificate).
    pub attributes: Attributes,
    /// Tags.
    pub tags: Option<Tags>,
    /// The creation operation's correlation id.
    pub request_id: String,
    /// The CSR that was "issued", standard base64 DER (empty for imports).
    #[serde(default)]
    pub csr: String,
}

/// Serialises metadata.
pub fn to_text(meta: &impl Serialize) -> Result<String, VaultError> {
    serde_json::to_string(meta).map_err(|e| VaultError::Internal(format!("meta: {e}")))
}

/// Reads a record's metadata.
pub fn read<T: DeserializeOwned>(record: &VaultObjectRecord) -> Result<T, VaultError> {
    serde_json::from_str(&record.meta)
        .map_err(|e| VaultError::Internal(format!("stored meta of {}: {e}", record.name)))
}
