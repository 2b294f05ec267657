//! Challenge-based authentication as Key Vault does it (research/keyvault.md §2.2): a request
//! without a usable bearer token gets 401 with
//! `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="<resource>"`, and
//! tokens are verified properly — signature against the vault tenant's published keys,
//! `exp`/`nbf`, the tenant's v1 or v2 issuer, and one of Key Vault's audiences. The caller is
//! the token's `oid`. A token that verified is remembered until its `exp` ([`TokenCache`]), so
//! a client reusing its token pays for the signature once.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use skybridge_jose::claims::{ClaimError, Validation, numeric_date, validate};
use skybridge_jose::{JwkSet, decode_unverified};
use uuid::Uuid;

use crate::cache::tokens::{TokenCache, Verified};
use crate::error::VaultError;

/// Azure Key Vault's application id, an accepted audience.
pub const KEY_VAULT_APP_ID: &str = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093";

/// Where the token-signing keys of a tenant come from (the authority's JWKS, in process or
/// fetched).
#[async_trait]
pub trait KeySource: Send + Sync {
    /// The published signing keys of `tenant_id`; an error means "cannot verify".
    async fn signing_keys(&self, tenant_id: Uuid) -> Result<Arc<JwkSet>, String>;
}

/// How the vault presents itself to clients and which tokens it accepts.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The authority's base URL (`https://login.<domain>:<port>`), no trailing slash; the
    /// challenge's `authorization` is `<this>/<tenant id>` and v2 issuers are built on it.
    pub authority_url: String,
    /// The v1 issuer base (`https://sts.<domain>:<port>`), no trailing slash.
    pub v1_issuer_url: String,
    /// The challenge's `resource`: `https://vault.<domain>[:port]`. The Python SDK compares the
    /// request's host *and port* against it (`_verify_challenge_resource` compares netlocs), so
    /// it carries the port when it is not 443.
    pub resource: String,
    /// Clock skew allowed on `exp`/`nbf`, seconds.
    pub leeway: i64,
}

/// Who called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The principal's object id (`oid`).
    pub object_id: Uuid,
    /// The token's `appid` or `azp`, for messages.
    pub app_id: Option<String>,
    /// The token's issuer, for messages.
    pub issuer: String,
}

/// Verifies bearer tokens for one deployment.
pub struct TokenValidator {
    config: AuthConfig,
    keys: Arc<dyn KeySource>,
    verified: TokenCache,
}

fn unauthorized(code: &str, text: impl std::fmt::Display) -> VaultError {
    VaultError::Unauthorized(format!("{code}: {text}"))
}

impl TokenValidator {
    /// A validator with the given settings and key source.
    pub fn new(config: AuthConfig, keys: Arc<dyn KeySource>) -> Self {
        Self {
            config,
            keys,
            verified: TokenCache::new(),
        }
    }

    /// Its settings.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The `WWW-Authenticate` value for a vault of `tenant_id`. Comma plus one space between
    /// quoted parameters: the JS SDK's parser needs exactly that.
    pub fn challenge(&self, tenant_id: Uuid) -> String {
        format!(
            "Bearer authorization=\"{}/{tenant_id}\", resource=\"{}\"",
            self.config.authority_url, self.config.resource
        )
    }

    /// The audiences a vault token may carry.
    fn audiences(&self) -> Vec<String> {
        let local = self.config.resource.trim_end_matches('/');
        vec![
            "https://vault.azure.net".into(),
            "https://vault.azure.net/".into(),
            KEY_VAULT_APP_ID.into(),
            local.to_string(),
            format!("{local}/"),
        ]
    }

    /// Authenticates the `Authorization` header value for a vault of `tenant_id`.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        tenant_id: Uuid,
        now: i64,
    ) -> Result<Caller, VaultError> {
        let missing = || unauthorized("AKV10000", "Request is missing a Bearer or PoP token.");
        let header = authorization.map(str::trim).ok_or_else(missing)?;
        let (scheme, token) = header.split_once(' ').ok_or_else(missing)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(missing());
        }
        let fingerprint = self.verified.fingerprint(tenant_id, token);
        if let Some(hit) = fingerprint
            .as_ref()
            .and_then(|fp| self.verified.get(fp, now, self.config.leeway))
        {
            // Still published unchanged: the signature verified then verifies now. Otherwise
            // the full path below decides (and names the error).
            if hit.still_published(&self.signing_keys(tenant_id).await?) {
                return Ok(hit.caller.clone());
            }
        }
        let jws = decode_unverified(token)
            .map_err(|_| unauthorized("AKV10012", "Token is malformed."))?;
        let keys = self.signing_keys(tenant_id).await?;
        let kid = jws.header.kid.as_deref().or(jws.header.x5t.as_deref());
        let (kid, jwk) = kid
            .and_then(|kid| keys.find(kid).map(|jwk| (kid, jwk)))
            .ok_or_else(|| unauthorized("AKV10031", "Token signature key was not found."))?;
        let key = jwk
            .verifying_key()
            .map_err(|_| unauthorized("AKV10031", "Token signature key is unusable."))?;
        jws.verify_with(&key)
            .map_err(|_| unauthorized("AKV10010", "Signature validation failed."))?;
        let issuers = vec![
            format!("{}/{tenant_id}/", self.config.v1_issuer_url),
            format!("{}/{tenant_id}/v2.0", self.config.authority_url),
        ];
        let validation = Validation {
            issuers: issuers.clone(),
            audiences: self.audiences(),
            leeway_secs: self.config.leeway,
            require_exp: true,
            require_nbf: false,
        };
        validate(&jws.claims, &validation, now).map_err(|e| match e {
            ClaimError::IssuerMismatch(found) => unauthorized(
                "AKV10032",
                format!(
                    "Invalid issuer. Expected one of {}, found {found}.",
                    issuers.join(", ")
                ),
            ),
            ClaimError::AudienceMismatch(found) => unauthorized(
                "AKV10022",
                format!("Invalid audience. Found {}.", found.join(", ")),
            ),
            ClaimError::Expired { .. } => unauthorized("AKV10013", "Token has expired."),
            ClaimError::NotYetValid { .. } => unauthorized("AKV10014", "Token is not yet valid."),
            other => unauthorized("AKV10012", format!("Token is invalid: {other}.")),
        })?;
        let claim = |name: &str| match jws.claims.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        if claim("tid").is_some_and(|tid| tid != tenant_id.to_string()) {
            return Err(unauthorized("AKV10032", "Token is from another tenant."));
        }
        let object_id = claim("oid")
            .and_then(|oid| Uuid::parse_str(&oid).ok())
            .ok_or_else(|| unauthorized("AKV10012", "Token has no object id (oid)."))?;
        let caller = Caller {
            object_id,
            app_id: claim("appid").or_else(|| claim("azp")),
            issuer: claim("iss").unwrap_or_default(),
        };
        // `exp` is required and validated above, so it parses; `nbf` may be absent.
        if let (Some(fingerprint), Ok(Some(exp)), Ok(nbf)) = (
            fingerprint,
            numeric_date(&jws.claims, "exp"),
            numeric_date(&jws.claims, "nbf"),
        ) {
            let verified = Verified {
                caller: caller.clone(),
                exp,
                nbf,
                kid: kid.to_string(),
                keys: keys.clone(),
            };
            self.verified
                .put(fingerprint, verified, now, self.config.leeway);
        }
        Ok(caller)
    }

    /// The tenant's published keys; unavailable keys are a server error, not the caller's.
    async fn signing_keys(&self, tenant_id: Uuid) -> Result<Arc<JwkSet>, VaultError> {
        self.keys
            .signing_keys(tenant_id)
            .await
            .map_err(|e| VaultError::Internal(format!("token keys of {tenant_id}: {e}")))
    }
}
