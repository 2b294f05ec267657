//! A token cache per scope in front of any credential: a cached token is handed out until five
//! minutes before it expires; concurrent callers of one scope share a single refresh.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use skybridge_jose::Clock;
use tokio::sync::Mutex;

use crate::CredentialError;
use crate::token::{AccessToken, Step, TokenCredential, TokenResult};

/// Refresh this long before expiry (azure-identity's margin).
const REFRESH_MARGIN: i64 = 300;

/// Caches `inner`'s tokens per scope.
pub struct CachedCredential<C> {
    inner: C,
    clock: Arc<dyn Clock>,
    slots: std::sync::Mutex<HashMap<String, Arc<Mutex<Option<AccessToken>>>>>,
}

impl<C: TokenCredential> CachedCredential<C> {
    /// Caches `inner`, reading time from `clock`.
    pub fn new(inner: C, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            clock,
            slots: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The wrapped credential.
    pub fn inner_ref(&self) -> &C {
        &self.inner
    }

    fn slot(&self, scope: &str) -> Arc<Mutex<Option<AccessToken>>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(scope.to_string()).or_default().clone()
    }
}

#[async_trait]
impl<C: TokenCredential> TokenCredential for CachedCredential<C> {
    async fn get_token(&self, scope: &str) -> Result<TokenResult, CredentialError> {
        let slot = self.slot(scope);
        // Holding the slot's lock across the refresh makes concurrent callers wait for it
        // instead of each asking the authority.
        let mut cached = slot.lock().await;
        if let Some(token) = cached
            .as_ref()
            .filter(|t| t.expires_on - self.clock.now_unix() > REFRESH_MARGIN)
        {
            let step = Step {
                action: "token cache".into(),
                target: scope.into(),
                detail: format!("hit, expires at {}", token.expires_on),
                elapsed_ms: 0.0,
            };
            return Ok(TokenResult {
                token: token.clone(),
                steps: vec![step],
            });
        }
        let fresh = self.inner.get_token(scope).await?;
        *cached = Some(fresh.token.clone());
        Ok(fresh)
    }
}
