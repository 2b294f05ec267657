//! TLS for the one listener: the dev CA kept in the data directory (its key sealed under the
//! root key) and one leaf certificate per served host, picked by SNI. Leaves are never CA
//! certificates: rustls (and most clients) refuse a CA certificate as an end-entity.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use skybridge_pki::DevCa;
use skybridge_store::RootKey;

const CA_CERT_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca.key.sealed";
const CA_KEY_AAD: &str = "dev-ca/key";
const CA_DAYS: u32 = 3650;
const LEAF_DAYS: u32 = 90;

/// Loads the dev CA from `dir`, creating it on first use. Returns it and its PEM's path.
pub fn load_or_create_ca(
    dir: &Path,
    root_key: &RootKey,
    now: i64,
) -> anyhow::Result<(DevCa, PathBuf)> {
    let cert_path = dir.join(CA_CERT_FILE);
    let key_path = dir.join(CA_KEY_FILE);
    if cert_path.exists() && key_path.exists() {
        let cert_pem = std::fs::read_to_string(&cert_path)
            .with_context(|| format!("reading {}", cert_path.display()))?;
        let sealed =
            std::fs::read(&key_path).with_context(|| format!("reading {}", key_path.display()))?;
        let key_pem = String::from_utf8(root_key.open(CA_KEY_AAD, &sealed)?)
            .context("the dev CA key is not PEM")?;
        let ca = DevCa::from_pem(&cert_pem, &key_pem).context("loading the dev CA")?;
        return Ok((ca, cert_path));
    }
    let ca = DevCa::generate("Skybridge Dev CA", now, CA_DAYS).context("creating the dev CA")?;
    write_file(
        &key_path,
        &root_key.seal(CA_KEY_AAD, ca.key_pem().as_bytes())?,
        0o600,
    )?;
    write_file(&cert_path, ca.cert_pem().as_bytes(), 0o644)?;
    Ok((ca, cert_path))
}

/// Writes a file atomically (temporary file + rename) with `mode`.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Picks the leaf certificate by SNI; connections without SNI get the first host's.
#[derive(Debug)]
struct SniResolver {
    by_host: HashMap<String, Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        match hello.server_name() {
            Some(name) => self.by_host.get(&name.to_ascii_lowercase()).cloned(),
            None => Some(self.default.clone()),
        }
    }
}

/// A rustls server config serving one fresh leaf per host (ALPN h2 and http/1.1).
pub fn server_config(
    ca: &DevCa,
    hosts: &[String],
    now: i64,
) -> anyhow::Result<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut by_host = HashMap::new();
    let mut default = None;
    for host in hosts {
        let leaf = ca
            .issue_server(std::slice::from_ref(host), &[], now, LEAF_DAYS)
            .with_context(|| format!("issuing the certificate of {host}"))?;
        let key = provider
            .key_provider
            .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                leaf.key_pkcs8,
            )))
            .context("loading a leaf key")?;
        let certified = Arc::new(CertifiedKey::new(
            vec![CertificateDer::from(leaf.cert_der)],
            key,
        ));
        default.get_or_insert_with(|| certified.clone());
        by_host.insert(host.to_ascii_lowercase(), certified);
    }
    let default = default.context("no host to serve")?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SniResolver { by_host, default }));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
