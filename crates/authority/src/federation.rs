//! Federated identity credentials (workload identity federation): a client assertion issued
//! by another identity provider — one of our own tenants (a managed identity's token for
//! `api://AzureADTokenExchange`) or an external OIDC issuer — authenticates as an application
//! when it matches one of the application's credentials exactly (research/identity.md §1.5):
//! issuer exact, subject exact and case-sensitive, audience one of the credential's.

use std::sync::Arc;

use async_trait::async_trait;
use skybridge_jose::{JwkSet, UnverifiedJws};
use skybridge_store::{FederatedCredentialRecord, TenantRecord};
use uuid::Uuid;

use crate::client_auth::{self, AssertionClaims};
use crate::first_party::TOKEN_EXCHANGE_APP_ID;
use crate::{Authority, AuthorityError, EndpointVersion};

/// Entra's limit of federated credentials per application.
pub const MAX_FEDERATED_CREDENTIALS: usize = 20;
/// Entra's limit on issuer, subject and audience lengths.
pub const MAX_FIELD_LEN: usize = 600;
/// The default (and public-cloud) audience of federated credentials.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Fetches an external OIDC issuer's signing keys (discovery, then `jwks_uri`), cached by the
/// implementation. Its failure fails only the grant that needed it.
#[async_trait]
pub trait ExternalIssuerKeys: Send + Sync {
    /// The issuer's current JWKS; `refresh` asks to bypass the cache (unknown `kid`).
    async fn jwks(&self, issuer: &str, refresh: bool) -> Result<Arc<JwkSet>, String>;
}

/// Picks the credential matching the assertion, with Entra's error for the first mismatch.
pub fn match_credential<'a>(
    credentials: &'a [FederatedCredentialRecord],
    assertion: &AssertionClaims,
) -> Result<&'a FederatedCredentialRecord, AuthorityError> {
    let no_match = |code| AuthorityError::FederatedMismatch {
        code,
        issuer: assertion.issuer.clone(),
        subject: assertion.subject.clone(),
        audience: assertion.audiences.join(","),
    };
    if credentials.is_empty() {
        return Err(no_match(70021));
    }
    let by_issuer: Vec<_> = credentials
        .iter()
        .filter(|c| c.issuer == assertion.issuer)
        .collect();
    if by_issuer.is_empty() {
        return Err(no_match(700211));
    }
    let by_subject: Vec<_> = by_issuer
        .iter()
        .filter(|c| c.subject == assertion.subject)
        .collect();
    if by_subject.is_empty() {
        let case_only = by_issuer
            .iter()
            .any(|c| c.subject.eq_ignore_ascii_case(&assertion.subject));
        return Err(no_match(if case_only { 7002138 } else { 700213 }));
    }
    by_subject
        .into_iter()
        .find(|c| {
            c.audiences
                .iter()
                .any(|a| assertion.audiences.iter().any(|x| audience_equal(a, x)))
        })
        .copied()
        .ok_or_else(|| no_match(700212))
}

/// `api://AzureADTokenExchange` and the token-exchange app id name the same audience: managed
/// identity tokens carry the GUID (research/identity.md §5).
fn audience_equal(configured: &str, presented: &str) -> bool {
    let canon = |s: &str| {
        if s.eq_ignore_ascii_case(TOKEN_EXCHANGE_AUDIENCE) {
            TOKEN_EXCHANGE_APP_ID.to_string()
        } else {
            s.to_string()
        }
    };
    canon(configured) == canon(presented)
}

impl Authority {
    /// The tenant and token version an issuer URL names if it is one of our own.
    async fn own_issuer(
        &self,
        issuer: &str,
    ) -> Result<Option<(TenantRecord, EndpointVersion)>, AuthorityError> {
        let v2 = issuer
            .strip_prefix(&format!("{}/", self.config.authority_url))
            .and_then(|rest| rest.strip_suffix("/v2.0"))
            .map(|t| (t, EndpointVersion::V2));
        let v1 = issuer
            .strip_prefix(&format!("{}/", self.config.v1_issuer_url))
            .and_then(|rest| rest.strip_suffix('/'))
            .map(|t| (t, EndpointVersion::V1));
        let Some((segment, version)) = v2.or(v1) else {
            return Ok(None);
        };
        let Ok(id) = Uuid::parse_str(segment) else {
            return Ok(None);
        };
        Ok(self.store.tenant(id).await?.map(|t| (t, version)))
    }

    /// Authenticates `client` with a federated assertion already decoded into `assertion`.
    pub(crate) async fn authenticate_federated(
        &self,
        client_app_id: Uuid,
        assertion: AssertionClaims,
        now: i64,
    ) -> Result<(), AuthorityError> {
        let credentials = self.store.federated_credentials(client_app_id).await?;
        match_credential(&credentials, &assertion)?;
        let jws = &assertion.jws;
        match self.own_issuer(&assertion.issuer).await? {
            Some((tenant, _)) => {
                let keys = self.tenant_keys(tenant.id).await?;
                verify_with_set(jws, &keys.jwks_v2)?;
                // Only app-only tokens of our tenants may act as federated credentials.
                if jws.claims.get("idtyp").and_then(|v| v.as_str()) != Some("app") {
                    return Err(AuthorityError::FederatedTokenType);
                }
            }
            None => {
                let source = self
                    .external_issuers
                    .as_ref()
                    .ok_or_else(|| AuthorityError::ExternalIssuer(assertion.issuer.clone()))?;
                let set = source
                    .jwks(&assertion.issuer, false)
                    .await
                    .map_err(|_| AuthorityError::ExternalIssuer(assertion.issuer.clone()))?;
                let kid = jws.header.kid.as_deref().unwrap_or_default();
                let set = if set.find(kid).is_none() {
                    source
                        .jwks(&assertion.issuer, true)
                        .await
                        .map_err(|_| AuthorityError::ExternalIssuer(assertion.issuer.clone()))?
                } else {
                    set
                };
                verify_with_set(jws, &set)?;
            }
        }
        client_auth::check_lifetime(jws, now, self.config.assertion_leeway)?;
        Ok(())
    }
}

/// Verifies with the key the token's `kid` names (or `x5t`), pinned by that key.
fn verify_with_set(jws: &UnverifiedJws, set: &JwkSet) -> Result<(), AuthorityError> {
    let kid = jws
        .header
        .kid
        .as_deref()
        .or(jws.header.x5t.as_deref())
        .ok_or(AuthorityError::AssertionSignature)?;
    let key = set
        .find(kid)
        .ok_or(AuthorityError::AssertionSignature)?
        .verifying_key()
        .map_err(|_| AuthorityError::AssertionSignature)?;
    jws.verify_with(&key)
        .map(|_| ())
        .map_err(|_| AuthorityError::AssertionSignature)
}
