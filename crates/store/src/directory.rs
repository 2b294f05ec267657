//! The directory: what the authority knows about tenants, applications, service principals,
//! their credentials and app-role assignments, and each tenant's token-signing keys.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::StoreError;

/// An Entra tenant (directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    /// The tenant id (`tid`).
    pub id: Uuid,
    /// The short name used in world files and URLs (`home`, `partner`).
    pub name: String,
    /// Verified domains that also name the tenant in URLs (`partner.onmicrosoft.com`).
    pub domains: Vec<String>,
    /// Display name.
    pub display_name: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// An app role an application defines (`appRoles` in the manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleRecord {
    /// The role's id, referenced by assignments.
    pub id: Uuid,
    /// The value that appears in the `roles` claim.
    pub value: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// `Application`, `User` or both.
    pub allowed_member_types: Vec<String>,
    /// Disabled roles are not granted.
    pub is_enabled: bool,
}

/// An application registration, homed in one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    /// The application (client) id.
    pub app_id: Uuid,
    /// The application object's id in its home tenant.
    pub object_id: Uuid,
    /// The home tenant.
    pub tenant_id: Uuid,
    /// The short name used in world files.
    pub name: String,
    /// Identifier URIs (`api://orders`).
    pub identifier_uris: Vec<String>,
    /// App roles.
    pub app_roles: Vec<AppRoleRecord>,
    /// `accessTokenAcceptedVersion`: 1 or 2.
    pub access_token_accepted_version: u8,
    /// `AzureADMyOrg` or `AzureADMultipleOrgs`.
    pub sign_in_audience: String,
    /// Whether callers need an app-role assignment to get a token for this app.
    pub app_role_assignment_required: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// A service principal: an application's (or a managed identity's) presence in one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePrincipalRecord {
    /// The object id (`oid` in tokens).
    pub id: Uuid,
    /// The tenant it lives in.
    pub tenant_id: Uuid,
    /// The application it represents.
    pub app_id: Uuid,
    /// Display name.
    pub display_name: String,
    /// `Application` or `ManagedIdentity`.
    pub kind: String,
}

/// A client secret. Only a salted hash of the value is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordCredentialRecord {
    /// `keyId`.
    pub key_id: Uuid,
    /// The application it belongs to.
    pub app_id: Uuid,
    /// Display name (the world file's name for it).
    pub display_name: String,
    /// The first three characters of the value, as Entra shows them.
    pub hint: String,
    /// Random salt.
    pub salt: Vec<u8>,
    /// SHA-256 of salt and value.
    pub hash: Vec<u8>,
    /// Unix seconds.
    pub start: i64,
    /// Unix seconds.
    pub end: i64,
}

/// The public part of a certificate registered on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCredentialRecord {
    /// `keyId`.
    pub key_id: Uuid,
    /// The application it belongs to.
    pub app_id: Uuid,
    /// Display name.
    pub display_name: String,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// SHA-1 thumbprint (`x5t`).
    pub sha1: Vec<u8>,
    /// SHA-256 thumbprint (`x5t#S256`).
    pub sha256: Vec<u8>,
    /// Unix seconds (the certificate's notBefore unless overridden).
    pub start: i64,
    /// Unix seconds (the certificate's notAfter unless overridden).
    pub end: i64,
}

/// A federated identity credential: tokens from `issuer` about `subject` for one of
/// `audiences` authenticate as the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedCredentialRecord {
    /// Credential id.
    pub id: Uuid,
    /// The application it belongs to.
    pub app_id: Uuid,
    /// Name, unique per application.
    pub name: String,
    /// Exact issuer (`iss`).
    pub issuer: String,
    /// Exact, case-sensitive subject (`sub`).
    pub subject: String,
    /// Accepted audiences (Entra allows one).
    pub audiences: Vec<String>,
}

/// A grant of one app role of a resource to a principal, within one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRoleAssignmentRecord {
    /// Assignment id.
    pub id: Uuid,
    /// The tenant of both service principals.
    pub tenant_id: Uuid,
    /// The service principal granted the role.
    pub principal_id: Uuid,
    /// The resource's service principal.
    pub resource_id: Uuid,
    /// The role's id in the resource application.
    pub app_role_id: Uuid,
}

/// Where a signing key stands in its rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningKeyStatus {
    /// Retired from signing, still published so that tokens it signed verify.
    Previous,
    /// Signs new tokens.
    Current,
    /// Published ahead of use so validators have it before it signs.
    Next,
}

impl SigningKeyStatus {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Previous => "previous",
            Self::Current => "current",
            Self::Next => "next",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "previous" => Some(Self::Previous),
            "current" => Some(Self::Current),
            "next" => Some(Self::Next),
            _ => None,
        }
    }
}

/// A tenant's token-signing key. The private key is sealed under the root key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// The tenant.
    pub tenant_id: Uuid,
    /// `kid` (= `x5t` of its certificate).
    pub kid: String,
    /// Rotation state.
    pub status: SigningKeyStatus,
    /// PKCS#8 private key sealed with [`crate::RootKey`].
    pub sealed_private_key: Vec<u8>,
    /// The self-signed certificate published in `x5c`.
    pub cert_der: Vec<u8>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Storage for the authority's directory.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Inserts or replaces a tenant (by id).
    async fn put_tenant(&self, tenant: &TenantRecord) -> Result<(), StoreError>;
    /// A tenant by id.
    async fn tenant(&self, id: Uuid) -> Result<Option<TenantRecord>, StoreError>;
    /// A tenant by name or domain, case-insensitively.
    async fn tenant_by_alias(&self, alias: &str) -> Result<Option<TenantRecord>, StoreError>;
    /// All tenants, by name.
    async fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError>;

    /// Inserts or replaces an application (by app id), with its identifier URIs.
    async fn put_application(&self, app: &ApplicationRecord) -> Result<(), StoreError>;
    /// An application by app (client) id.
    async fn application(&self, app_id: Uuid) -> Result<Option<ApplicationRecord>, StoreError>;
    /// An application by its home tenant and name.
    async fn application_by_name(
        &self,
        tenant_id: Uuid,
        name: &str,
    ) -> Result<Option<ApplicationRecord>, StoreError>;
    /// Applications that carry this identifier URI (exact match).
    async fn applications_by_identifier_uri(
        &self,
        uri: &str,
    ) -> Result<Vec<ApplicationRecord>, StoreError>;
    /// All applications, by tenant and name.
    async fn applications(&self) -> Result<Vec<ApplicationRecord>, StoreError>;

    /// Inserts or replaces a service principal (by id).
    async fn put_service_principal(&self, sp: &ServicePrincipalRecord) -> Result<(), StoreError>;
    /// The service principal of an application in a tenant.
    async fn service_principal(
        &self,
        tenant_id: Uuid,
        app_id: Uuid,
    ) -> Result<Option<ServicePrincipalRecord>, StoreError>;

    /// Inserts or replaces a client secret (by key id).
    async fn put_password_credential(
        &self,
        credential: &PasswordCredentialRecord,
    ) -> Result<(), StoreError>;
    /// An application's client secrets.
    async fn password_credentials(
        &self,
        app_id: Uuid,
    ) -> Result<Vec<PasswordCredentialRecord>, StoreError>;
    /// Inserts or replaces a certificate credential (by key id).
    async fn put_key_credential(&self, credential: &KeyCredentialRecord) -> Result<(), StoreError>;
    /// An application's certificate credentials.
    async fn key_credentials(&self, app_id: Uuid) -> Result<Vec<KeyCredentialRecord>, StoreError>;

    /// Inserts or replaces a federated credential (by application and name).
    async fn put_federated_credential(
        &self,
        credential: &FederatedCredentialRecord,
    ) -> Result<(), StoreError>;
    /// An application's federated credentials.
    async fn federated_credentials(
        &self,
        app_id: Uuid,
    ) -> Result<Vec<FederatedCredentialRecord>, StoreError>;

    /// Inserts an assignment unless the same (principal, resource, role) exists; returns the
    /// stored one.
    async fn put_app_role_assignment(
        &self,
        assignment: &AppRoleAssignmentRecord,
    ) -> Result<AppRoleAssignmentRecord, StoreError>;
    /// Assignments of a principal on a resource.
    async fn app_role_assignments(
        &self,
        principal_id: Uuid,
        resource_id: Uuid,
    ) -> Result<Vec<AppRoleAssignmentRecord>, StoreError>;

    /// A tenant's signing keys.
    async fn signing_keys(&self, tenant_id: Uuid) -> Result<Vec<SigningKeyRecord>, StoreError>;
    /// Replaces all of a tenant's signing keys in one transaction (rotation).
    async fn replace_signing_keys(
        &self,
        tenant_id: Uuid,
        keys: &[SigningKeyRecord],
    ) -> Result<(), StoreError>;

    /// Records a client assertion id for opt-in replay protection. Returns `false` when the same
    /// (tenant, client, jti) was seen and has not expired. Expired entries are pruned.
    async fn remember_assertion(
        &self,
        tenant_id: Uuid,
        client_id: Uuid,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError>;
}
