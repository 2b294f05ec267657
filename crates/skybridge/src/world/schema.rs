//! The world file's schema (TOML, `version = 1`). Unknown keys are refused; references to
//! other entries carry their source span so errors can name file:line:col.

use serde::Deserialize;
use toml::Spanned;
use uuid::Uuid;

/// The whole world file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// Must be 1.
    pub version: Spanned<u32>,
    /// Settings of the authority itself.
    #[serde(default)]
    pub authority: AuthoritySettings,
    /// Tenants (directories).
    #[serde(default, rename = "tenant")]
    pub tenants: Vec<Tenant>,
    /// Application registrations.
    #[serde(default, rename = "application")]
    pub applications: Vec<Application>,
    /// Service principals of multi-tenant applications in tenants other than their home.
    #[serde(default, rename = "service_principal")]
    pub service_principals: Vec<ServicePrincipal>,
    /// App-role grants.
    #[serde(default, rename = "app_role_assignment")]
    pub app_role_assignments: Vec<AppRoleAssignment>,
    /// User-assigned managed identities.
    #[serde(default, rename = "managed_identity")]
    pub managed_identities: Vec<super::identity::ManagedIdentity>,
    /// Resources carrying managed identities.
    #[serde(default, rename = "resource")]
    pub resources: Vec<super::identity::Resource>,
    /// API Management gateways (the gateway crate's configuration; docs/world.md).
    #[serde(default, rename = "gateway")]
    pub gateways: Vec<skybridge_gateway::GatewayConfig>,
    /// Built-in sample backends (`sample_api.rs`), reachable from gateways as
    /// `{{skybridge-sample-<name>}}`.
    #[serde(default, rename = "sample_api")]
    pub sample_apis: Vec<SampleApi>,
    /// Key Vault-compatible vaults (world/vault.rs).
    #[serde(default, rename = "vault")]
    pub vaults: Vec<super::vault::Vault>,
    /// Logic Apps workflows (world/workflow.rs).
    #[serde(default, rename = "workflow")]
    pub workflows: Vec<super::workflow::Workflow>,
}

/// `[authority]`: how the token service behaves.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthoritySettings {
    /// Refuse a client assertion whose `jti` was already used (off: both MSALs reuse
    /// assertions for minutes).
    #[serde(default)]
    pub replay_protection: bool,
    /// Access-token lifetime range in minutes, `[min, max]`; Entra's is `[60, 90]`.
    pub token_lifetime_minutes: Option<Spanned<[i64; 2]>>,
}

/// `[[tenant]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// Short name used in URLs and references.
    pub name: Spanned<String>,
    /// Fixed tenant id; generated once when absent.
    pub id: Option<Uuid>,
    /// Extra domain names.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Display name.
    pub display_name: Option<String>,
}

/// `[[application]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Home tenant's name.
    pub tenant: Spanned<String>,
    /// Name, unique in the tenant.
    pub name: Spanned<String>,
    /// Fixed client id; generated once when absent.
    pub client_id: Option<Uuid>,
    /// Identifier URIs (`api://orders`).
    #[serde(default)]
    pub identifier_uris: Vec<String>,
    /// `accessTokenAcceptedVersion`: 1 (default, as Entra's null) or 2.
    #[serde(default = "default_version")]
    pub access_token_version: Spanned<u8>,
    /// Whether other tenants may provision it.
    #[serde(default)]
    pub multi_tenant: bool,
    /// Callers need an app-role assignment to get tokens for it.
    #[serde(default)]
    pub app_role_assignment_required: bool,
    /// App roles.
    #[serde(default, rename = "app_role")]
    pub app_roles: Vec<AppRole>,
    /// Client secrets.
    #[serde(default, rename = "secret")]
    pub secrets: Vec<Secret>,
    /// Certificate credentials (public part).
    #[serde(default, rename = "certificate")]
    pub certificates: Vec<Certificate>,
    /// Federated identity credentials.
    #[serde(default, rename = "federated_credential")]
    pub federated_credentials: Vec<super::identity::FederatedCredential>,
}

fn default_version() -> Spanned<u8> {
    Spanned::new(0..0, 1)
}

/// `[[application.app_role]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppRole {
    /// The `roles` claim value.
    pub value: Spanned<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Fixed role id.
    pub id: Option<Uuid>,
    /// `Application`, `User`.
    #[serde(default)]
    pub allowed_member_types: Vec<String>,
}

/// `[[application.secret]]`: a client secret, given inline or by environment variable.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// Name (display name) of the credential.
    pub name: Spanned<String>,
    /// The value.
    pub value: Option<Spanned<String>>,
    /// Read the value from this environment variable instead.
    pub value_env: Option<Spanned<String>>,
    /// Expiry, RFC 3339 (`2027-01-01T00:00:00Z`).
    pub end: Option<Spanned<String>>,
}

/// `[[application.certificate]]`: a certificate whose public part the app trusts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Name (display name) of the credential.
    pub name: Spanned<String>,
    /// PEM or DER (`.cer`) file, relative to the world file.
    pub file: Option<Spanned<String>>,
    /// Or: a certificate of a vault of this world, `<vault>/<certificate>`: its public part,
    /// read after the vault is seeded (the seed chain's design — the key stays in the vault).
    pub vault_certificate: Option<Spanned<String>>,
}

/// `[[service_principal]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicePrincipal {
    /// The tenant to provision into.
    pub tenant: Spanned<String>,
    /// `<home tenant>/<application>`.
    pub application: Spanned<String>,
}

/// `[[app_role_assignment]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppRoleAssignment {
    /// The tenant where the grant lives.
    pub tenant: Spanned<String>,
    /// The client: an application of `tenant`, or `<tenant>/<application>`.
    pub principal: Option<Spanned<String>>,
    /// Or: a managed identity of `tenant`: a user-assigned identity's name, or a resource's
    /// name for its system-assigned identity.
    pub managed_identity: Option<Spanned<String>>,
    /// The resource application, same forms.
    pub resource: Spanned<String>,
    /// The app role's value.
    pub role: Spanned<String>,
}

/// `[[sample_api]]`: a built-in sample backend on loopback.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleApi {
    /// Name; the gateways' named value `skybridge-sample-<name>` holds its base URL.
    pub name: Spanned<String>,
    /// What it answers; sample orders by default.
    #[serde(default)]
    pub kind: SampleKind,
}

/// The behaviour of a `[[sample_api]]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SampleKind {
    /// `GET /orders` and `GET /orders/{id}` with sample orders.
    #[default]
    Orders,
    /// Any method and path: the request (method, path, query, headers, caller claims) as JSON,
    /// so a policy's effect on the forwarded request can be seen.
    Echo,
}
