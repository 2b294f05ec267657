//! `skybridge up`: apply the world, then serve every service by host name on one HTTPS
//! listener until SIGTERM or Ctrl-C.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use crate::DataArgs;
use crate::endpoints::Endpoints;
use crate::runtime::{Runtime, Urls};
use crate::server::{HostRoutes, serve, shutdown_signal};
use crate::world::{LoadedWorld, Services, apply};
use skybridge_identity::ManagedIdentityService;
use skybridge_jose::{Clock, SystemClock};
use tokio::sync::watch;

/// `skybridge up` options.
#[derive(Args, Clone)]
pub struct UpArgs {
    #[command(flatten)]
    pub(crate) data: DataArgs,
    /// World file to apply; the built-in seed world (examples/seed) when absent.
    #[arg(long, env = "SKYBRIDGE_WORLD")]
    pub(crate) world: Option<PathBuf>,
    /// Domain under which services are named (`login.<domain>`, `<vault>.vault.<domain>`).
    #[arg(long, env = "SKYBRIDGE_DOMAIN", default_value = "skybridge.localhost")]
    pub(crate) domain: String,
    /// HTTPS port; 0 picks a free one (endpoints.json tells which).
    #[arg(long, env = "SKYBRIDGE_PORT", default_value_t = 8443)]
    pub(crate) port: u16,
    /// Address to listen on.
    #[arg(long, env = "SKYBRIDGE_LISTEN", default_value = "127.0.0.1")]
    pub(crate) listen: IpAddr,
    /// Plain-HTTP port of the managed-identity endpoint (App Service protocol, and IMDS when
    /// the world has one resource); default: the HTTPS port + 1, or a free port with --port 0.
    #[arg(long, env = "SKYBRIDGE_IDENTITY_PORT")]
    pub(crate) identity_port: Option<u16>,
}

/// Runs `skybridge up` until SIGTERM or Ctrl-C.
pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    serve_until(args, shutdown_signal(), None).await
}

/// Applies the world and serves until `shutdown` resolves; `ready` receives the path of
/// endpoints.json once every listener is up (used by `skybridge demo`).
pub async fn serve_until(
    args: UpArgs,
    shutdown: impl Future<Output = ()> + Send,
    ready: Option<tokio::sync::oneshot::Sender<PathBuf>>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let world = match &args.world {
        Some(path) => LoadedWorld::read(path)?,
        None => {
            crate::runtime::ensure_data_dir(&args.data.data_dir)?;
            LoadedWorld::seed_in(&args.data.data_dir.join("seed"))?
        }
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.listen, args.port))
        .await
        .with_context(|| format!("binding {}:{}", args.listen, args.port))?;
    let local = listener.local_addr()?;
    let urls = Urls {
        domain: args.domain.to_ascii_lowercase(),
        port: local.port(),
    };

    let rt = Runtime::open(&args.data.data_dir, urls.clone(), |c| world.configure(c)).await?;
    let services = Services {
        authority: &rt.authority,
        identities: &*rt.store,
        root_key: &rt.root_key,
    };
    let applied = apply(&world, &services).await?;
    let registry = skybridge_identity::load_registry(&*rt.store, &rt.root_key)
        .await
        .map_err(|e| anyhow::anyhow!("loading managed identities: {e}"))?;
    let identity_service = Arc::new(ManagedIdentityService::new(
        rt.authority.clone(),
        registry,
        Arc::new(SystemClock),
    ));
    let (stop, stopped) = watch::channel(false);
    let stopped_gateways = stopped.clone();
    let vaults = crate::vaults::start(&world, &applied, &rt, &urls, stopped.clone()).await?;
    crate::world::vault_credentials::apply(&world, &applied, &rt.authority, &*rt.store).await?;
    let outbound = crate::workflows::Outbound::new(
        &rt,
        identity_service.clone(),
        &urls,
        &vaults.names,
        &world,
        local,
    )?;
    let mut outbound = outbound;
    outbound.app_settings = skybridge_app_settings(
        &rt.authority.config().authority_url,
        &applied,
        &vaults.endpoints,
        &world,
        &urls,
    );
    let workflows =
        crate::workflows::start(&world, &rt, &urls, stopped.clone(), Some(outbound)).await?;
    let identity_port = args.identity_port.unwrap_or(if args.port == 0 {
        0
    } else {
        local.port().saturating_add(1)
    });
    let tenant_names = applied
        .tenants
        .values()
        .map(|t| (t.id, t.name.clone()))
        .collect();
    let managed_identities = crate::identities::start(
        identity_service.clone(),
        &world,
        args.listen,
        identity_port,
        &tenant_names,
        stopped,
    )
    .await?;

    let now = SystemClock.now_unix();
    let (ca, ca_path) = rt.dev_ca()?;
    let mut hosts = urls.hosts(&vaults.names);
    hosts.extend(workflows.hosts.iter().cloned());
    hosts.extend(
        world
            .world
            .gateways
            .iter()
            .map(|g| urls.gateway_host(&g.name)),
    );
    let tls = Arc::new(crate::tls::server_config(&ca, &hosts, now)?);
    let gateways = crate::gateways::start(
        &world,
        &applied,
        &rt.authority.config().authority_url,
        &urls.domain,
        |host| urls.origin(host),
        local,
        &hosts,
        ca.cert_der(),
        identity_service,
        stopped_gateways,
    )
    .await?;

    let authority_router =
        crate::server::respond_in_bursts(skybridge_authority::http::router(rt.authority.clone()));
    let mut routes = HashMap::from([
        (urls.login_host(), authority_router.clone()),
        (urls.sts_host(), authority_router),
    ]);
    routes.extend(workflows.routes);
    let app = vaults
        .handlers
        .into_iter()
        .chain(gateways.handlers)
        .fold(HostRoutes::new(routes), |app, (host, handler)| {
            app.direct(host, handler)
        });

    let endpoints_path = rt.data_dir.join("endpoints.json");
    let config = rt.authority.config().clone();
    let mut endpoints = Endpoints::new(
        &ca_path,
        local.to_string(),
        &config,
        hosts.clone(),
        &applied,
    );
    endpoints.managed_identities = managed_identities;
    endpoints.vaults = vaults.endpoints;
    endpoints.gateways = gateways.endpoints;
    endpoints.workflows = workflows.endpoints;
    endpoints.write(&endpoints_path)?;

    println!(
        "skybridge ready in {} ms on {local}: authority {} | tenants {} | endpoints {}",
        started.elapsed().as_millis(),
        config.authority_url,
        applied
            .tenants
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        endpoints_path.display()
    );
    if let Some(ready) = ready {
        let _ = ready.send(endpoints_path.clone());
    }
    serve(listener, tls, app, shutdown).await;
    let _ = stop.send(true);
    println!("skybridge stopped");
    Ok(())
}

/// `SKYBRIDGE_*` app settings naming this deployment's endpoints and ids (upper case, other
/// characters as `_`): `SKYBRIDGE_AUTHORITY`, `SKYBRIDGE_TENANT_<TENANT>`,
/// `SKYBRIDGE_CLIENT_ID_<TENANT>_<APP>`, `SKYBRIDGE_VAULT_<VAULT>`, `SKYBRIDGE_GATEWAY_<GATEWAY>`.
fn skybridge_app_settings(
    authority: &str,
    applied: &crate::world::AppliedWorld,
    vaults: &std::collections::BTreeMap<String, crate::vaults::VaultEndpoint>,
    world: &LoadedWorld,
    urls: &Urls,
) -> std::collections::BTreeMap<String, String> {
    let key = |parts: &[&str]| {
        parts
            .join("_")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    let mut out = std::collections::BTreeMap::new();
    out.insert("SKYBRIDGE_AUTHORITY".to_string(), authority.to_string());
    for (name, t) in &applied.tenants {
        out.insert(key(&["SKYBRIDGE_TENANT", name]), t.id.to_string());
    }
    for (name, a) in &applied.applications {
        out.insert(key(&["SKYBRIDGE_CLIENT_ID", name]), a.app_id.to_string());
    }
    for (name, m) in &applied.identities.identities {
        out.insert(
            key(&["SKYBRIDGE_IDENTITY_CLIENT_ID", name]),
            m.client_id.to_string(),
        );
    }
    for (name, v) in vaults {
        out.insert(key(&["SKYBRIDGE_VAULT", name]), v.uri.clone());
    }
    for g in &world.world.gateways {
        out.insert(
            key(&["SKYBRIDGE_GATEWAY", &g.name]),
            urls.origin(&urls.gateway_host(&g.name)),
        );
    }
    out
}
