//! Client assertions (RFC 7523): a credential that signs (or obtains) a JWT proving the client's
//! identity, then posts it to the token endpoint.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::token::{Step, TokenCredential, TokenResult, now_unix};
use crate::{AuthorityClient, CredentialError};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Assertions live ten minutes, as MSAL's do.
const ASSERTION_LIFETIME: i64 = 600;

/// Produces an assertion for a token endpoint (`audience`) and client.
#[async_trait]
pub trait AssertionProvider: Send + Sync {
    /// An assertion, with the steps taken to make it.
    async fn assertion(
        &self,
        audience: &str,
        client_id: &str,
    ) -> Result<(String, Vec<Step>), CredentialError>;
}

/// The signing input (`header.claims`, base64url) of an assertion signed with RS256 and named
/// by the certificate's SHA-1 thumbprint `x5t` — the form Entra has always accepted and the one
/// Key Vault certificates carry.
pub fn build_assertion_input(x5t: &str, audience: &str, client_id: &str) -> String {
    let now = now_unix();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": x5t});
    let claims = serde_json::json!({
        "aud": audience,
        "iss": client_id,
        "sub": client_id,
        "jti": uuid::Uuid::new_v4().to_string(),
        "nbf": now,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
    });
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// Authenticates an application with an assertion from a provider.
pub struct ClientAssertionCredential {
    authority: AuthorityClient,
    tenant: String,
    client_id: String,
    provider: Arc<dyn AssertionProvider>,
}

impl ClientAssertionCredential {
    /// A credential for `client_id` in `tenant`.
    pub fn new(
        authority: AuthorityClient,
        tenant: &str,
        client_id: &str,
        provider: Arc<dyn AssertionProvider>,
    ) -> Self {
        Self {
            authority,
            tenant: tenant.into(),
            client_id: client_id.into(),
            provider,
        }
    }
}

#[async_trait]
impl TokenCredential for ClientAssertionCredential {
    async fn get_token(&self, scope: &str) -> Result<TokenResult, CredentialError> {
        let audience = self.authority.token_endpoint(&self.tenant);
        let (assertion, mut steps) = self.provider.assertion(&audience, &self.client_id).await?;
        let (token, step) = self
            .authority
            .client_credentials(
                &self.tenant,
                &self.client_id,
                scope,
                &[
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", &assertion),
                ],
            )
            .await?;
        steps.push(step);
        Ok(TokenResult { token, steps })
    }
}
