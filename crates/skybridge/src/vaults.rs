//! The vaults of `skybridge up`: one Key Vault data plane (crates/vault) over the shared store,
//! verifying tokens against the in-process authority's keys, served on
//! `<vault>.vault.<domain>` — each vault its own origin, as the Key Vault SDKs' challenge
//! check requires.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use serde::Serialize;
use skybridge_authority::{Authority, EndpointVersion};
use skybridge_jose::{JwkSet, SystemClock};
use skybridge_vault::http::VaultHost;
use skybridge_vault::{AuthConfig, KeySource, TokenValidator, VaultService, VaultUrls};
use tokio::sync::watch;
use uuid::Uuid;

use crate::runtime::{Runtime, Urls};
use crate::server::{DirectHandler, HostBody};
use crate::world::{AppliedWorld, LoadedWorld};

/// How often soft-deleted objects past their retention are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// A vault's entry in endpoints.json (`vaults`).
#[derive(Debug, Serialize)]
pub struct VaultEndpoint {
    /// The vault URL (`https://<vault>.vault.<domain>:<port>`).
    pub uri: String,
    /// Tenant name.
    pub tenant: String,
    /// Tenant id.
    pub tenant_id: String,
}

/// The server's entry into one vault. Responses leave in bursts: the task yields once before
/// its response is written, so other ready requests run first and a client waiting on many
/// connections is woken once for several responses (`server::respond_in_bursts`, measured
/// there for the vault's signatures).
fn direct_handler(vault: VaultHost) -> DirectHandler {
    Arc::new(move |req, _peer| {
        let vault = vault.clone();
        Box::pin(async move {
            let response = vault.respond(req.map(Body::new)).await;
            tokio::task::yield_now().await;
            Ok(response.map(HostBody::Axum))
        })
    })
}

/// What `up` needs from the vaults.
pub struct Vaults {
    /// (host, handler) per vault, called directly by the server.
    pub handlers: Vec<(String, DirectHandler)>,
    /// endpoints.json entries.
    pub endpoints: BTreeMap<String, VaultEndpoint>,
    /// Vault names (for the TLS leaves and `hosts`).
    pub names: Vec<String>,
}

/// The authority's published keys of a tenant, read in process.
struct AuthorityKeys(Arc<Authority>);

#[async_trait]
impl KeySource for AuthorityKeys {
    async fn signing_keys(&self, tenant_id: Uuid) -> Result<Arc<JwkSet>, String> {
        self.0
            .jwks_by_id(tenant_id, EndpointVersion::V1)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Applies `[[vault]]` and builds the routers of every vault in the store.
pub async fn start(
    world: &LoadedWorld,
    applied: &AppliedWorld,
    rt: &Runtime,
    urls: &Urls,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<Vaults> {
    let config = rt.authority.config();
    let validator = TokenValidator::new(
        AuthConfig {
            authority_url: config.authority_url.clone(),
            v1_issuer_url: config.v1_issuer_url.clone(),
            resource: urls.vault_resource(),
            leeway: 300,
        },
        Arc::new(AuthorityKeys(rt.authority.clone())),
    );
    let service = Arc::new(VaultService::new(
        rt.store.clone(),
        rt.root_key.clone(),
        Arc::new(SystemClock),
        VaultUrls {
            host_suffix: urls.vault_host_suffix(),
            port: urls.port,
        },
        validator,
    ));
    let specs = crate::world::vault_apply::specs(world, applied, &rt.authority, &*rt.store).await?;
    for spec in &specs {
        service
            .ensure_vault(spec)
            .await
            .map_err(|e| anyhow::anyhow!("{}: vault '{}': {e}", world.path.display(), spec.name))?;
    }
    let tenant_names: BTreeMap<Uuid, String> = applied
        .tenants
        .values()
        .map(|t| (t.id, t.name.clone()))
        .collect();
    let mut out = Vaults {
        handlers: Vec::new(),
        endpoints: BTreeMap::new(),
        names: Vec::new(),
    };
    for vault in service.vaults().await? {
        let vault_urls = service.urls();
        out.handlers.push((
            vault_urls.host(&vault.name),
            direct_handler(VaultHost::new(service.clone(), vault.name.clone())),
        ));
        out.endpoints.insert(
            vault.name.clone(),
            VaultEndpoint {
                uri: vault_urls.origin(&vault.name),
                tenant: tenant_names
                    .get(&vault.tenant_id)
                    .cloned()
                    .unwrap_or_default(),
                tenant_id: vault.tenant_id.to_string(),
            },
        );
        out.names.push(vault.name);
    }
    let purger = service.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = purger.purge_expired().await {
                tracing::warn!(error = %e, "purging expired vault objects failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(PURGE_INTERVAL) => {}
                _ = stopped.changed() => break,
            }
        }
    });
    Ok(out)
}
