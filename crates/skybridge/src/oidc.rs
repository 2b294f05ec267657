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
