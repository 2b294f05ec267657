//! Access tokens: the claims Entra puts in app-only tokens, v1 or v2 as the **resource**
//! application's `accessTokenAcceptedVersion` says (research/identity.md §1.8), and the token
//! endpoint's response shapes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use skybridge_store::{ApplicationRecord, ServicePrincipalRecord, TenantRecord};

use crate::{AuthorityConfig, EndpointVersion};

/// How the client authenticated: `appidacr`/`azpacr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// "1": a client secret.
    Secret,
    /// "2": a certificate, a client assertion or a managed identity.
    Certificate,
}

impl ClientAuthMethod {
    fn acr(self) -> &'static str {
        match self {
            Self::Secret => "1",
            Self::Certificate => "2",
        }
    }
}

/// Everything that decides a token's claims.
pub struct TokenGrant<'a> {
    /// The issuing tenant.
    pub tenant: &'a TenantRecord,
    /// The client's service principal in that tenant.
    pub client: &'a ServicePrincipalRecord,
    /// The resource application.
    pub resource_app: &'a ApplicationRecord,
    /// The resource as the client named it (v1 `aud` echoes it).
    pub requested_resource: &'a str,
    /// Role values granted to the client on the resource.
    pub roles: Vec<String>,
    /// How the client authenticated.
    pub method: ClientAuthMethod,
    /// Extra claims (managed identities add `xms_mirid`).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// A fixed lifetime (seconds) instead of the configured random range.
    pub lifetime: Option<i64>,
}

/// App-only access-token claims. Field order follows real Entra tokens.
#[derive(Debug, Serialize)]
pub struct AccessTokenClaims {
    aud: String,
    iss: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    aio: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    appid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    appidacr: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azpacr: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    idp: Option<String>,
    idtyp: &'static str,
    oid: String,
    rh: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<String>,
    sub: String,
    tid: String,
    uti: String,
    ver: &'static str,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

fn random_b64(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    // A failure of the system RNG leaves zeros; these claims are opaque correlators, not secrets.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A random lifetime in `range`, like Entra's 60–90 minutes.
pub fn draw_lifetime(range: (i64, i64)) -> i64 {
    let (low, high) = range;
    if high <= low {
        return low;
    }
    let mut b = [0u8; 8];
    let _ = aws_lc_rs::rand::fill(&mut b);
    low + (u64::from_le_bytes(b) % ((high - low) as u64 + 1)) as i64
}

/// Entra backdates `iat`/`nbf` by five minutes to absorb validators' clock skew.
const BACKDATE: i64 = 300;

impl AccessTokenClaims {
    /// Builds the claims for `grant`, issued at `now`, valid `lifetime` seconds.
    pub fn build(config: &AuthorityConfig, grant: TokenGrant<'_>, now: i64, lifetime: i64) -> Self {
        let tid = grant.tenant.id;
        let client_id = grant.client.app_id.to_string();
        let v2 = grant.resource_app.access_token_accepted_version == 2;
        let (aud, iss) = if v2 {
            (
                grant.resource_app.app_id.to_string(),
                config.v2_issuer(&tid),
            )
        } else {
            (grant.requested_resource.to_string(), config.v1_issuer(&tid))
        };
        let acr = grant.method.acr();
        Self {
            aud,
            iat: now - BACKDATE,
            nbf: now - BACKDATE,
            exp: now + lifetime,
            aio: random_b64(48),
            appid: (!v2).then(|| client_id.clone()),
            appidacr: (!v2).then_some(acr),
            azp: v2.then(|| client_id.clone()),
            azpacr: v2.then_some(acr),
            idp: (!v2).then(|| iss.clone()),
            iss,
            idtyp: "app",
            oid: grant.client.id.to_string(),
            rh: format!("0.{}.", random_b64(36)),
            roles: grant.roles,
            sub: grant.client.id.to_string(),
            tid: tid.to_string(),
            uti: random_b64(16),
            ver: if v2 { "2.0" } else { "1.0" },
            extra: grant.extra,
        }
    }

    /// `exp`.
    pub fn expires_at(&self) -> i64 {
        self.exp
    }
    /// `nbf`.
    pub fn not_before(&self) -> i64 {
        self.nbf
    }
}

/// A token endpoint success body.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum TokenResponse {
    /// v2: numbers are numbers.
    V2 {
        /// "Bearer".
        token_type: &'static str,
        /// Seconds until expiry.
        expires_in: i64,
        /// Same as `expires_in` (no outage extension here).
        ext_expires_in: i64,
        /// The JWT.
        access_token: String,
    },
    /// v1: numbers are strings, plus `expires_on`, `not_before` and `resource`.
    V1 {
        /// "Bearer".
        token_type: &'static str,
        /// Seconds until expiry, as a string.
        expires_in: String,
        /// As a string.
        ext_expires_in: String,
        /// Unix expiry, as a string.
        expires_on: String,
        /// Unix not-before, as a string.
        not_before: String,
        /// The resource as requested.
        resource: String,
        /// The JWT.
        access_token: String,
    },
}

/// A signed token and the times clients need.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The JWT.
    pub access_token: String,
    /// Unix seconds.
    pub expires_on: i64,
    /// Unix seconds.
    pub not_before: i64,
    /// Seconds from issuance to expiry.
    pub expires_in: i64,
}

impl IssuedToken {
    /// The body for the endpoint `version`; `resource` is echoed by v1.
    pub fn response(&self, version: EndpointVersion, resource: &str) -> TokenResponse {
        match version {
            EndpointVersion::V2 => TokenResponse::V2 {
                token_type: "Bearer",
                expires_in: self.expires_in,
                ext_expires_in: self.expires_in,
                access_token: self.access_token.clone(),
            },
            EndpointVersion::V1 => TokenResponse::V1 {
                token_type: "Bearer",
                expires_in: self.expires_in.to_string(),
                ext_expires_in: self.expires_in.to_string(),
                expires_on: self.expires_on.to_string(),
                not_before: self.not_before.to_string(),
                resource: resource.to_string(),
                access_token: self.access_token.clone(),
            },
        }
    }
}
