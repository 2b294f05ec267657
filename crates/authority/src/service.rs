//! The authority: resolves tenants, authenticates clients, decides roles and signs tokens.
//! Transport-free: the HTTP layer hands it parsed input and maps its errors.

use std::collections::HashMap;
use std::sync::Arc;

use skybridge_jose::{Clock, Header, JwkSet};
use skybridge_store::{
    ApplicationRecord, DirectoryStore, RootKey, ServicePrincipalRecord, TenantRecord,
};
use uuid::Uuid;

use crate::client_auth::{self, AssertionClaims};
use crate::federation::ExternalIssuerKeys;
use crate::keys::{KeyCache, TenantKeys};
use crate::request::{ClientCredential, EndpointVersion, parse_token_request};
use crate::token::{
    AccessTokenClaims, ClientAuthMethod, IssuedToken, TokenGrant, TokenResponse, draw_lifetime,
};
use crate::{AuthorityConfig, AuthorityError};

/// The Entra-compatible token service for every tenant in the store.
pub struct Authority {
    pub(crate) store: Arc<dyn DirectoryStore>,
    pub(crate) root_key: Arc<RootKey>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: AuthorityConfig,
    pub(crate) keys: KeyCache,
    pub(crate) external_issuers: Option<Arc<dyn ExternalIssuerKeys>>,
}

/// Tenant path segments that name no single tenant.
const MULTI_TENANT_SEGMENTS: [&str; 3] = ["common", "organizations", "consumers"];

fn looks_like_domain(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= 253
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

impl Authority {
    /// An authority over `store`, sealing keys with `root_key`, reading time from `clock`.
    pub fn new(
        store: Arc<dyn DirectoryStore>,
        root_key: Arc<RootKey>,
        clock: Arc<dyn Clock>,
        config: AuthorityConfig,
    ) -> Self {
        Self {
            store,
            root_key,
            clock,
            config,
            keys: KeyCache::default(),
            external_issuers: None,
        }
    }

    /// Lets federated credentials name external OIDC issuers, whose keys `source` fetches.
    pub fn with_external_issuers(mut self, source: Arc<dyn ExternalIssuerKeys>) -> Self {
        self.external_issuers = Some(source);
        self
    }

    /// Its settings.
    pub fn config(&self) -> &AuthorityConfig {
        &self.config
    }

    /// The directory it serves.
    pub fn store(&self) -> &Arc<dyn DirectoryStore> {
        &self.store
    }

    /// The tenant a path segment names: its GUID, its name or one of its domains.
    pub async fn resolve_tenant(&self, segment: &str) -> Result<TenantRecord, AuthorityError> {
        let found = match Uuid::parse_str(segment) {
            Ok(id) => self.store.tenant(id).await?,
            Err(_) if looks_like_domain(segment) => self.store.tenant_by_alias(segment).await?,
            Err(_) => return Err(AuthorityError::TenantMalformed(segment.to_string())),
        };
        found.ok_or_else(|| AuthorityError::TenantNotFound(segment.to_string()))
    }

    /// The discovery document of a tenant.
    pub async fn openid_configuration(
        &self,
        segment: &str,
        version: EndpointVersion,
    ) -> Result<serde_json::Value, AuthorityError> {
        let tenant = self.resolve_tenant(segment).await?;
        Ok(match version {
            EndpointVersion::V2 => crate::discovery::v2_document(&self.config, &tenant.id),
            EndpointVersion::V1 => crate::discovery::v1_document(&self.config, &tenant.id),
        })
    }

    /// The published signing keys of a tenant.
    pub async fn jwks(
        &self,
        segment: &str,
        version: EndpointVersion,
    ) -> Result<Arc<JwkSet>, AuthorityError> {
        let tenant = self.resolve_tenant(segment).await?;
        Ok(self.tenant_keys(tenant.id).await?.jwks(version))
    }

    /// [`Self::jwks`] of the tenant with this id, answered from the signing-key cache when it
    /// holds the tenant (a key set is cached only for a tenant that resolved, and its TTL
    /// bounds staleness as the directory cache's does), so that a caller checking tokens on
    /// every request (the vault) neither formats the id nor copies the tenant's record.
    pub async fn jwks_by_id(
        &self,
        tenant_id: Uuid,
        version: EndpointVersion,
    ) -> Result<Arc<JwkSet>, AuthorityError> {
        let now = self.clock.now_unix();
        match self.keys.get(tenant_id, now, self.config.key_cache_ttl) {
            Some(keys) => Ok(keys.jwks(version)),
            None => self.jwks(&tenant_id.to_string(), version).await,
        }
    }

    pub(crate) async fn tenant_keys(
        &self,
        tenant_id: Uuid,
    ) -> Result<Arc<TenantKeys>, AuthorityError> {
        let now = self.clock.now_unix();
        if let Some(keys) = self.keys.get(tenant_id, now, self.config.key_cache_ttl) {
            return Ok(keys);
        }
        let records = self.store.signing_keys(tenant_id).await?;
        let keys = Arc::new(TenantKeys::load(
            &self.root_key,
            &self.config,
            tenant_id,
            &records,
            now,
        )?);
        self.keys.put(tenant_id, keys.clone());
        Ok(keys)
    }

    /// Handles a token request at `/{segment}/oauth2[/v2.0]/token`.
    pub async fn token(
        &self,
        segment: &str,
        version: EndpointVersion,
        params: &HashMap<String, String>,
        basic: Option<(String, String)>,
    ) -> Result<TokenResponse, AuthorityError> {
        if MULTI_TENANT_SEGMENTS
            .iter()
            .any(|s| s.eq_ignore_ascii_case(segment))
        {
            return Err(AuthorityError::GrantNotAtCommon);
        }
        let tenant = self.resolve_tenant(segment).await?;
        let request = parse_token_request(version, params, basic)?;
        let now = self.clock.now_unix();

        let client_app = self.store.application(request.client_id).await?;
        let client_sp = self
            .store
            .service_principal(tenant.id, request.client_id)
            .await?;
        let (Some(client_app), Some(client_sp)) = (client_app, client_sp) else {
            return Err(AuthorityError::ApplicationNotFound {
                app: request.client_id.to_string(),
                tenant: tenant.name.clone(),
            });
        };

        let method = match &request.credential {
            ClientCredential::Secret(secret) => {
                let creds = self.store.password_credentials(client_app.app_id).await?;
                client_auth::verify_secret(&creds, secret, client_app.app_id, now)?;
                ClientAuthMethod::Secret
            }
            ClientCredential::Assertion(token) => {
                self.authenticate_assertion(&tenant, &client_app, token, now)
                    .await?;
                ClientAuthMethod::Certificate
            }
        };

        let (resource_app, resource_sp) = self.resolve_resource(&tenant, &request.resource).await?;
        let roles = self
            .granted_roles(&client_sp, &resource_app, &resource_sp)
            .await?;
        if roles.is_empty() && resource_app.app_role_assignment_required {
            return Err(AuthorityError::RoleAssignmentRequired {
                client: client_app.app_id.to_string(),
                resource: resource_app.app_id.to_string(),
            });
        }
        let issued = self
            .issue(TokenGrant {
                tenant: &tenant,
                client: &client_sp,
                resource_app: &resource_app,
                requested_resource: &request.resource,
                roles,
                method,
                extra: serde_json::Map::new(),
                lifetime: None,
            })
            .await?;
        Ok(issued.response(version, &request.resource))
    }

    /// Signs an access token for `grant` with the tenant's current key. Managed identities
    /// use this too.
    pub async fn issue(&self, grant: TokenGrant<'_>) -> Result<IssuedToken, AuthorityError> {
        let keys = self.tenant_keys(grant.tenant.id).await?;
        let now = self.clock.now_unix();
        let lifetime = grant
            .lifetime
            .unwrap_or_else(|| draw_lifetime(self.config.token_lifetime));
        let claims = AccessTokenClaims::build(&self.config, grant, now, lifetime);
        let mut header = Header::new(skybridge_jose::Alg::RS256);
        header.typ = Some("JWT".into());
        header.x5t = Some(keys.kid.clone());
        header.kid = Some(keys.kid.clone());
        let access_token = skybridge_jose::encode_sync(&header, &claims, &keys.signer)?;
        Ok(IssuedToken {
            access_token,
            expires_on: claims.expires_at(),
            not_before: claims.not_before(),
            expires_in: claims.expires_at() - now,
        })
    }

    /// The resource application a request names, which must have a service principal in the
    /// tenant: by client id, or by identifier URI (with or without a trailing slash, as Entra
    /// accepts `https://vault.azure.net` and `https://vault.azure.net/` alike).
    pub async fn resolve_resource(
        &self,
        tenant: &TenantRecord,
        resource: &str,
    ) -> Result<(ApplicationRecord, ServicePrincipalRecord), AuthorityError> {
        let mut candidates = Vec::new();
        if let Ok(app_id) = Uuid::parse_str(resource) {
            candidates.extend(self.store.application(app_id).await?);
        } else {
            candidates.extend(self.store.applications_by_identifier_uri(resource).await?);
            let toggled = match resource.strip_suffix('/') {
                Some(bare) => bare.to_string(),
                None => format!("{resource}/"),
            };
            candidates.extend(self.store.applications_by_identifier_uri(&toggled).await?);
        }
        for app in candidates {
            if let Some(sp) = self.store.service_principal(tenant.id, app.app_id).await? {
                return Ok((app, sp));
            }
        }
        Err(AuthorityError::ResourceNotFound {
            resource: resource.to_string(),
            tenant: tenant.name.clone(),
        })
    }

    /// Values of the enabled app roles the client holds on the resource, sorted.
    pub async fn granted_roles(
        &self,
        client_sp: &ServicePrincipalRecord,
        resource_app: &ApplicationRecord,
        resource_sp: &ServicePrincipalRecord,
    ) -> Result<Vec<String>, AuthorityError> {
        let assignments = self
            .store
            .app_role_assignments(client_sp.id, resource_sp.id)
            .await?;
        let mut roles: Vec<String> = assignments
            .iter()
            .filter_map(|a| {
                resource_app
                    .app_roles
                    .iter()
                    .find(|r| r.id == a.app_role_id && r.is_enabled)
                    .map(|r| r.value.clone())
            })
            .collect();
        roles.sort();
        roles.dedup();
        Ok(roles)
    }

    /// The audiences a client assertion may carry at this tenant: its v2 and v1 token
    /// endpoints, naming the tenant by GUID, name or domain.
    fn assertion_audiences(&self, tenant: &TenantRecord) -> Vec<String> {
        let names = std::iter::once(tenant.id.to_string())
            .chain(std::iter::once(tenant.name.clone()))
            .chain(tenant.domains.iter().cloned());
        names
            .flat_map(|t| {
                [
                    format!("{}/{t}/oauth2/v2.0/token", self.config.authority_url),
                    format!("{}/{t}/oauth2/token", self.config.authority_url),
                ]
            })
            .collect()
    }

    async fn authenticate_assertion(
        &self,
        tenant: &TenantRecord,
        client_app: &ApplicationRecord,
        token: &str,
        now: i64,
    ) -> Result<(), AuthorityError> {
        let AssertionClaims {
            jws,
            issuer,
            subject,
            audiences,
        } = client_auth::read_assertion(token)?;
        let client_id = client_app.app_id.to_string();
        if !issuer.eq_ignore_ascii_case(&client_id) {
            if Uuid::parse_str(&issuer).is_ok() {
                return Err(AuthorityError::AssertionClientMismatch);
            }
            // Issued by someone else than the client: a federated identity credential.
            let assertion = AssertionClaims {
                jws,
                issuer,
                subject,
                audiences,
            };
            return self
                .authenticate_federated(client_app.app_id, assertion, now)
                .await;
        }
        if subject != issuer {
            return Err(AuthorityError::AssertionSubjectMismatch);
        }
        let credentials = self.store.key_credentials(client_app.app_id).await?;
        let credential = client_auth::select_key(&jws, &credentials)?;
        if now >= credential.end || now < credential.start {
            return Err(AuthorityError::AssertionKeyExpired {
                thumbprint: skybridge_pki::thumbprint::hex_upper(&credential.sha1),
            });
        }
        client_auth::verify_signature(&jws, credential)?;
        if !client_auth::audience_matches(&audiences, &self.assertion_audiences(tenant)) {
            return Err(AuthorityError::AssertionAudience);
        }
        let exp = client_auth::check_lifetime(&jws, now, self.config.assertion_leeway)?;
        if self.config.replay_protection {
            let jti = match jws.claims.get("jti") {
                Some(serde_json::Value::String(j)) if !j.is_empty() => j.clone(),
                _ => return Err(AuthorityError::AssertionClaimMissing("jti")),
            };
            let fresh = self
                .store
                .remember_assertion(
                    tenant.id,
                    client_app.app_id,
                    &jti,
                    exp + self.config.assertion_leeway,
                    now,
                )
                .await?;
            if !fresh {
                return Err(AuthorityError::AssertionReplayed);
            }
        }
        Ok(())
    }
}
