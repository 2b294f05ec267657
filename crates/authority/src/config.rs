//! How the authority presents itself: its URLs and token policy.

/// Settings of one authority instance.
#[derive(Debug, Clone)]
pub struct AuthorityConfig {
    /// Base URL of the v2 authority host, no trailing slash (`https://login.example:8443`).
    /// v2 issuers, token endpoints and JWKS URLs are built on it.
    pub authority_url: String,
    /// Base URL that plays `https://sts.windows.net` for v1 issuers, no trailing slash.
    pub v1_issuer_url: String,
    /// Access-token lifetime is drawn uniformly from this range (seconds); Entra uses 60–90
    /// minutes.
    pub token_lifetime: (i64, i64),
    /// Clock skew allowed on client assertions' `exp`/`nbf` (seconds).
    pub assertion_leeway: i64,
    /// Refuse a client assertion whose `jti` was already seen. Off by default because both
    /// MSALs reuse one assertion for several minutes (research/identity.md §1.4).
    pub replay_protection: bool,
    /// The local stand-in for `https://vault.azure.net` (`https://vault.<domain>[:port]`), an
    /// extra identifier URI of the Key Vault first-party application.
    pub local_vault_resource: Option<String>,
    /// How long cached signing keys are trusted before re-reading the store, so a rotation by
    /// another process is picked up (seconds).
    pub key_cache_ttl: i64,
}

impl AuthorityConfig {
    /// Defaults for an authority at `authority_url` with v1 issuers at `v1_issuer_url`.
    pub fn new(authority_url: impl Into<String>, v1_issuer_url: impl Into<String>) -> Self {
        Self {
            authority_url: authority_url.into().trim_end_matches('/').to_string(),
            v1_issuer_url: v1_issuer_url.into().trim_end_matches('/').to_string(),
            token_lifetime: (3600, 5400),
            assertion_leeway: 300,
            replay_protection: false,
            local_vault_resource: None,
            key_cache_ttl: 30,
        }
    }

    /// `https://login…/{tid}/v2.0`: the v2 issuer of a tenant.
    pub fn v2_issuer(&self, tenant_id: &uuid::Uuid) -> String {
        format!("{}/{tenant_id}/v2.0", self.authority_url)
    }

    /// `https://sts…/{tid}/`: the v1 issuer of a tenant (trailing slash, as Entra).
    pub fn v1_issuer(&self, tenant_id: &uuid::Uuid) -> String {
        format!("{}/{tenant_id}/", self.v1_issuer_url)
    }
}
