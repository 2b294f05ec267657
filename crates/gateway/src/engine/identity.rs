//! Managed-identity tokens for `authentication-managed-identity`: the binary supplies a
//! [`TokenProvider`] (its IMDS emulator); the gateway caches tokens per (resource, client id)
//! until shortly before they expire, as APIM does.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::Clock;

/// An access token and its expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The bearer token.
    pub token: String,
    /// Expiry, Unix seconds.
    pub expires_on: i64,
}

impl fmt::Debug for AccessToken {
    // Never print the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("expires_on", &self.expires_on)
            .finish_non_exhaustive()
    }
}

/// Why a token could not be obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(pub String);

/// Obtains tokens for the gateway's managed identity.
#[async_trait]
pub trait TokenProvider: Send + Sync {
    /// A token for `resource`, as the system-assigned identity (`client_id` `None`) or the
    /// user-assigned identity with that client id.
    async fn token(
        &self,
        resource: &str,
        client_id: Option<&str>,
    ) -> Result<AccessToken, TokenError>;
}

struct Cached {
    token: AccessToken,
    acquired_s: i64,
}

/// The token cache.
pub struct TokenCache {
    provider: Option<Arc<dyn TokenProvider>>,
    clock: Arc<dyn Clock>,
    cache: tokio::sync::Mutex<HashMap<(String, Option<String>), Cached>>,
}

impl TokenCache {
    /// A cache in front of `provider` (`None`: every request fails, naming the gap).
    pub fn new(provider: Option<Arc<dyn TokenProvider>>, clock: Arc<dyn Clock>) -> Self {
        Self {
            provider,
            clock,
            cache: tokio::sync::Mutex::default(),
        }
    }

    /// A token, from the cache while it has more than min(5 min, half its lifetime) left.
    pub async fn get(&self, resource: &str, client_id: Option<&str>) -> Result<String, TokenError> {
        let provider = self.provider.as_ref().ok_or_else(|| {
            TokenError("no managed identity is configured for this gateway".into())
        })?;
        let key = (resource.to_owned(), client_id.map(str::to_owned));
        // Holding the lock across the fetch makes concurrent requests share one acquisition.
        let mut cache = self.cache.lock().await;
        let now = self.clock.now_ms() / 1000;
        if let Some(c) = cache.get(&key) {
            let margin = ((c.token.expires_on - c.acquired_s) / 2).clamp(0, 300);
            if now < c.token.expires_on - margin {
                return Ok(c.token.token.clone());
            }
        }
        let token = provider.token(resource, client_id).await?;
        let value = token.token.clone();
        cache.insert(
            key,
            Cached {
                token,
                acquired_s: now,
            },
        );
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::engine::ManualClock;

    struct Counting(AtomicUsize, Arc<ManualClock>);

    #[async_trait]
    impl TokenProvider for Counting {
        async fn token(
            &self,
            resource: &str,
            client_id: Option<&str>,
        ) -> Result<AccessToken, TokenError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Ok(AccessToken {
                token: format!("{resource}|{}|{n}", client_id.unwrap_or("system")),
                expires_on: self.1.now_ms() / 1000 + 3600,
            })
        }
    }

    #[tokio::test]
    async fn caches_per_resource_and_identity_until_near_expiry() {
        let clock = Arc::new(ManualClock::new(0));
        let provider = Arc::new(Counting(AtomicUsize::new(0), clock.clone()));
        let cache = TokenCache::new(Some(provider.clone()), clock.clone());
        assert_eq!(cache.get("r", None).await.unwrap(), "r|system|0");
        assert_eq!(cache.get("r", None).await.unwrap(), "r|system|0");
        assert_eq!(cache.get("r", Some("u")).await.unwrap(), "r|u|1");
        clock.advance(3300 * 1000 - 1);
        assert_eq!(cache.get("r", None).await.unwrap(), "r|system|0");
        clock.advance(1);
        assert_eq!(cache.get("r", None).await.unwrap(), "r|system|2");
        let none = TokenCache::new(None, clock);
        assert!(none.get("r", None).await.is_err());
        assert!(
            format!(
                "{:?}",
                AccessToken {
                    token: "secret".into(),
                    expires_on: 1
                }
            )
            .find("secret")
            .is_none()
        );
    }
}
