//! A resource's managed identity as a credentials-library `TokenCredential`, served in
//! process (no HTTP hop to the identity listener). The workflow engine's Http authentication
//! and the gateways' `authentication-managed-identity` both get their tokens through it.

use std::sync::Arc;

use async_trait::async_trait;
use skybridge_credentials::{CredentialError, Step, TokenCredential, TokenResult};
use skybridge_identity::ManagedIdentityService;
use skybridge_identity::protocol::{Protocol, Selector, TokenRequest};

/// A managed identity of a resource, served in process (no HTTP hop).
pub struct ResourceIdentity {
    service: Arc<ManagedIdentityService>,
    resource: String,
    selector: Selector,
}

#[async_trait]
impl TokenCredential for ResourceIdentity {
    async fn get_token(&self, scope: &str) -> Result<TokenResult, CredentialError> {
        let started = std::time::Instant::now();
        let registered = self
            .service
            .registry()
            .resource(&self.resource)
            .ok_or_else(|| {
                CredentialError::Config(format!(
                    "resource '{}' carries no managed identity",
                    self.resource
                ))
            })?;
        let resource = scope.strip_suffix("/.default").unwrap_or(scope).to_string();
        let request = TokenRequest {
            resource: resource.clone(),
            selector: self.selector.clone(),
        };
        let (token, client_id) = self
            .service
            .token(Protocol::AppService, registered, &request)
            .await
            .map_err(|e| {
                // The same status and message the App Service endpoint would answer, so the
                // in-process path reports AADSTS codes exactly as the HTTP one.
                let (status, body) = e.wire(Protocol::AppService, "");
                CredentialError::ManagedIdentity {
                    step: "managed identity token".into(),
                    status,
                    message: body["message"].as_str().unwrap_or_default().to_string(),
                }
            })?;
        let step = Step {
            action: "managed identity token".into(),
            target: format!("resource {}", self.resource),
            detail: format!("identity {client_id}, audience {resource}"),
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        let token = skybridge_credentials::AccessToken {
            token: token.access_token,
            expires_on: token.expires_on,
        };
        Ok(TokenResult {
            token,
            steps: vec![step],
        })
    }
}

impl ResourceIdentity {
    /// The identity `selector` names among those `resource` carries.
    pub fn new(service: Arc<ManagedIdentityService>, resource: String, selector: Selector) -> Self {
        Self {
            service,
            resource,
            selector,
        }
    }
}
