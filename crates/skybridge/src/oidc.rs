//! Keys of external OIDC issuers for federated credentials: discovery, then `jwks_uri`, cached
//! for an hour; a refresh (for an unknown `kid`) at most every five minutes per issuer; the last
//! good keys kept when the issuer is unreachable. A failing issuer fails only its own grants.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use skybridge_authority::federation::ExternalIssuerKeys;
use skybridge_jose::JwkSet;
use tokio::sync::Mutex;

const TTL: Duration = Duration::from_secs(3600);
const MIN_REFRESH: Duration = Duration::from_secs(300);
/// Metadata and key sets larger than this are refused.
const MAX_BODY: usize = 256 * 1024;

struct Entry {
    keys: Arc<JwkSet>,
    fetched: Instant,
}

/// Fetches and caches external issuers' keys over HTTPS.
pub struct OidcIssuerKeys {
    client: reqwest::Client,
    // One lock per issuer would avoid head-of-line blocking; federated grants are rare enough
    // that one lock (which also makes concurrent misses share one fetch) is simpler.
    cache: Mutex<HashMap<String, Entry>>,
}

impl OidcIssuerKeys {
    /// A fetcher using `client`.
    pub fn new(client: reqwest::Client) -> Self {
        Self {
            client,
            cache: Mutex::new(HashMap::new()),
        }
    }

    async fn get_json(&self, url: &str) -> Result<serde_json::Value, String> {
        if !url.starts_with("https://") {
            return Err(format!("{url} is not an https URL"));
        }
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        if bytes.len() > MAX_BODY {
            return Err(format!("{url} answered more than {MAX_BODY} bytes"));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("{url}: {e}"))
    }

    async fn fetch(&self, issuer: &str) -> Result<Arc<JwkSet>, String> {
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let document = self.get_json(&discovery).await?;
        if document.get("issuer").and_then(|v| v.as_str()) != Some(issuer) {
            return Err(format!("{discovery} names another issuer"));
        }
        let jwks_uri = document
            .get("jwks_uri")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("{discovery} has no jwks_uri"))?;
        let set: JwkSet = serde_json::from_value(self.get_json(jwks_uri).await?)
            .map_err(|e| format!("{jwks_uri}: {e}"))?;
        Ok(Arc::new(set))
    }
}

#[async_trait]
impl ExternalIssuerKeys for OidcIssuerKeys {
    async fn jwks(&self, issuer: &str, refresh: bool) -> Result<Arc<JwkSet>, String> {
        let mut cache = self.cache.lock().await;
        if let Some(entry) = cache.get(issuer) {
            let age = entry.fetched.elapsed();
            if age < TTL && (!refresh || age < MIN_REFRESH) {
                return Ok(entry.keys.clone());
            }
        }
        match self.fetch(issuer).await {
            Ok(keys) => {
                cache.insert(
                    issuer.to_string(),
                    Entry {
                        keys: keys.clone(),
                        fetched: Instant::now(),
                    },
                );
                Ok(keys)
            }
            Err(e) => {
                tracing::warn!(%issuer, error = %e, "external issuer unreachable");
                cache.get(issuer).map(|entry| entry.keys.clone()).ok_or(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::extract::State;
    use axum::routing::get;
    use skybridge_jose::{Alg, LocalSigner};

    use super::*;

    /// A real HTTPS issuer on loopback, its certificate from a throwaway dev CA; counts fetches.
    async fn issuer(body_override: Option<&'static str>) -> (String, Arc<AtomicUsize>, Vec<u8>) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let ca = skybridge_pki::DevCa::generate("test CA", now - 10, 2).unwrap();
        let tls =
            Arc::new(crate::tls::server_config(&ca, &["localhost".to_string()], now - 5).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!(
            "https://localhost:{}",
            listener.local_addr().unwrap().port()
        );
        let hits = Arc::new(AtomicUsize::new(0));
        let (signer, _) = LocalSigner::generate(Alg::ES256, 0).unwrap();
        let mut jwk = signer.public_jwk();
        jwk.kid = Some("k1".into());
        let keys = serde_json::to_string(&JwkSet { keys: vec![jwk] }).unwrap();
        let discovery =
            serde_json::json!({"issuer": base, "jwks_uri": format!("{base}/keys")}).to_string();
        let app = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { body_override.map_or(discovery, str::to_string) }),
            )
            .route(
                "/keys",
                get(|State(hits): State<Arc<AtomicUsize>>| async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    keys
                }),
            )
            .with_state(hits.clone());
        tokio::spawn(crate::server::serve(
            listener,
            tls,
            crate::server::HostRoutes::new([("localhost".to_string(), app)].into()),
            std::future::pending(),
        ));
        (base, hits, ca.cert_der().to_vec())
    }

    #[tokio::test]
    async fn fetches_once_and_caches() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let (base, hits, ca) = issuer(None).await;
        let keys = OidcIssuerKeys::new(
            skybridge_net::https_client(&[ca], Duration::from_secs(5)).unwrap(),
        );
        let set = keys.jwks(&base, false).await.unwrap();
        assert!(set.find("k1").is_some());
        keys.jwks(&base, false).await.unwrap();
        keys.jwks(&base, true).await.unwrap();
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "cached, and no refresh within five minutes"
        );
    }

    #[tokio::test]
    async fn broken_issuers_fail_cleanly() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let (base, _, ca) = issuer(Some("{not json")).await;
        let client = skybridge_net::https_client(&[ca], Duration::from_secs(5)).unwrap();
        let keys = OidcIssuerKeys::new(client.clone());
        assert!(keys.jwks(&base, false).await.is_err(), "garbage metadata");
        assert!(
            keys.jwks("https://127.0.0.1:9", false).await.is_err(),
            "nobody listening"
        );
        assert!(
            keys.jwks("http://insecure.example", false).await.is_err(),
            "not https"
        );
        // A certificate the client does not trust.
        let untrusting =
            OidcIssuerKeys::new(skybridge_net::https_client(&[], Duration::from_secs(5)).unwrap());
        let (other, _, _) = issuer(None).await;
        assert!(untrusting.jwks(&other, false).await.is_err());
    }
}
