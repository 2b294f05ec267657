//! The [`Gateway`]: configuration compiled into a snapshot that requests read, shared
//! services (counters, key caches, token cache, backend client) that survive reloads, and
//! hot reload of policy files.

pub mod compile;
pub mod routing;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::config::GatewayConfig;
use crate::engine::identity::TokenCache;
use crate::engine::limits::Counters;
use crate::engine::openid::{KeyCache, REFRESH_MS, RETRY_MS};
use crate::engine::{
    Clock, DeploymentInfo, HttpClient, MetadataFetcher, Services, SystemClock, TokenProvider,
};
use crate::error::LoadErrors;
use crate::http::client::{BackendClient, HttpFetcher};
use compile::Compiled;

/// Builds a [`Gateway`]; every dependency has a production default.
pub struct GatewayBuilder {
    config: GatewayConfig,
    base_dir: Option<PathBuf>,
    clock: Option<Arc<dyn Clock>>,
    client: Option<Arc<dyn HttpClient>>,
    fetcher: Option<Arc<dyn MetadataFetcher>>,
    tokens: Option<Arc<dyn TokenProvider>>,
    tls: Option<Arc<rustls::ClientConfig>>,
    resolve: HashMap<String, SocketAddr>,
    key_intervals: (i64, i64),
}

impl GatewayBuilder {
    /// Relative policy file paths resolve against `dir` (default: the working directory).
    pub fn base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = Some(dir.into());
        self
    }

    /// Injects the clock (rate limits, quotas, token lifetimes, key caches).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Replaces the backend HTTP client.
    pub fn http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.client = Some(client);
        self
    }

    /// Replaces the OpenID metadata fetcher (default: GET through the backend client).
    pub fn metadata_fetcher(mut self, fetcher: Arc<dyn MetadataFetcher>) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// The managed identity behind `authentication-managed-identity`.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.tokens = Some(provider);
        self
    }

    /// TLS for `https://` backends and metadata (ignored when `http_client` is set).
    pub fn tls_client_config(mut self, tls: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Pins a host name to an address for backend connections (ignored with `http_client`).
    pub fn resolve(mut self, host: &str, addr: SocketAddr) -> Self {
        self.resolve.insert(host.to_owned(), addr);
        self
    }

    /// OpenID key cache intervals in ms (default 1 h refresh, 5 min retry).
    pub fn key_cache_intervals(mut self, refresh_ms: i64, retry_ms: i64) -> Self {
        self.key_intervals = (refresh_ms, retry_ms);
        self
    }

    /// Compiles the configuration; fails with every load error found.
    pub fn build(self) -> Result<Gateway, LoadErrors> {
        let compiled = compile::compile(&self.config, self.base_dir.as_deref())?;
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let client: Arc<dyn HttpClient> = self.client.unwrap_or_else(|| {
            Arc::new(BackendClient::new(self.tls.clone(), self.resolve.clone()))
        });
        let fetcher = self
            .fetcher
            .unwrap_or_else(|| Arc::new(HttpFetcher::new(client.clone())));
        let (refresh, retry) = self.key_intervals;
        let services = Services {
            clock: clock.clone(),
            client,
            keys: KeyCache::with_intervals(fetcher, clock.clone(), refresh, retry),
            verified: Default::default(),
            counters: Counters::default(),
            identity: TokenCache::new(self.tokens, clock),
            deployment: DeploymentInfo {
                service_name: self.config.name.clone(),
                region: self.config.region.clone().unwrap_or_else(|| "Local".into()),
                gateway_id: "managed".into(),
                service_id: self.config.name.clone(),
            },
        };
        Ok(Gateway {
            config: RwLock::new(self.config),
            base_dir: self.base_dir,
            compiled: RwLock::new(Arc::new(compiled)),
            services: Arc::new(services),
        })
    }
}

/// One API Management gateway.
pub struct Gateway {
    config: RwLock<GatewayConfig>,
    base_dir: Option<PathBuf>,
    compiled: RwLock<Arc<Compiled>>,
    services: Arc<Services>,
}

impl Gateway {
    /// Starts building a gateway from `config`.
    pub fn builder(config: GatewayConfig) -> GatewayBuilder {
        GatewayBuilder {
            config,
            base_dir: None,
            clock: None,
            client: None,
            fetcher: None,
            tokens: None,
            tls: None,
            resolve: HashMap::new(),
            key_intervals: (REFRESH_MS, RETRY_MS),
        }
    }

    /// The service name.
    pub fn name(&self) -> String {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .name
            .clone()
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Compiled> {
        self.compiled
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Shared services.
    pub fn services(&self) -> &Services {
        &self.services
    }

    fn install(&self, compiled: Compiled) {
        *self.compiled.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(compiled);
    }

    /// Re-reads every policy file and recompiles. On error the running configuration stays
    /// in place and the errors are returned. Counters and caches are kept.
    pub fn reload(&self) -> Result<(), LoadErrors> {
        let config = self
            .config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let compiled = compile::compile(&config, self.base_dir.as_deref())?;
        self.install(compiled);
        tracing::info!(gateway = %config.name, "gateway policies reloaded");
        Ok(())
    }

    /// Replaces the configuration (e.g. after the world file changed).
    pub fn replace_config(&self, config: GatewayConfig) -> Result<(), LoadErrors> {
        let compiled = compile::compile(&config, self.base_dir.as_deref())?;
        self.install(compiled);
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = config;
        Ok(())
    }

    /// Reloads when a policy file's modification time changed; `Ok(true)` when it reloaded.
    pub fn reload_if_changed(&self) -> Result<bool, LoadErrors> {
        let snapshot = self.snapshot();
        let changed = snapshot
            .files
            .iter()
            .any(|(path, mtime)| std::fs::metadata(path).and_then(|m| m.modified()).ok() != *mtime);
        if changed {
            self.reload()?;
        }
        Ok(changed)
    }

    /// The policy files the current configuration reads (for a file watcher).
    pub fn watched_files(&self) -> Vec<PathBuf> {
        self.snapshot()
            .files
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// The base directory for relative policy paths.
    pub fn base_dir(&self) -> Option<&Path> {
        self.base_dir.as_deref()
    }
}
