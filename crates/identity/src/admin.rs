//! Declaring identities and resources (from the world file): idempotent, ids kept across
//! restarts, identity headers generated once and sealed at rest.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use skybridge_authority::{Authority, AuthorityError};
use skybridge_store::{
    IdentityKind, IdentityResourceRecord, ManagedIdentityRecord, ManagedIdentityStore, RootKey,
};
use uuid::Uuid;

use crate::{IdentityRegistry, RegisteredResource};

/// A user-assigned identity as declared.
#[derive(Debug, Clone)]
pub struct IdentitySpec {
    /// Home tenant.
    pub tenant_id: Uuid,
    /// Name (unique per tenant).
    pub name: String,
    /// Fixed client id.
    pub client_id: Option<Uuid>,
    /// Fixed principal id.
    pub principal_id: Option<Uuid>,
    /// Subscription in its resource id.
    pub subscription_id: Uuid,
    /// Resource group in its resource id.
    pub resource_group: String,
}

/// A resource carrying identities, as declared.
#[derive(Debug, Clone)]
pub struct ResourceSpec {
    /// Tenant of its subscription (and of its system-assigned identity).
    pub tenant_id: Uuid,
    /// Name, unique.
    pub name: String,
    /// `workflow`, `gateway` or `host`.
    pub kind: String,
    /// Whether it has a system-assigned identity.
    pub system_assigned: bool,
    /// Client ids of the user-assigned identities it carries.
    pub user_identities: Vec<Uuid>,
    /// Subscription in its resource id.
    pub subscription_id: Uuid,
    /// Resource group in its resource id.
    pub resource_group: String,
}

/// The Azure resource id of a resource of `kind` (Logic Apps Standard runs on
/// `Microsoft.Web/sites`; user-assigned identities are `Microsoft.ManagedIdentity` resources).
pub fn resource_id_for(kind: &str, subscription: Uuid, group: &str, name: &str) -> String {
    let provider = match kind {
        "workflow" => "Microsoft.Web/sites",
        "gateway" => "Microsoft.ApiManagement/service",
        "identity" => "Microsoft.ManagedIdentity/userAssignedIdentities",
        _ => "Microsoft.Compute/virtualMachines",
    };
    format!("/subscriptions/{subscription}/resourcegroups/{group}/providers/{provider}/{name}")
}

fn header_aad(name: &str) -> String {
    format!("identity-header/{name}")
}

fn invalid(message: String) -> AuthorityError {
    AuthorityError::InvalidDirectory(message)
}

/// Creates or finds a user-assigned identity and its service principal.
pub async fn ensure_user_identity(
    store: &dyn ManagedIdentityStore,
    authority: &Authority,
    spec: &IdentitySpec,
) -> Result<ManagedIdentityRecord, AuthorityError> {
    let existing = store.managed_identities().await?.into_iter().find(|i| {
        i.kind == IdentityKind::User && i.tenant_id == spec.tenant_id && i.name == spec.name
    });
    if let (Some(e), Some(id)) = (&existing, spec.client_id)
        && e.client_id != id
    {
        return Err(invalid(format!(
            "identity '{}' already exists with client id {}",
            spec.name, e.client_id
        )));
    }
    let record = ManagedIdentityRecord {
        client_id: existing
            .as_ref()
            .map(|e| e.client_id)
            .or(spec.client_id)
            .unwrap_or_else(Uuid::new_v4),
        principal_id: existing
            .as_ref()
            .map(|e| e.principal_id)
            .or(spec.principal_id)
            .unwrap_or_else(Uuid::new_v4),
        tenant_id: spec.tenant_id,
        name: spec.name.clone(),
        kind: IdentityKind::User,
        resource_id: resource_id_for(
            "identity",
            spec.subscription_id,
            &spec.resource_group,
            &spec.name,
        ),
    };
    if existing.as_ref() != Some(&record) {
        store.put_managed_identity(&record).await?;
    }
    authority.ensure_managed_identity_principal(&record).await?;
    Ok(record)
}

/// Creates or updates a resource: its system-assigned identity (kept across restarts), its
/// user-assigned identities and its identity header.
pub async fn ensure_resource(
    store: &dyn ManagedIdentityStore,
    authority: &Authority,
    root_key: &RootKey,
    spec: &ResourceSpec,
) -> Result<IdentityResourceRecord, AuthorityError> {
    let existing = store
        .identity_resources()
        .await?
        .into_iter()
        .find(|r| r.name == spec.name);
    let resource_id = resource_id_for(
        &spec.kind,
        spec.subscription_id,
        &spec.resource_group,
        &spec.name,
    );
    let system_identity = if spec.system_assigned {
        let previous = existing.as_ref().and_then(|r| r.system_identity);
        let identities = store.managed_identities().await?;
        let current = previous.and_then(|id| identities.into_iter().find(|i| i.client_id == id));
        let record = ManagedIdentityRecord {
            client_id: current.as_ref().map_or_else(Uuid::new_v4, |i| i.client_id),
            principal_id: current
                .as_ref()
                .map_or_else(Uuid::new_v4, |i| i.principal_id),
            tenant_id: spec.tenant_id,
            name: spec.name.clone(),
            kind: IdentityKind::System,
            resource_id: resource_id.clone(),
        };
        if current.as_ref() != Some(&record) {
            store.put_managed_identity(&record).await?;
        }
        authority.ensure_managed_identity_principal(&record).await?;
        Some(record.client_id)
    } else {
        None
    };
    let sealed_identity_header = match &existing {
        Some(r) => r.sealed_identity_header.clone(),
        None => {
            let mut secret = [0u8; 32];
            aws_lc_rs::rand::fill(&mut secret)
                .map_err(|_| AuthorityError::Internal("no randomness".into()))?;
            root_key.seal(
                &header_aad(&spec.name),
                URL_SAFE_NO_PAD.encode(secret).as_bytes(),
            )?
        }
    };
    let record = IdentityResourceRecord {
        name: spec.name.clone(),
        tenant_id: spec.tenant_id,
        kind: spec.kind.clone(),
        resource_id,
        sealed_identity_header,
        system_identity,
        user_identities: spec.user_identities.clone(),
    };
    if existing.as_ref() != Some(&record) {
        store.put_identity_resource(&record).await?;
    }
    Ok(record)
}

/// Loads every resource (unsealing identity headers) and identity.
pub async fn load_registry(
    store: &dyn ManagedIdentityStore,
    root_key: &RootKey,
) -> Result<IdentityRegistry, AuthorityError> {
    let mut resources = Vec::new();
    for record in store.identity_resources().await? {
        let header = root_key.open(&header_aad(&record.name), &record.sealed_identity_header)?;
        let identity_header = String::from_utf8(header)
            .map_err(|_| AuthorityError::Internal("identity header is not UTF-8".into()))?;
        resources.push(RegisteredResource {
            record,
            identity_header,
        });
    }
    Ok(IdentityRegistry::new(
        resources,
        store.managed_identities().await?,
    ))
}
