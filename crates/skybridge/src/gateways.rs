//! The gateways of `skybridge up`: each `[[gateway]]` of the world served at
//! `https://<gateway>.azure-api.<domain>:<port>`, its policies able to name Skybridge's own
//! endpoints through injected named values, its managed identity taken from the `[[resource]]`
//! of the same name, and its policy files reloaded when they change.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use serde::Serialize;
use skybridge_credentials::TokenCredential;
use skybridge_gateway::{
    AccessToken, Gateway, GatewayConfig, NamedValueConfig, TokenError, TokenProvider,
};
use skybridge_identity::ManagedIdentityService;
use skybridge_identity::protocol::Selector;
use tokio::sync::watch;

use crate::resource_identity::ResourceIdentity;
use crate::server::{DirectHandler, HostBody};
use crate::world::{AppliedWorld, LoadedWorld};

/// A gateway's entry in endpoints.json.
#[derive(Debug, Serialize)]
pub struct GatewayEndpoint {
    /// `https://<gateway>.azure-api.<domain>:<port>`.
    pub uri: String,
    /// Subscription name → primary key, so scripts can call subscription-protected APIs
    /// without copying keys out of the world file.
    pub subscriptions: BTreeMap<String, String>,
}

/// What `start` produced.
pub struct Started {
    /// Host names to serve.
    pub hosts: Vec<String>,
    /// Handlers by host, called directly by the server (no router layers).
    pub handlers: Vec<(String, DirectHandler)>,
    /// endpoints.json entries.
    pub endpoints: BTreeMap<String, GatewayEndpoint>,
}

/// The gateway's managed identity: the `[[resource]]` named like the gateway.
struct GatewayIdentity {
    service: Arc<ManagedIdentityService>,
    resource: String,
}

#[async_trait]
impl TokenProvider for GatewayIdentity {
    async fn token(
        &self,
        resource: &str,
        client_id: Option<&str>,
    ) -> Result<AccessToken, TokenError> {
        let selector = match client_id {
            Some(id) => Selector::ClientId(
                id.parse()
                    .map_err(|_| TokenError(format!("client-id '{id}' is not a GUID")))?,
            ),
            None => Selector::System,
        };
        let identity = ResourceIdentity::new(self.service.clone(), self.resource.clone(), selector);
        let result = identity
            .get_token(resource)
            .await
            .map_err(|e| TokenError(e.to_string()))?;
        Ok(AccessToken {
            token: result.token.token,
            expires_on: result.token.expires_on,
        })
    }
}

/// Named values every gateway gets: `skybridge-authority`, `skybridge-tenant-<tenant>`,
/// `skybridge-client-id-<tenant>-<app>` and `skybridge-sample-<name>`.
fn injected(
    authority: &str,
    applied: &AppliedWorld,
    samples: &BTreeMap<String, String>,
) -> Vec<NamedValueConfig> {
    let nv = |name: String, value: String| NamedValueConfig {
        name,
        value,
        secret: false,
    };
    let mut out = vec![nv("skybridge-authority".into(), authority.to_string())];
    out.extend(
        applied
            .tenants
            .iter()
            .map(|(n, t)| nv(format!("skybridge-tenant-{n}"), t.id.to_string())),
    );
    out.extend(applied.applications.iter().map(|(k, a)| {
        nv(
            format!("skybridge-client-id-{}", k.replace('/', "-")),
            a.app_id.to_string(),
        )
    }));
    out.extend(
        samples
            .iter()
            .map(|(n, url)| nv(format!("skybridge-sample-{n}"), url.clone())),
    );
    out
}

/// Replaces `{{name}}` in a URL of the configuration (APIM only expands them in policies; the
/// world also allows them in `service_url` and backend URLs so they can name local services).
fn expand(text: &str, values: &[NamedValueConfig]) -> String {
    values.iter().fold(text.to_string(), |acc, v| {
        acc.replace(&format!("{{{{{}}}}}", v.name), &v.value)
    })
}

/// Builds and starts every gateway of the world.
#[allow(clippy::too_many_arguments)]
pub async fn start(
    world: &LoadedWorld,
    applied: &AppliedWorld,
    authority_url: &str,
    domain: &str,
    origin: impl Fn(&str) -> String,
    listen: SocketAddr,
    served_hosts: &[String],
    ca_der: &[u8],
    identities: Arc<ManagedIdentityService>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Started> {
    let mut samples = BTreeMap::new();
    for s in &world.world.sample_apis {
        samples.insert(
            s.name.get_ref().clone(),
            crate::sample_api::start(listen.ip(), s.kind, stop.clone()).await?,
        );
    }
    let extra = injected(authority_url, applied, &samples);
    let tls = Arc::new(skybridge_net::tls_config(&[ca_der.to_vec()])?);
    let base_dir = world.path.parent().map(std::path::Path::to_path_buf);
    let mut started = Started {
        hosts: vec![],
        handlers: Vec::new(),
        endpoints: BTreeMap::new(),
    };
    let mut gateways = Vec::new();
    for config in &world.world.gateways {
        let mut config: GatewayConfig = config.clone();
        let host = format!("{}.azure-api.{domain}", config.name.to_ascii_lowercase());
        config.named_values.extend(extra.iter().cloned());
        config
            .authority_url
            .get_or_insert_with(|| authority_url.to_string());
        for api in &mut config.apis {
            api.service_url = api
                .service_url
                .as_deref()
                .map(|u| expand(u, &config.named_values));
        }
        for backend in &mut config.backends {
            backend.url = expand(&backend.url, &config.named_values);
        }
        let mut builder = Gateway::builder(config.clone())
            .tls_client_config(tls.clone())
            .token_provider(Arc::new(GatewayIdentity {
                service: identities.clone(),
                resource: config.name.clone(),
            }));
        for h in served_hosts.iter().chain(std::iter::once(&host)) {
            builder = builder.resolve(h, listen);
        }
        if let Some(dir) = &base_dir
            && world.path.exists()
        {
            builder = builder.base_dir(dir.clone());
        }
        let gateway = Arc::new(
            builder
                .build()
                .with_context(|| format!("gateway '{}'", config.name))?,
        );
        started
            .handlers
            .push((host.clone(), direct_handler(gateway.clone())));
        started
            .endpoints
            .insert(config.name.clone(), endpoint(&config, origin(&host)));
        started.hosts.push(host);
        gateways.push(gateway);
    }
    if !gateways.is_empty() {
        tokio::spawn(reload_loop(gateways, stop));
    }
    Ok(started)
}

/// The server's entry into `gateway`: its [`skybridge_gateway::respond`] with the peer's
/// address, the response body handed to hyper as it is.
fn direct_handler(gateway: Arc<Gateway>) -> DirectHandler {
    Arc::new(move |req, peer| {
        let gateway = gateway.clone();
        Box::pin(async move {
            let response = skybridge_gateway::respond(&gateway, req, peer.ip()).await;
            Ok(response.map(HostBody::from))
        })
    })
}

/// The endpoints.json entry of one gateway.
fn endpoint(config: &GatewayConfig, uri: String) -> GatewayEndpoint {
    GatewayEndpoint {
        uri,
        subscriptions: config
            .subscriptions
            .iter()
            .map(|s| (s.name.clone(), s.primary_key.clone()))
            .collect(),
    }
}

/// Policy files take effect without a restart: checked every two seconds; a broken edit is
/// logged and the previous policies stay in force.
async fn reload_loop(gateways: Vec<Arc<Gateway>>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
        for g in &gateways {
            match g.reload_if_changed() {
                Ok(true) => tracing::info!(gateway = %g.name(), "policies reloaded"),
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(gateway = %g.name(), error = %e, "policy reload failed; the previous policies stay in force")
                }
            }
        }
    }
}
