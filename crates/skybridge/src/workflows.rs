//! The workflows of `skybridge up`: one engine (crates/workflow) over the shared store, its
//! Request-trigger callbacks and the Standard management API served per workflow app on
//! `<app>.workflows.<domain>` (as `<app>.azurewebsites.net` is in Azure), and its Recurrence
//! triggers scheduled until shutdown. Callback URLs are signed with a per-workflow key kept
//! sealed under the root key, so they stay valid across restarts.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use serde::Serialize;
use skybridge_store::{RootKey, SqliteStore, WorkflowRunStore};
use skybridge_workflow::definition::TriggerKind;
use skybridge_workflow::http::{MANAGEMENT_PREFIX, WorkflowApi};
use skybridge_workflow::{Engine, EngineConfig, TokioClock, callback};
use tokio::sync::watch;

use crate::runtime::{Runtime, Urls};
use crate::world::LoadedWorld;

/// A workflow's entry in endpoints.json (`workflows`).
#[derive(Debug, Serialize)]
pub struct WorkflowEndpoint {
    /// The callback URL of its first Request trigger (signed), if it has one.
    pub trigger_url: Option<String>,
    /// Callback URLs by Request trigger.
    pub triggers: BTreeMap<String, String>,
    /// The workflow app (host `<app>.workflows.<domain>`).
    pub app: String,
    /// `Stateful` or `Stateless`.
    pub kind: String,
    /// Its management API base (runs, actions, listCallbackUrl...).
    pub management_url: String,
    /// The identity resource it runs as.
    pub resource: Option<String>,
}

/// What `up` needs from the workflows.
pub struct Workflows {
    /// (host, router) per workflow app.
    pub routes: Vec<(String, Router)>,
    /// endpoints.json entries.
    pub endpoints: BTreeMap<String, WorkflowEndpoint>,
    /// The app host names (for the TLS leaves and `hosts`).
    pub hosts: Vec<String>,
}

/// `<app>.workflows.<domain>`.
pub fn app_host(urls: &Urls, app: &str) -> String {
    format!("{app}.workflows.{}", urls.domain)
}

/// The host names of the world's workflow apps.
pub fn hosts(world: &LoadedWorld, urls: &Urls) -> Vec<String> {
    let mut apps: Vec<String> = world.world.workflows.iter().map(|w| w.app()).collect();
    apps.sort();
    apps.dedup();
    apps.iter().map(|a| app_host(urls, a)).collect()
}

/// The callback-signing key of a workflow: created once, sealed under the root key.
async fn access_key(
    store: &SqliteStore,
    root_key: &RootKey,
    workflow: &str,
) -> anyhow::Result<Vec<u8>> {
    let aad = format!("workflow-access-key/{}", workflow.to_ascii_lowercase());
    let sealed = match store.workflow_access_key(workflow).await? {
        Some(s) => s,
        None => {
            let mut fresh = [0u8; 32];
            aws_lc_rs::rand::fill(&mut fresh)
                .map_err(|_| anyhow::anyhow!("no randomness for a workflow key"))?;
            let sealed = root_key.seal(&aad, &fresh)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            store
                .put_workflow_access_key_if_absent(workflow, &sealed, now)
                .await?
        }
    };
    Ok(root_key.open(&aad, &sealed)?)
}

/// How workflows reach the outside world in `skybridge up`: their Http actions authenticate
/// through the credentials library and resolve Skybridge's own host names to its listener.
pub struct Outbound {
    authenticator: Arc<dyn skybridge_workflow::engine::HttpAuthenticator>,
    resolve: Vec<(String, std::net::SocketAddr)>,
    /// App settings every workflow gets (`SKYBRIDGE_*`: authority, tenant ids, client ids,
    /// vault and gateway URLs), so a workflow.json can name local services.
    pub app_settings: BTreeMap<String, String>,
}

impl Outbound {
    /// For the services of `urls` served at `listen`.
    pub fn new(
        rt: &Runtime,
        identities: Arc<skybridge_identity::ManagedIdentityService>,
        urls: &Urls,
        vault_names: &[String],
        world: &LoadedWorld,
        listen: std::net::SocketAddr,
    ) -> anyhow::Result<Self> {
        let mut hosts = urls.hosts(vault_names);
        hosts.extend(self::hosts(world, urls));
        hosts.extend(
            world
                .world
                .gateways
                .iter()
                .map(|g| urls.gateway_host(&g.name)),
        );
        let resolve: Vec<_> = hosts.into_iter().map(|h| (h, listen)).collect();
        let (ca, _) = rt.dev_ca()?;
        let mut builder = skybridge_net::client_builder(
            &[ca.cert_der().to_vec()],
            std::time::Duration::from_secs(60),
        )?;
        for (host, addr) in &resolve {
            builder = builder.resolve(host, *addr);
        }
        // A ClientCertificate request replaces the engine's own client, so it gets the engine's
        // request timeout (3 min 45 s), not the token calls' 60 s.
        let certificate_clients = crate::client_certificate::CertificateClients {
            extra_roots: vec![ca.cert_der().to_vec()],
            resolve: resolve.clone(),
            timeout: EngineConfig::default().http_timeout,
        };
        let authenticator = crate::workflow_auth::SkybridgeAuthenticator::new(
            identities,
            builder.build()?,
            rt.authority.config().authority_url.clone(),
            certificate_clients,
        );
        Ok(Self {
            authenticator: Arc::new(authenticator),
            resolve,
            app_settings: BTreeMap::new(),
        })
    }
}

/// An engine over the data directory's store, trusting the dev CA for outbound HTTPS.
pub fn engine(rt: &Runtime) -> anyhow::Result<Engine> {
    engine_with(rt, None)
}

/// The engine, with `skybridge up`'s outbound configuration when given.
pub fn engine_with(rt: &Runtime, outbound: Option<Outbound>) -> anyhow::Result<Engine> {
    // Outbound calls reach Skybridge's own HTTPS hosts: trust the dev CA, and resolve those
    // hosts to the listener when `up` runs.
    let config = EngineConfig {
        extra_roots: vec![rt.dev_ca()?.0.cert_der().to_vec()],
        resolve: outbound
            .as_ref()
            .map(|o| o.resolve.clone())
            .unwrap_or_default(),
        ..EngineConfig::default()
    };
    let store: Arc<dyn WorkflowRunStore> = rt.store.clone();
    let engine = Engine::new(config, TokioClock::system(), Some(store))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(match outbound {
        Some(outbound) => engine.with_authenticator(outbound.authenticator),
        None => engine,
    })
}

/// Loads the world's workflows into an engine and builds their routes.
pub async fn start(
    world: &LoadedWorld,
    rt: &Runtime,
    urls: &Urls,
    stopped: watch::Receiver<bool>,
    outbound: Option<Outbound>,
) -> anyhow::Result<Workflows> {
    let settings = outbound
        .as_ref()
        .map(|o| o.app_settings.clone())
        .unwrap_or_default();
    let definitions = crate::world::workflow::load(world, &settings)?;
    let engine = engine_with(rt, outbound)?;
    let mut out = Workflows {
        routes: Vec::new(),
        endpoints: BTreeMap::new(),
        hosts: hosts(world, urls),
    };
    for wf in definitions {
        let key = access_key(&rt.store, &rt.root_key, &wf.name).await?;
        engine.set_access_key(&wf.name, key.clone());
        let host = app_host(urls, &wf.app);
        let base = urls.origin(&host);
        let mut triggers = BTreeMap::new();
        for t in &wf.definition.triggers {
            if let TriggerKind::Request { relative_path, .. } = &t.kind {
                triggers.insert(
                    t.name.clone(),
                    callback::callback_url(
                        &base,
                        &key,
                        &wf.name,
                        &t.name,
                        relative_path.as_deref(),
                    ),
                );
            }
        }
        out.endpoints.insert(
            wf.name.clone(),
            WorkflowEndpoint {
                trigger_url: wf
                    .definition
                    .triggers
                    .iter()
                    .find_map(|t| triggers.get(&t.name).cloned()),
                triggers,
                app: wf.app.clone(),
                kind: wf.kind.as_str().to_string(),
                management_url: format!("{base}{MANAGEMENT_PREFIX}/workflows/{}", wf.name),
                resource: wf.identity_resource.clone(),
            },
        );
        engine.add_workflow(wf);
    }
    for host in &out.hosts {
        let app = host.split('.').next().unwrap_or_default().to_string();
        let api = WorkflowApi::new(engine.clone(), Some(app), Some(urls.origin(host)));
        out.routes
            .push((host.clone(), skybridge_workflow::http::router(api)));
    }
    engine.start_recurrences(stopped);
    Ok(out)
}
