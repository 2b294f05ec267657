//! Certificate issuers, the certificate contacts and the merge body. Shapes from the Key Vault
//! REST reference (SetCertificateIssuer, GetCertificateContacts, MergeCertificate) and Azure's
//! own recordings in azure-sdk-for-js (`keyvault-certificates/recordings/node/…`).

use serde::{Deserialize, Serialize};

use super::{Attributes, Tags};

/// `credentials` of an issuer. The password is accepted but never returned: Key Vault answers
/// without it (Set-AzKeyVaultCertificateIssuer's example prints an empty `ApiKey` after
/// setting one).
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct IssuerCredentials {
    /// The user name / account name / account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The password / secret / account key (write-only).
    #[serde(default, skip_serializing)]
    pub pwd: Option<String>,
}

// Hand-written so that the password never reaches a log line.
impl std::fmt::Debug for IssuerCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerCredentials")
            .field("account_id", &self.account_id)
            .field("pwd", &self.pwd.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// One organization administrator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdministratorDetails {
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `org_details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationDetails {
    /// The organization's id at the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Key Vault answers with `"zip": 0` in every recorded issuer, whatever was sent (it is
    /// in no request model); echoed for fidelity.
    #[serde(default)]
    pub zip: i64,
    /// Administrators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_details: Option<Vec<AdministratorDetails>>,
}

/// An issuer's `attributes`: only `enabled` is settable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerAttributes {
    /// Whether the issuer may be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Created (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// Updated (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<i64>,
}

/// `IssuerBundle`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuerBundle {
    /// `<vault>/certificates/issuers/<name>`.
    pub id: String,
    /// The provider (`DigiCert`, `GlobalSign`, `Test`, …).
    pub provider: String,
    /// Credentials, without the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<IssuerCredentials>,
    /// Organization details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_details: Option<OrganizationDetails>,
    /// Attributes.
    pub attributes: IssuerAttributes,
}

/// `PUT` (all but `provider` optional) and `PATCH` (all optional) bodies.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IssuerParameters {
    /// The provider; required by `PUT`.
    pub provider: Option<String>,
    /// Credentials.
    pub credentials: Option<IssuerCredentials>,
    /// Organization details.
    pub org_details: Option<OrganizationDetails>,
    /// Attributes.
    pub attributes: Option<IssuerAttributes>,
}

/// `CertificateIssuerItem`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuerItem {
    /// `<vault>/certificates/issuers/<name>`.
    pub id: String,
    /// The provider.
    pub provider: String,
}

/// One certificate contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `Contacts`: the vault's certificate contacts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contacts {
    /// `<vault>/certificates/contacts` (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The contacts.
    #[serde(default)]
    pub contacts: Vec<Contact>,
}

/// `POST /certificates/{name}/pending/merge`.
#[derive(Debug, Clone, Deserialize)]
pub struct CertificateMergeParameters {
    /// The certificate or chain, each standard base64 DER.
    pub x5c: Vec<String>,
    /// Attributes (`enabled`).
    pub attributes: Option<Attributes>,
    /// Tags.
    pub tags: Option<Tags>,
}
