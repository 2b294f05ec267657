//! The identities and resources served, loaded once at start and read on every request.

use std::collections::HashMap;

use skybridge_store::{IdentityResourceRecord, ManagedIdentityRecord};
use uuid::Uuid;

use crate::protocol::Selector;

/// A resource with its unsealed identity header and its identities.
#[derive(Debug, Clone)]
pub struct RegisteredResource {
    /// The stored record.
    pub record: IdentityResourceRecord,
    /// The App Service `X-IDENTITY-HEADER` value.
    pub identity_header: String,
}

/// Resources and identities by every key a request can name them with.
#[derive(Debug, Default)]
pub struct IdentityRegistry {
    resources: HashMap<String, RegisteredResource>,
    identities: HashMap<Uuid, ManagedIdentityRecord>,
}

impl IdentityRegistry {
    /// Builds the registry.
    pub fn new(resources: Vec<RegisteredResource>, identities: Vec<ManagedIdentityRecord>) -> Self {
        Self {
            resources: resources
                .into_iter()
                .map(|r| (r.record.name.clone(), r))
                .collect(),
            identities: identities.into_iter().map(|i| (i.client_id, i)).collect(),
        }
    }

    /// A resource by name.
    pub fn resource(&self, name: &str) -> Option<&RegisteredResource> {
        self.resources.get(name)
    }

    /// All resources, by name.
    pub fn resources(&self) -> impl Iterator<Item = &RegisteredResource> {
        self.resources.values()
    }

    /// All identities.
    pub fn identities(&self) -> impl Iterator<Item = &ManagedIdentityRecord> {
        self.identities.values()
    }

    /// An identity by client id.
    pub fn identity(&self, client_id: Uuid) -> Option<&ManagedIdentityRecord> {
        self.identities.get(&client_id)
    }

    /// The resource whose identity header is `header` (compared in constant time per entry).
    pub fn resource_by_header(&self, header: &str) -> Option<&RegisteredResource> {
        self.resources.values().find(|r| {
            let (a, b) = (r.identity_header.as_bytes(), header.as_bytes());
            a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
        })
    }

    /// The identity of `resource` that `selector` names, if the resource carries it.
    pub fn select(
        &self,
        resource: &RegisteredResource,
        selector: &Selector,
    ) -> Option<&ManagedIdentityRecord> {
        let carried = resource
            .record
            .system_identity
            .iter()
            .chain(&resource.record.user_identities);
        let mut candidates = carried.filter_map(|id| self.identities.get(id));
        match selector {
            Selector::System => resource
                .record
                .system_identity
                .and_then(|id| self.identities.get(&id)),
            Selector::ClientId(id) => candidates.find(|i| i.client_id == *id),
            Selector::PrincipalId(id) => candidates.find(|i| i.principal_id == *id),
            Selector::ResourceId(rid) => {
                candidates.find(|i| i.resource_id.eq_ignore_ascii_case(rid))
            }
        }
    }
}
