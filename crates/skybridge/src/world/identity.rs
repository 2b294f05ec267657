//! Managed identities in the world file: `[[managed_identity]]` (user-assigned),
//! `[[resource]]` (something that carries identities: a workflow app, a gateway, a host) and
//! `[[application.federated_credential]]`.

use serde::Deserialize;
use toml::Spanned;
use uuid::Uuid;

/// `[[managed_identity]]`: a user-assigned identity.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedIdentity {
    /// Home tenant: the only tenant it gets tokens from.
    pub tenant: Spanned<String>,
    /// Name, unique in the tenant.
    pub name: Spanned<String>,
    /// Fixed client id.
    pub client_id: Option<Uuid>,
    /// Fixed principal (object) id.
    pub principal_id: Option<Uuid>,
    /// Subscription in its resource id; defaults to the tenant id.
    pub subscription_id: Option<Uuid>,
    /// Resource group in its resource id; defaults to `skybridge`.
    pub resource_group: Option<String>,
}

/// `[[resource]]`: a resource that carries identities.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Name, unique.
    pub name: Spanned<String>,
    /// Tenant of its subscription (and of its system-assigned identity).
    pub tenant: Spanned<String>,
    /// `workflow`, `gateway` or `host` (default).
    pub kind: Option<Spanned<String>>,
    /// Whether it has a system-assigned identity.
    #[serde(default)]
    pub system_assigned: bool,
    /// Names of user-assigned identities of its tenant it carries.
    #[serde(default)]
    pub user_assigned: Vec<Spanned<String>>,
    /// Port of its own IMDS listener (0 or absent: a free port, named in endpoints.json).
    pub imds_port: Option<u16>,
    /// Subscription in its resource id; defaults to the tenant id.
    pub subscription_id: Option<Uuid>,
    /// Resource group in its resource id; defaults to `skybridge`.
    pub resource_group: Option<String>,
}

/// `[[application.federated_credential]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederatedCredential {
    /// Name, 3–120 characters, unique per application.
    pub name: Spanned<String>,
    /// The exact issuer URL of an external identity provider.
    pub issuer: Option<Spanned<String>>,
    /// Or: one of our tenants, whose v2 issuer is meant.
    pub issuer_tenant: Option<Spanned<String>>,
    /// The exact, case-sensitive subject.
    pub subject: Option<Spanned<String>>,
    /// Or: a user-assigned identity (`<tenant>/<name>`), whose principal id is the subject.
    pub subject_identity: Option<Spanned<String>>,
    /// Accepted audience (Entra allows exactly one); default `api://AzureADTokenExchange`.
    pub audiences: Option<Spanned<Vec<String>>>,
}

/// Resource kinds a `[[resource]]` may have.
pub const RESOURCE_KINDS: [&str; 3] = ["workflow", "gateway", "host"];
/// Default resource group of resource ids.
pub const DEFAULT_RESOURCE_GROUP: &str = "skybridge";
