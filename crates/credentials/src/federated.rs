//! A federated assertion: another credential's token for `api://AzureADTokenExchange` (a
//! user-assigned managed identity's, typically) presented as the client assertion.

use std::sync::Arc;

use async_trait::async_trait;

use crate::CredentialError;
use crate::assertion::AssertionProvider;
use crate::token::{Step, TokenCredential};

/// The scope of token-exchange tokens in the public cloud.
const TOKEN_EXCHANGE_SCOPE: &str = "api://AzureADTokenExchange/.default";

/// Uses `source`'s token-exchange token as the assertion.
pub struct FederatedAssertion {
    source: Arc<dyn TokenCredential>,
}

impl FederatedAssertion {
    /// Assertions from `source` (e.g. a user-assigned [`crate::ManagedIdentityCredential`]).
    pub fn new(source: Arc<dyn TokenCredential>) -> Self {
        Self { source }
    }
}

#[async_trait]
impl AssertionProvider for FederatedAssertion {
    async fn assertion(
        &self,
        _audience: &str,
        _client_id: &str,
    ) -> Result<(String, Vec<Step>), CredentialError> {
        let result = self.source.get_token(TOKEN_EXCHANGE_SCOPE).await?;
        Ok((result.token.token, result.steps))
    }
}
