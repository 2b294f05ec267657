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
    /// The leaf certificate, DER in standard base64; empty until a pending version is merged.
    pub cer: String,
    /// base64url SHA-1 thumbprint; empty until a pending version is merged.
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
    /// The creation operation's state when it is not simply `completed` (issuer `Unknown`
    /// awaiting its merge, cancelled, or deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingMeta>,
}

impl CertMeta {
    /// Whether this version still waits for its certificate (issuer `Unknown`, not merged).
    pub fn awaiting_merge(&self) -> bool {
        self.cer.is_empty()
    }
}

/// A creation operation's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingMeta {
    /// `inProgress`, `cancelled` or `completed`.
    pub status: String,
    /// Whether cancellation was asked for.
    pub cancellation_requested: bool,
    /// The operation object was deleted: reading it is 404 from then on.
    #[serde(default)]
    pub deleted: bool,
    /// `attributes.enabled` as asked at creation, applied by the merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// Serialises metadata.
pub fn to_text(meta: &impl Serialize) -> Result<String, VaultError> {
    serde_json::to_string(meta).map_err(|e| VaultError::Internal(format!("meta: {e}")))
}

/// Reads metadata text (of a vault setting).
pub fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, VaultError> {
    serde_json::from_str(text).map_err(|e| VaultError::Internal(format!("stored meta: {e}")))
}

/// Reads a record's metadata.
pub fn read<T: DeserializeOwned>(record: &VaultObjectRecord) -> Result<T, VaultError> {
    serde_json::from_str(&record.meta)
        .map_err(|e| VaultError::Internal(format!("stored meta of {}: {e}", record.name)))
}
