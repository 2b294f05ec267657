//! A client secret.

use async_trait::async_trait;

use crate::token::{TokenCredential, TokenResult};
use crate::{AuthorityClient, CredentialError};

/// Authenticates an application with a client secret.
pub struct ClientSecretCredential {
    authority: AuthorityClient,
    tenant: String,
    client_id: String,
    secret: String,
}

impl std::fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ClientSecretCredential {
    /// A credential for `client_id` in `tenant`.
    pub fn new(authority: AuthorityClient, tenant: &str, client_id: &str, secret: &str) -> Self {
        Self {
            authority,
            tenant: tenant.into(),
            client_id: client_id.into(),
            secret: secret.into(),
        }
    }
}

#[async_trait]
impl TokenCredential for ClientSecretCredential {
    async fn get_token(&self, scope: &str) -> Result<TokenResult, CredentialError> {
        let (token, step) = self
            .authority
            .client_credentials(
                &self.tenant,
                &self.client_id,
                scope,
                &[("client_secret", &self.secret)],
            )
            .await?;
        Ok(TokenResult {
            token,
            steps: vec![step],
        })
    }
}
