//! Outbound HTTPS: every Skybridge component that calls out (external OIDC issuers, the
//! credentials library, gateway metadata) builds its client here, so trust is configured in one
//! place: the system's root bundle plus extra roots (the dev CA), with the aws-lc-rs provider.
//! Also the request ids that the services stamp on their responses ([`new_request_id`]).

mod request_id;

pub use request_id::new_request_id;

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::CertificateDer;

/// Where Debian (and most distributions) keep the system root bundle.
const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The TLS configuration was refused.
    #[error("TLS configuration: {0}")]
    Tls(String),
    /// reqwest refused the configuration.
    #[error("HTTP client: {0}")]
    Client(String),
}

/// A rustls client configuration trusting the system roots and `extra_roots` (DER).
pub fn tls_config(extra_roots: &[Vec<u8>]) -> Result<rustls::ClientConfig, NetError> {
    Ok(config_builder(extra_roots)?.with_no_client_auth())
}

/// As [`tls_config`], presenting a client certificate (`chain`: DER, leaf first; `key_pkcs8`:
/// its private key) to servers that ask for one — Logic Apps' `ClientCertificate`
/// authentication.
pub fn tls_config_with_client_certificate(
    extra_roots: &[Vec<u8>],
    chain: &[Vec<u8>],
    key_pkcs8: &[u8],
) -> Result<rustls::ClientConfig, NetError> {
    let chain = chain
        .iter()
        .map(|der| CertificateDer::from(der.clone()))
        .collect();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(key_pkcs8.to_vec().into());
    config_builder(extra_roots)?
        .with_client_auth_cert(chain, key)
        .map_err(|e| NetError::Tls(e.to_string()))
}

fn config_builder(
    extra_roots: &[Vec<u8>],
) -> Result<rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>, NetError>
{
    let mut roots = rustls::RootCertStore::empty();
    if let Some(bundle) = SYSTEM_BUNDLES
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
    {
        for der in skybridge_pki::pem::certificates(&bundle).unwrap_or_default() {
            // A malformed system root is skipped, not fatal.
            let _ = roots.add(CertificateDer::from(der));
        }
    }
    for der in extra_roots {
        roots
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| NetError::Tls(e.to_string()))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Tls(e.to_string()))?
        .with_root_certificates(roots))
}

/// A client builder trusting the system roots and `extra_roots`, with bounded timeouts, for
/// callers that add more (e.g. `resolve` overrides for names a hosts file would map).
pub fn client_builder(
    extra_roots: &[Vec<u8>],
    timeout: Duration,
) -> Result<reqwest::ClientBuilder, NetError> {
    Ok(builder_with(tls_config(extra_roots)?, timeout))
}

/// A client builder over a prepared TLS configuration (e.g. one presenting a client
/// certificate), with the same bounded timeouts and redirect policy as [`client_builder`].
pub fn builder_with(tls: rustls::ClientConfig, timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::limited(3))
}

/// An HTTPS client trusting the system roots and `extra_roots`, with bounded timeouts.
pub fn https_client(
    extra_roots: &[Vec<u8>],
    timeout: Duration,
) -> Result<reqwest::Client, NetError> {
    client_builder(extra_roots, timeout)?
        .build()
        .map_err(|e| NetError::Client(e.to_string()))
}
