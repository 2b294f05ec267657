//! The managed-identity listeners of `skybridge up`: plain HTTP on loopback, as in Azure. One
//! shared listener serves the App Service protocol for every resource (the `X-IDENTITY-HEADER`
//! says which resource calls) and IMDS for the only resource when there is exactly one; each
//! resource also gets its own IMDS listener, since IMDS requests carry no caller identity.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;
use skybridge_identity::ManagedIdentityService;
use skybridge_identity::http::{ImdsBinding, router};
use skybridge_store::IdentityKind;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::world::LoadedWorld;

/// A resource's or identity's entry in endpoints.json (`managed_identities`).
#[derive(Debug, Serialize)]
pub struct ManagedIdentityEndpoint {
    /// `system` (a resource with a system-assigned identity), `user` (a user-assigned
    /// identity) or `resource` (a resource carrying only user-assigned identities).
    pub kind: &'static str,
    /// Tenant name.
    pub tenant: String,
    /// Client id of the identity (none for a `resource` entry).
    pub client_id: Option<String>,
    /// Principal (object) id of the identity.
    pub principal_id: Option<String>,
    /// Azure resource id.
    pub resource_id: String,
    /// `IDENTITY_ENDPOINT` for the App Service protocol (resources only).
    pub identity_endpoint: Option<String>,
    /// `IDENTITY_HEADER` (resources only).
    pub identity_header: Option<String>,
    /// `AZURE_POD_IDENTITY_AUTHORITY_HOST` for the IMDS protocol (resources only).
    pub imds_endpoint: Option<String>,
    /// For a user-assigned identity: the resources carrying it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assigned_to: Vec<String>,
}

async fn serve_http(listener: TcpListener, app: axum::Router, mut stop: watch::Receiver<bool>) {
    let shutdown = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!(error = %e, "identity listener failed");
    }
}

/// Binds and starts the identity listeners; returns the endpoints.json entries.
pub async fn start(
    service: Arc<ManagedIdentityService>,
    world: &LoadedWorld,
    address: IpAddr,
    shared_port: u16,
    tenant_names: &BTreeMap<uuid::Uuid, String>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<BTreeMap<String, ManagedIdentityEndpoint>> {
    let registry = service.registry();
    let resources: Vec<_> = registry.resources().cloned().collect();
    let shared = TcpListener::bind(SocketAddr::new(address, shared_port))
        .await
        .with_context(|| format!("binding the identity listener {address}:{shared_port}"))?;
    let shared_addr = shared.local_addr()?;
    let default_imds = match resources.as_slice() {
        [only] => ImdsBinding::Resource(only.record.name.clone()),
        _ => ImdsBinding::None,
    };
    tokio::spawn(serve_http(
        shared,
        router(service.clone(), default_imds),
        stop.clone(),
    ));

    let mut out = BTreeMap::new();
    let tenant = |id: &uuid::Uuid| {
        tenant_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    for resource in &resources {
        let name = &resource.record.name;
        let port = world
            .world
            .resources
            .iter()
            .find(|r| r.name.get_ref() == name)
            .and_then(|r| r.imds_port)
            .unwrap_or(0);
        let listener = TcpListener::bind(SocketAddr::new(address, port))
            .await
            .with_context(|| format!("binding the IMDS listener of {name} on port {port}"))?;
        let imds_addr = listener.local_addr()?;
        tokio::spawn(serve_http(
            listener,
            router(service.clone(), ImdsBinding::Resource(name.clone())),
            stop.clone(),
        ));
        let system = resource
            .record
            .system_identity
            .and_then(|id| registry.identity(id));
        out.insert(
            name.clone(),
            ManagedIdentityEndpoint {
                kind: if system.is_some() {
                    "system"
                } else {
                    "resource"
                },
                tenant: tenant(&resource.record.tenant_id),
                client_id: system.map(|s| s.client_id.to_string()),
                principal_id: system.map(|s| s.principal_id.to_string()),
                resource_id: resource.record.resource_id.clone(),
                identity_endpoint: Some(format!("http://{shared_addr}/msi/token")),
                identity_header: Some(resource.identity_header.clone()),
                imds_endpoint: Some(format!("http://{imds_addr}")),
                assigned_to: vec![],
            },
        );
    }
    for m in &world.world.managed_identities {
        let Some(identity) =
            registry_user(registry, m.name.get_ref(), m.tenant.get_ref(), tenant_names)
        else {
            continue;
        };
        let carriers = resources
            .iter()
            .filter(|r| r.record.user_identities.contains(&identity.client_id))
            .map(|r| r.record.name.clone())
            .collect();
        out.entry(m.name.get_ref().clone())
            .or_insert(ManagedIdentityEndpoint {
                kind: "user",
                tenant: tenant(&identity.tenant_id),
                client_id: Some(identity.client_id.to_string()),
                principal_id: Some(identity.principal_id.to_string()),
                resource_id: identity.resource_id.clone(),
                identity_endpoint: None,
                identity_header: None,
                imds_endpoint: None,
                assigned_to: carriers,
            });
    }
    tracing::info!(%shared_addr, "managed identity endpoints ready");
    Ok(out)
}

fn registry_user<'a>(
    registry: &'a skybridge_identity::IdentityRegistry,
    name: &str,
    tenant: &str,
    tenant_names: &BTreeMap<uuid::Uuid, String>,
) -> Option<&'a skybridge_store::ManagedIdentityRecord> {
    registry.identities().find(|i| {
        i.kind == IdentityKind::User
            && i.name == name
            && tenant_names.get(&i.tenant_id).map(String::as_str) == Some(tenant)
    })
}
