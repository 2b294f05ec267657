//! `<data-dir>/endpoints.json`: the contract scripts and tests read instead of guessing URLs
//! and ids (documented in the README). Later services add their sections in the same style.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::world::AppliedWorld;

/// The file's shape, version 1.
#[derive(Debug, Serialize)]
pub struct Endpoints {
    /// Format version: 1.
    pub version: u32,
    /// Absolute path of the dev CA certificate (PEM) to trust.
    pub ca_certificate: String,
    /// The address the HTTPS listener is bound to (`127.0.0.1:8443`).
    pub listen: String,
    /// The authority's base URL.
    pub authority: String,
    /// Every host name served (all resolve to the listener).
    pub hosts: Vec<String>,
    /// By tenant name.
    pub tenants: BTreeMap<String, TenantEndpoint>,
    /// By `<tenant>/<application>`.
    pub applications: BTreeMap<String, ApplicationEndpoint>,
    /// API Management gateways by name.
    pub gateways: BTreeMap<String, crate::gateways::GatewayEndpoint>,
    /// By resource or user-assigned identity name.
    pub managed_identities: BTreeMap<String, crate::identities::ManagedIdentityEndpoint>,
    /// By vault name: `{"uri", "tenant", "tenant_id"}`.
    pub vaults: BTreeMap<String, crate::vaults::VaultEndpoint>,
    /// By workflow name: `{"trigger_url", "triggers", "app", "kind", "management_url", "resource"}`.
    pub workflows: BTreeMap<String, crate::workflows::WorkflowEndpoint>,
}

/// A tenant's entry.
#[derive(Debug, Serialize)]
pub struct TenantEndpoint {
    /// The tenant id.
    pub tenant_id: String,
    /// v2 token endpoint.
    pub token_endpoint: String,
    /// v2 issuer.
    pub issuer: String,
}

/// An application's entry.
#[derive(Debug, Serialize)]
pub struct ApplicationEndpoint {
    /// Client (application) id.
    pub client_id: String,
    /// Identifier URIs.
    pub identifier_uris: Vec<String>,
}

impl Endpoints {
    /// Builds the file's content from the applied world.
    pub fn new(
        ca_certificate: &Path,
        listen: String,
        authority: &skybridge_authority::AuthorityConfig,
        hosts: Vec<String>,
        world: &AppliedWorld,
    ) -> Self {
        Self {
            version: 1,
            ca_certificate: ca_certificate.display().to_string(),
            listen,
            authority: authority.authority_url.clone(),
            hosts,
            tenants: world
                .tenants
                .iter()
                .map(|(name, t)| {
                    (
                        name.clone(),
                        TenantEndpoint {
                            tenant_id: t.id.to_string(),
                            token_endpoint: format!(
                                "{}/{}/oauth2/v2.0/token",
                                authority.authority_url, t.id
                            ),
                            issuer: authority.v2_issuer(&t.id),
                        },
                    )
                })
                .collect(),
            applications: world
                .applications
                .iter()
                .map(|(key, a)| {
                    (
                        key.clone(),
                        ApplicationEndpoint {
                            client_id: a.app_id.to_string(),
                            identifier_uris: a.identifier_uris.clone(),
                        },
                    )
                })
                .collect(),
            managed_identities: BTreeMap::new(),
            gateways: BTreeMap::new(),
            vaults: BTreeMap::new(),
            workflows: BTreeMap::new(),
        }
    }

    /// Writes the file atomically.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self)?;
        crate::tls::write_file(path, &json, 0o644)
    }
}
