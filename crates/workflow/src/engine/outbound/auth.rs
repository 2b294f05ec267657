//! Outbound authentication of the Http action. `None`, `Basic` and `Raw` are handled here;
//! `ManagedServiceIdentity`, `ActiveDirectoryOAuth` and `ClientCertificate` go through an
//! [`HttpAuthenticator`] the host installs (the identity integration). Until one is installed
//! they fail with a clear "not available yet" error.

use async_trait::async_trait;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::definition::field_ci;

/// Who is calling out: enough for an authenticator to pick the identity.
#[derive(Debug, Clone)]
pub struct AuthContext {
    /// Workflow name.
    pub workflow: String,
    /// Workflow app.
    pub app: String,
    /// The identity resource the workflow runs as (world `resource`), if any.
    pub identity_resource: Option<String>,
    /// The action calling out.
    pub action: String,
    /// The request URI.
    pub uri: String,
}

/// One step of token acquisition (which identity, which vault key, which tenant), as the Http
/// action's run history shows it under `authenticationSteps`. Never carries a token or secret.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthenticationStep {
    /// What happened (`managed identity token`, `vault sign`, `token request`).
    pub step: String,
    /// Where (an endpoint, a vault key id).
    pub target: String,
    /// Details without secrets (client id, tenant, key id, cache hit).
    pub detail: String,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
}

impl AuthenticationStep {
    /// The run-history form.
    pub fn to_json(&self) -> Value {
        json!({
            "step": self.step,
            "target": self.target,
            "detail": self.detail,
            "durationMs": (self.duration_ms * 1000.0).round() / 1000.0,
        })
    }
}

/// A successful authentication and the steps it took.
pub struct Authenticated {
    /// What to apply to the request.
    pub applied: AppliedAuth,
    /// The steps, in order (empty for `Basic` and `Raw`).
    pub steps: Vec<AuthenticationStep>,
}

impl From<AppliedAuth> for Authenticated {
    fn from(applied: AppliedAuth) -> Self {
        Self {
            applied,
            steps: Vec::new(),
        }
    }
}

/// Why authentication failed. The message names the failing step; `transient` failures
/// (a service unreachable, 5xx, 429) are retried under the action's retry policy like a failed
/// request, the others fail the action at once.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthenticationFailure {
    /// Shown as the action's error message.
    pub message: String,
    /// Worth retrying.
    pub transient: bool,
}

impl AuthenticationFailure {
    /// A failure that retrying cannot fix (bad configuration, a refusal).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: false,
        }
    }
}

impl From<String> for AuthenticationFailure {
    fn from(message: String) -> Self {
        Self::permanent(message)
    }
}

impl From<&str> for AuthenticationFailure {
    fn from(message: &str) -> Self {
        Self::permanent(message)
    }
}

/// How a request gets authenticated.
pub enum AppliedAuth {
    /// Nothing to add.
    Nothing,
    /// An `Authorization` header value.
    Authorization(String),
    /// Send through this client (e.g. one holding a client certificate), with an optional
    /// `Authorization` header.
    Client(reqwest::Client, Option<String>),
}

/// The extension point for the authentication types that need tokens or certificates.
#[async_trait]
pub trait HttpAuthenticator: Send + Sync {
    /// Authenticates a request for `authentication` (already evaluated), whose `type` is
    /// `kind` (`ManagedServiceIdentity`, `ActiveDirectoryOAuth` or `ClientCertificate`, as the
    /// workflow spelled it). Errors are shown as the action's error message.
    async fn authenticate(
        &self,
        ctx: &AuthContext,
        kind: &str,
        authentication: &Value,
    ) -> Result<Authenticated, AuthenticationFailure>;
}

/// The authenticator before the identity integration exists.
pub struct NoExtraAuthentication;

#[async_trait]
impl HttpAuthenticator for NoExtraAuthentication {
    async fn authenticate(
        &self,
        _: &AuthContext,
        kind: &str,
        _: &Value,
    ) -> Result<Authenticated, AuthenticationFailure> {
        Err(AuthenticationFailure::permanent(format!(
            "The authentication type '{kind}' is not available yet in Skybridge."
        )))
    }
}

/// Resolves `inputs.authentication`.
pub(crate) async fn apply(
    authenticator: &dyn HttpAuthenticator,
    ctx: &AuthContext,
    authentication: Option<&Value>,
) -> Result<Authenticated, AuthenticationFailure> {
    let Some(auth) = authentication.filter(|a| !a.is_null()) else {
        return Ok(AppliedAuth::Nothing.into());
    };
    if !auth.is_object() {
        return Err("The 'authentication' of an Http action must be an object.".into());
    }
    let kind = field_ci(auth, "type").and_then(Value::as_str).unwrap_or("");
    let text = |key: &str| {
        field_ci(auth, key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match kind.to_ascii_lowercase().as_str() {
        "" | "none" => Ok(AppliedAuth::Nothing.into()),
        "basic" => {
            let user = text("username");
            if user.is_empty() {
                return Err("Basic authentication needs a 'username'.".into());
            }
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{user}:{}", text("password")));
            Ok(AppliedAuth::Authorization(format!("Basic {token}")).into())
        }
        "raw" => {
            let value = text("value");
            if value.is_empty() {
                return Err("Raw authentication needs a 'value'.".into());
            }
            Ok(AppliedAuth::Authorization(value).into())
        }
        "managedserviceidentity" | "activedirectoryoauth" | "clientcertificate" => {
            authenticator.authenticate(ctx, kind, auth).await
        }
        _ => Err(AuthenticationFailure::permanent(format!(
            "The authentication type '{kind}' is not valid; use None, Basic, ClientCertificate, ActiveDirectoryOAuth, Raw or ManagedServiceIdentity."
        ))),
    }
}
