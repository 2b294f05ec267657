//! Opening a data directory: root key, store, and the services built on them.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use skybridge_authority::{Authority, AuthorityConfig};
use skybridge_jose::SystemClock;
use skybridge_store::{CachedDirectory, RootKey, SqliteStore};

/// How long directory reads are cached; another process's changes show up within it.
const DIRECTORY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// Public URLs of the services, derived from the domain and port.
#[derive(Debug, Clone)]
pub struct Urls {
    /// Domain under which every host is named.
    pub domain: String,
    /// Port of the listener as clients reach it.
    pub port: u16,
}

impl Urls {
    /// For commands that sign nothing clients see (key rotation).
    pub fn offline() -> Self {
        Self {
            domain: "skybridge.localhost".into(),
            port: 443,
        }
    }

    /// `https://<host>[:port]`.
    pub fn origin(&self, host: &str) -> String {
        if self.port == 443 {
            format!("https://{host}")
        } else {
            format!("https://{host}:{}", self.port)
        }
    }

    /// `login.<domain>`: the authority (v2 issuers, every endpoint).
    pub fn login_host(&self) -> String {
        format!("login.{}", self.domain)
    }

    /// `<gateway>.azure-api.<domain>`: an API Management gateway.
    pub fn gateway_host(&self, gateway: &str) -> String {
        format!("{}.azure-api.{}", gateway.to_ascii_lowercase(), self.domain)
    }

    /// `sts.<domain>`: plays `sts.windows.net` in v1 issuers.
    pub fn sts_host(&self) -> String {
        format!("sts.{}", self.domain)
    }

    /// `vault.<domain>`: vaults are `<vault>.vault.<domain>`.
    pub fn vault_host_suffix(&self) -> String {
        format!("vault.{}", self.domain)
    }

    /// `https://vault.<domain>[:port]`: the Key Vault resource of this deployment (the vaults'
    /// challenge names it; with the port, as the Python SDK compares host and port).
    pub fn vault_resource(&self) -> String {
        self.origin(&self.vault_host_suffix())
    }

    /// Every host name served: the authority's and one per vault.
    pub fn hosts(&self, vaults: &[String]) -> Vec<String> {
        let mut hosts = vec![self.login_host(), self.sts_host()];
        hosts.extend(
            vaults
                .iter()
                .map(|v| format!("{}.{}", v.to_ascii_lowercase(), self.vault_host_suffix())),
        );
        hosts
    }

    /// The authority's configuration for these URLs.
    pub fn authority_config(&self) -> AuthorityConfig {
        let mut config = AuthorityConfig::new(
            self.origin(&self.login_host()),
            self.origin(&self.sts_host()),
        );
        config.local_vault_resource = Some(self.vault_resource());
        config
    }
}

/// The opened data directory and the services on it.
pub struct Runtime {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The root key.
    pub root_key: Arc<RootKey>,
    /// The authority.
    pub authority: Arc<Authority>,
    /// The embedded store (managed identities and their resources).
    pub store: Arc<SqliteStore>,
    dev_ca: std::sync::OnceLock<(Arc<skybridge_pki::DevCa>, PathBuf)>,
}

impl Runtime {
    /// The dev CA and the path of its PEM, loaded (or created) once per process: the TLS
    /// listener and every outbound client of `up` trust it.
    pub fn dev_ca(&self) -> anyhow::Result<(Arc<skybridge_pki::DevCa>, PathBuf)> {
        if let Some(ca) = self.dev_ca.get() {
            return Ok(ca.clone());
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let (ca, path) = crate::tls::load_or_create_ca(&self.data_dir, &self.root_key, now)?;
        Ok(self.dev_ca.get_or_init(|| (Arc::new(ca), path)).clone())
    }

    /// Opens (creating) the data directory, its root key and store.
    pub async fn open(
        data_dir: &Path,
        urls: Urls,
        configure: impl FnOnce(&mut AuthorityConfig),
    ) -> anyhow::Result<Self> {
        ensure_data_dir(data_dir)?;
        let data_dir = std::fs::canonicalize(data_dir)?;
        let mode = std::fs::metadata(&data_dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(dir = %data_dir.display(), "the data directory is readable by other users; chmod 700 is advised");
        }
        let root_key = Arc::new(RootKey::load_or_create(&data_dir.join("root.key"))?);
        let sqlite = SqliteStore::open(&data_dir.join("skybridge.db"))
            .await
            .context("opening the store")?;
        let sqlite = Arc::new(sqlite);
        let directory = Arc::new(CachedDirectory::new(sqlite.clone(), DIRECTORY_CACHE_TTL));
        let mut config = urls.authority_config();
        configure(&mut config);
        let issuers = skybridge_net::https_client(&[], std::time::Duration::from_secs(10))?;
        let authority = Arc::new(
            Authority::new(directory, root_key.clone(), Arc::new(SystemClock), config)
                .with_external_issuers(Arc::new(crate::oidc::OidcIssuerKeys::new(issuers))),
        );
        Ok(Self {
            data_dir,
            root_key,
            authority,
            store: sqlite,
            dev_ca: std::sync::OnceLock::new(),
        })
    }
}

/// Creates the data directory (mode 0700) if it does not exist.
pub fn ensure_data_dir(data_dir: &Path) -> anyhow::Result<()> {
    if !data_dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
    }
    Ok(())
}
