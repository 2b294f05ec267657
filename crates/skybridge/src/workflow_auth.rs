//! Http action authentication for workflows, through the credentials library — the same code a
//! user would run against real Azure. Logic Apps' types with their exact fields:
//!
//! - `ManagedServiceIdentity`: `audience`, optional `identity` (a user-assigned identity's
//!   resource id or client id); the workflow's identity is its world `resource`;
//! - `ActiveDirectoryOAuth`: `tenant`, `audience`, `clientId`, and `secret` or `pfx` +
//!   `password`, optional `authority` (default: Skybridge's authority);
//! - `ClientCertificate`: `pfx` + `password`, presented in the TLS handshake.
//!
//! Two Skybridge extensions of `ActiveDirectoryOAuth`, for the cross-tenant chain:
//!
//! - `"vaultCertificate": {"vault": "<vault URI>", "certificate": "<name>"}` instead of a secret
//!   or pfx: the workflow's managed identity reads the certificate and the vault signs the client
//!   assertion; the private key never leaves the vault;
//! - `"federatedIdentity": {"identity": "<user-assigned identity resource id or client id>"}`:
//!   that identity's token for `api://AzureADTokenExchange` is the client assertion.
//!
//! Credentials are cached per configuration (tokens refresh five minutes before expiry). The
//! steps of each acquisition go to the action's run history (`authenticationSteps`) without any
//! token or secret; a failure names its step and is retried under the action's retry policy
//! when the service was unreachable or busy.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use serde_json::Value;
use skybridge_credentials::{
    AuthorityClient, CachedCredential, ClientAssertionCredential, ClientCertificateCredential,
    ClientSecretCredential, FederatedAssertion, TokenCredential, VaultSignedAssertion,
};
use skybridge_identity::ManagedIdentityService;
use skybridge_identity::protocol::Selector;
use skybridge_jose::SystemClock;
use skybridge_workflow::engine::{
    AppliedAuth, AuthContext, Authenticated, AuthenticationFailure, AuthenticationStep,
    HttpAuthenticator,
};
use tokio::sync::Mutex;

use crate::client_certificate::CertificateClients;
use crate::resource_identity::ResourceIdentity;

/// The authenticator `skybridge up` installs in the workflow engine.
pub struct SkybridgeAuthenticator {
    identities: Arc<ManagedIdentityService>,
    http: reqwest::Client,
    authority_url: String,
    cache: Mutex<HashMap<String, Arc<dyn TokenCredential>>>,
    certificate_clients: CertificateClients,
    /// `ClientCertificate` clients by configuration: opening a PFX costs a key derivation.
    certificate_cache: Mutex<HashMap<String, (reqwest::Client, AuthenticationStep)>>,
}

fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn text(v: &Value, name: &str) -> Option<String> {
    field(v, name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

fn selector(identity: Option<String>) -> Selector {
    match identity {
        None => Selector::System,
        Some(id) => match id.parse() {
            Ok(client_id) => Selector::ClientId(client_id),
            Err(_) => Selector::ResourceId(id),
        },
    }
}

/// A cache key naming a configuration without keeping its secret in clear.
fn fingerprint(parts: &[&str]) -> String {
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, parts.join("\u{1f}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

impl SkybridgeAuthenticator {
    /// An authenticator whose calls go through `http` (trusting the dev CA, resolving
    /// Skybridge's hosts), with `authority_url` as the default authority; `ClientCertificate`
    /// requests go through clients `certificate_clients` builds (the same trust and names).
    pub fn new(
        identities: Arc<ManagedIdentityService>,
        http: reqwest::Client,
        authority_url: String,
        certificate_clients: CertificateClients,
    ) -> Self {
        Self {
            identities,
            http,
            authority_url,
            cache: Mutex::new(HashMap::new()),
            certificate_clients,
            certificate_cache: Mutex::new(HashMap::new()),
        }
    }

    async fn client_certificate(
        &self,
        auth: &Value,
    ) -> Result<Authenticated, AuthenticationFailure> {
        let pfx = text(auth, "pfx").ok_or("ClientCertificate needs a 'pfx'.")?;
        let password = text(auth, "password").unwrap_or_default();
        let key = fingerprint(&["ClientCertificate", &pfx, &password]);
        let mut cache = self.certificate_cache.lock().await;
        let (client, step) = match cache.get(&key) {
            Some((client, step)) => (
                client.clone(),
                AuthenticationStep {
                    detail: format!("{} (cached)", step.detail),
                    duration_ms: 0.0,
                    ..step.clone()
                },
            ),
            None => {
                let built = self.certificate_clients.client(&pfx, &password)?;
                cache.insert(key, built.clone());
                built
            }
        };
        Ok(Authenticated {
            applied: AppliedAuth::Client(client, None),
            steps: vec![step],
        })
    }

    fn identity(
        &self,
        ctx: &AuthContext,
        identity: Option<String>,
    ) -> Result<ResourceIdentity, String> {
        let resource = ctx.identity_resource.clone().ok_or_else(|| {
            format!(
                "Workflow '{}' has no managed identity: give it a 'resource' in the world file.",
                ctx.workflow
            )
        })?;
        Ok(ResourceIdentity::new(
            self.identities.clone(),
            resource,
            selector(identity),
        ))
    }

    fn credential(
        &self,
        ctx: &AuthContext,
        kind: &str,
        auth: &Value,
    ) -> Result<Arc<dyn TokenCredential>, String> {
        if kind.eq_ignore_ascii_case("ManagedServiceIdentity") {
            return Ok(Arc::new(self.identity(ctx, text(auth, "identity"))?));
        }
        if !kind.eq_ignore_ascii_case("ActiveDirectoryOAuth") {
            return Err(format!(
                "The authentication type '{kind}' is not available yet in Skybridge."
            ));
        }
        let tenant = text(auth, "tenant").ok_or("ActiveDirectoryOAuth needs a 'tenant'.")?;
        let client_id = text(auth, "clientId").ok_or("ActiveDirectoryOAuth needs a 'clientId'.")?;
        let authority = AuthorityClient::new(
            self.http.clone(),
            &text(auth, "authority").unwrap_or_else(|| self.authority_url.clone()),
        );
        if let Some(secret) = text(auth, "secret") {
            return Ok(Arc::new(ClientSecretCredential::new(
                authority, &tenant, &client_id, &secret,
            )));
        }
        if let Some(pfx) = text(auth, "pfx") {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(pfx.trim())
                .map_err(|_| "'pfx' is not base64.".to_string())?;
            let password = text(auth, "password").unwrap_or_default();
            let credential = ClientCertificateCredential::from_pfx(
                authority, &tenant, &client_id, &bytes, &password,
            )
            .map_err(|e| e.to_string())?;
            return Ok(Arc::new(credential));
        }
        if let Some(vault) = field(auth, "vaultCertificate") {
            let uri = text(vault, "vault").ok_or("'vaultCertificate' needs a 'vault' URI.")?;
            let name = text(vault, "certificate")
                .ok_or("'vaultCertificate' needs a 'certificate' name.")?;
            let access: Arc<dyn TokenCredential> =
                Arc::new(self.identity(ctx, text(vault, "identity"))?);
            let assertion = VaultSignedAssertion::new(self.http.clone(), &uri, &name, access);
            return Ok(Arc::new(ClientAssertionCredential::new(
                authority,
                &tenant,
                &client_id,
                Arc::new(assertion),
            )));
        }
        if let Some(federated) = field(auth, "federatedIdentity") {
            let source: Arc<dyn TokenCredential> =
                Arc::new(self.identity(ctx, text(federated, "identity"))?);
            return Ok(Arc::new(ClientAssertionCredential::new(
                authority,
                &tenant,
                &client_id,
                Arc::new(FederatedAssertion::new(source)),
            )));
        }
        Err("ActiveDirectoryOAuth needs one of 'secret', 'pfx', 'vaultCertificate' or 'federatedIdentity'.".into())
    }
}

#[async_trait]
impl HttpAuthenticator for SkybridgeAuthenticator {
    async fn authenticate(
        &self,
        ctx: &AuthContext,
        kind: &str,
        auth: &Value,
    ) -> Result<Authenticated, AuthenticationFailure> {
        if kind.eq_ignore_ascii_case("ClientCertificate") {
            return self.client_certificate(auth).await;
        }
        let audience = text(auth, "audience")
            .ok_or_else(|| format!("{kind} authentication needs an 'audience'."))?;
        let key = fingerprint(&[
            kind,
            &ctx.identity_resource.clone().unwrap_or_default(),
            &auth.to_string(),
        ]);
        let credential = {
            let mut cache = self.cache.lock().await;
            match cache.get(&key) {
                Some(c) => c.clone(),
                None => {
                    let fresh: Arc<dyn TokenCredential> = Arc::new(CachedCredential::new(
                        self.credential(ctx, kind, auth)?,
                        Arc::new(SystemClock),
                    ));
                    cache.insert(key, fresh.clone());
                    fresh
                }
            }
        };
        let scope = format!("{}/.default", audience.trim_end_matches('/'));
        let result = credential
            .get_token(&scope)
            .await
            .map_err(|e| AuthenticationFailure {
                message: e.to_string(),
                transient: e.is_transient(),
            })?;
        let steps = result
            .steps
            .iter()
            .map(|s| AuthenticationStep {
                step: s.action.clone(),
                target: s.target.clone(),
                detail: s.detail.clone(),
                duration_ms: s.elapsed_ms,
            })
            .collect();
        Ok(Authenticated {
            applied: AppliedAuth::Authorization(format!("Bearer {}", result.token.token)),
            steps,
        })
    }
}
