//! Tokens, the credential trait and acquisition steps.

use async_trait::async_trait;

use crate::CredentialError;

/// A bearer token. `Debug` hides the value.
#[derive(Clone)]
pub struct AccessToken {
    /// The token itself.
    pub token: String,
    /// Unix seconds.
    pub expires_on: i64,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"<redacted>")
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

/// One step of acquiring a token, for run histories and demos: what was asked of whom.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Step {
    /// What happened (`managed identity token`, `vault sign`, `token request`).
    pub action: String,
    /// Where (`https://…/oauth2/v2.0/token`, a vault key id, an identity endpoint).
    pub target: String,
    /// Details without secrets (identity client id, tenant, key id, issuer, cache hit).
    pub detail: String,
    /// How long the step took, in milliseconds.
    pub elapsed_ms: f64,
}

/// Milliseconds since `start`.
pub(crate) fn elapsed_ms(start: std::time::Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// A token and the steps that produced it.
#[derive(Debug, Clone)]
pub struct TokenResult {
    /// The token.
    pub token: AccessToken,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// Something that can get tokens for a scope (`<resource>/.default`).
#[async_trait]
pub trait TokenCredential: Send + Sync {
    /// A token for `scope`, with the steps taken.
    async fn get_token(&self, scope: &str) -> Result<TokenResult, CredentialError>;
}

#[async_trait]
impl<T: TokenCredential + ?Sized> TokenCredential for std::sync::Arc<T> {
    async fn get_token(&self, scope: &str) -> Result<TokenResult, CredentialError> {
        (**self).get_token(scope).await
    }
}

/// `api://orders/.default` → `api://orders` (managed-identity endpoints take a resource).
pub(crate) fn scope_to_resource(scope: &str) -> &str {
    scope.strip_suffix("/.default").unwrap_or(scope)
}

pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
