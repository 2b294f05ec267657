//! Managed identities and the resources that carry them.

use async_trait::async_trait;
use uuid::Uuid;

use crate::StoreError;

/// System-assigned (bound to one resource) or user-assigned (standalone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    /// Lives and dies with its resource.
    System,
    /// A standalone Azure resource any number of resources can carry.
    User,
}

impl IdentityKind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "system" => Some(Self::System),
            "user" => Some(Self::User),
            _ => None,
        }
    }
}

/// A managed identity: a service principal of kind `ManagedIdentity` in its home tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedIdentityRecord {
    /// Client id (`appid`/`azp` in its tokens).
    pub client_id: Uuid,
    /// Principal (object) id (`oid`, `sub`).
    pub principal_id: Uuid,
    /// Home tenant: the only tenant it gets tokens from.
    pub tenant_id: Uuid,
    /// The identity's name (for system-assigned: its resource's name).
    pub name: String,
    /// System- or user-assigned.
    pub kind: IdentityKind,
    /// Azure resource id (`xms_mirid`).
    pub resource_id: String,
}

/// A resource that carries identities: a workflow app, a gateway or a plain host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityResourceRecord {
    /// Name, unique.
    pub name: String,
    /// Tenant of its subscription.
    pub tenant_id: Uuid,
    /// `workflow`, `gateway` or `host`.
    pub kind: String,
    /// Azure resource id.
    pub resource_id: String,
    /// The App Service `X-IDENTITY-HEADER` secret, sealed under the root key.
    pub sealed_identity_header: Vec<u8>,
    /// Its system-assigned identity (client id), if enabled.
    pub system_identity: Option<Uuid>,
    /// The user-assigned identities it carries (client ids).
    pub user_identities: Vec<Uuid>,
}

/// Storage for managed identities and their resources.
#[async_trait]
pub trait ManagedIdentityStore: Send + Sync {
    /// Inserts or replaces an identity (by client id).
    async fn put_managed_identity(
        &self,
        identity: &ManagedIdentityRecord,
    ) -> Result<(), StoreError>;
    /// All identities.
    async fn managed_identities(&self) -> Result<Vec<ManagedIdentityRecord>, StoreError>;
    /// Inserts or replaces a resource (by name).
    async fn put_identity_resource(
        &self,
        resource: &IdentityResourceRecord,
    ) -> Result<(), StoreError>;
    /// All resources.
    async fn identity_resources(&self) -> Result<Vec<IdentityResourceRecord>, StoreError>;
    /// Deletes a resource and, as Azure does, its system-assigned identity with its service
    /// principal.
    async fn delete_identity_resource(&self, name: &str) -> Result<(), StoreError>;
}
