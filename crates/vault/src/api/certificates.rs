//! Certificates: the policy, bundles, items, operations and the create/import/update bodies.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Attributes, Tags};

/// `key_props`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyProperties {
    /// Whether the private key may leave the vault (in the certificate's secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exportable: Option<bool>,
    /// `RSA`, `EC` (`-HSM` accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kty: Option<String>,
    /// RSA bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_size: Option<u32>,
    /// Whether renewals keep the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reuse_key: Option<bool>,
    /// EC curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
}

/// `secret_props`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretProperties {
    /// `application/x-pkcs12` or `application/x-pem-file`.
    #[serde(
        rename = "contentType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub content_type: Option<String>,
}

/// `sans`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectAlternativeNames {
    /// Email addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<String>>,
    /// DNS names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_names: Option<Vec<String>>,
    /// User principal names (kept, not encoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upns: Option<Vec<String>>,
    /// URIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uris: Option<Vec<String>>,
    /// IP addresses.
    #[serde(
        rename = "ipAddresses",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ip_addresses: Option<Vec<String>>,
}

/// `x509_props`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct X509Properties {
    /// Subject DN, e.g. `CN=client`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Extended key usage OIDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ekus: Option<Vec<String>>,
    /// Subject alternative names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sans: Option<SubjectAlternativeNames>,
    /// Key usages (`digitalSignature`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<Vec<String>>,
    /// Validity in months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_months: Option<u32>,
}

/// `issuer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerParameters {
    /// `Self`, `Unknown` or an issuer's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Certificate type for a CA issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
    /// Certificate transparency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_transparency: Option<bool>,
}

/// `CertificatePolicy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificatePolicy {
    /// `<vault>/certificates/<name>/policy` (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Key properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_props: Option<KeyProperties>,
    /// Secret properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_props: Option<SecretProperties>,
    /// X.509 properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_props: Option<X509Properties>,
    /// Lifetime actions, kept as given (Skybridge does not renew).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_actions: Option<Value>,
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<IssuerParameters>,
    /// Policy attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

/// `CertificateBundle`. A version still pending (issuer `Unknown`, before the merge) has no
/// `kid`, `sid`, `x5t` or `cer`, and names its operation in `pending` (Azure's recordings in
/// azure-sdk-for-js `recording_can_read_cancel_and_delete_a_certificates_operation.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateBundle {
    /// Versioned id.
    pub id: String,
    /// The key with the same name and version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The secret with the same name and version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// base64url SHA-1 thumbprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// Standard base64 DER.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cer: Option<String>,
    /// Attributes (nbf/exp are the certificate's validity).
    pub attributes: Attributes,
    /// The policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<CertificatePolicy>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    /// The secret's content type.
    #[serde(
        rename = "contentType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub content_type: Option<String>,
    /// The pending operation, while one is in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingReference>,
}

/// `pending` in a certificate bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingReference {
    /// `<vault>/certificates/<name>/pending`.
    pub id: String,
}

/// `CertificateItem`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateItem {
    /// Id.
    pub id: String,
    /// base64url SHA-1 thumbprint (absent while pending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// Attributes.
    pub attributes: Attributes,
    /// Tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// `CertificateOperation` (`…/pending`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateOperation {
    /// `<vault>/certificates/<name>/pending`.
    pub id: String,
    /// The issuer.
    pub issuer: IssuerParameters,
    /// Standard base64 DER CSR.
    pub csr: String,
    /// Whether cancellation was asked for.
    pub cancellation_requested: bool,
    /// `inProgress`, `completed`, `cancelled`, `failed`.
    pub status: String,
    /// Human-readable status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    /// The certificate's versionless id once completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Correlation id.
    pub request_id: String,
}

/// `POST /certificates/{name}/create`.
#[derive(Debug, Clone, Deserialize)]
pub struct CertificateCreateParameters {
    /// The policy.
    pub policy: Option<CertificatePolicy>,
    /// Attributes.
    pub attributes: Option<Attributes>,
    /// Tags.
    pub tags: Option<Tags>,
}

/// `POST /certificates/{name}/import`.
#[derive(Debug, Clone, Deserialize)]
pub struct CertificateImportParameters {
    /// base64 PFX, or PEM text.
    pub value: String,
    /// The PFX password.
    pub pwd: Option<String>,
    /// The policy (its secret content type says how `value` is encoded).
    pub policy: Option<CertificatePolicy>,
    /// Attributes.
    pub attributes: Option<Attributes>,
    /// Tags.
    pub tags: Option<Tags>,
}

/// `PATCH /certificates/{name}/{version}`.
#[derive(Debug, Clone, Deserialize)]
pub struct CertificateUpdateParameters {
    /// Policy changes.
    pub policy: Option<CertificatePolicy>,
    /// Attribute changes.
    pub attributes: Option<Attributes>,
    /// New tags.
    pub tags: Option<Tags>,
}

/// `PATCH /certificates/{name}/pending`.
#[derive(Debug, Clone, Deserialize)]
pub struct CertificateOperationUpdate {
    /// Ask to cancel.
    pub cancellation_requested: bool,
}
