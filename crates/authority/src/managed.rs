//! Tokens for managed identities. An identity is a service principal of its home tenant only:
//! it gets tokens for resources known there and nowhere else — the limit that makes the
//! cross-tenant chain necessary (research/identity.md §2.4).

use skybridge_store::{ManagedIdentityRecord, ServicePrincipalRecord};

use crate::token::{ClientAuthMethod, IssuedToken, TokenGrant};
use crate::{Authority, AuthorityError};

/// Managed-identity tokens live about a day (a real sample: `exp - iat` ≈ 86,700 s).
pub const MANAGED_IDENTITY_TOKEN_LIFETIME: i64 = 86_400;

impl Authority {
    /// Makes sure the identity has its service principal in its home tenant.
    pub async fn ensure_managed_identity_principal(
        &self,
        identity: &ManagedIdentityRecord,
    ) -> Result<ServicePrincipalRecord, AuthorityError> {
        if let Some(sp) = self
            .store
            .service_principal(identity.tenant_id, identity.client_id)
            .await?
        {
            return Ok(sp);
        }
        let sp = ServicePrincipalRecord {
            id: identity.principal_id,
            tenant_id: identity.tenant_id,
            app_id: identity.client_id,
            display_name: identity.name.clone(),
            kind: "ManagedIdentity".into(),
        };
        self.store.put_service_principal(&sp).await?;
        Ok(sp)
    }

    /// Issues a token for `resource` (an App ID URI or client id, no `/.default`) to a managed
    /// identity, from its home tenant. A resource unknown there fails with AADSTS500011.
    pub async fn issue_for_managed_identity(
        &self,
        identity: &ManagedIdentityRecord,
        resource: &str,
    ) -> Result<IssuedToken, AuthorityError> {
        let tenant = self
            .store
            .tenant(identity.tenant_id)
            .await?
            .ok_or_else(|| {
                AuthorityError::Internal(format!("identity {} has no tenant", identity.client_id))
            })?;
        let client = self
            .store
            .service_principal(identity.tenant_id, identity.client_id)
            .await?
            .ok_or_else(|| {
                AuthorityError::Internal(format!(
                    "identity {} has no service principal",
                    identity.client_id
                ))
            })?;
        let (resource_app, resource_sp) = self.resolve_resource(&tenant, resource).await?;
        let roles = self
            .granted_roles(&client, &resource_app, &resource_sp)
            .await?;
        if roles.is_empty() && resource_app.app_role_assignment_required {
            return Err(AuthorityError::RoleAssignmentRequired {
                client: identity.client_id.to_string(),
                resource: resource_app.app_id.to_string(),
            });
        }
        let mut extra = serde_json::Map::new();
        extra.insert(
            "xms_mirid".into(),
            serde_json::Value::String(identity.resource_id.clone()),
        );
        self.issue(TokenGrant {
            tenant: &tenant,
            client: &client,
            resource_app: &resource_app,
            requested_resource: resource,
            roles,
            method: ClientAuthMethod::Certificate,
            extra,
            lifetime: Some(MANAGED_IDENTITY_TOKEN_LIFETIME),
        })
        .await
    }
}
