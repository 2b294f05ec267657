//! Outbound authentication of the Http action. `None`, `Basic` and `Raw` are handled here;
//! `ManagedServiceIdentity`, `ActiveDirectoryOAuth` and `ClientCertificate` go through an
//! [`HttpAuthenticator`] the host installs (the identity integration). Until one is installed
//! they fail with a clear "not available yet" error.

use async_trait::async_trait;
use base64::Engine as _;
use serde_json::Value;

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
    ) -> Result<AppliedAuth, String>;
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
    ) -> Result<AppliedAuth, String> {
        Err(format!(
            "The authentication type '{kind}' is not available yet in Skybridge."
        ))
    }
}

/// Resolves `inputs.authentication`.
pub(crate) async fn apply(
    authenticator: &dyn HttpAuthenticator,
    ctx: &AuthContext,
    authentication: Option<&Value>,
) -> Result<AppliedAuth, String> {
    let Some(auth) = authentication.filter(|a| !a.is_null()) else {
        return Ok(AppliedAuth::Nothing);
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
        "" | "none" => Ok(AppliedAuth::Nothing),
        "basic" => {
            let user = text("username");
            if user.is_empty() {
                return Err("Basic authentication needs a 'username'.".into());
            }
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{user}:{}", text("password")));
            Ok(AppliedAuth::Authorization(format!("Basic {token}")))
        }
        "raw" => {
            let value = text("value");
            if value.is_empty() {
                return Err("Raw authentication needs a 'value'.".into());
            }
            Ok(AppliedAuth::Authorization(value))
        }
        "managedserviceidentity" | "activedirectoryoauth" | "clientcertificate" => {
            authenticator.authenticate(ctx, kind, auth).await
        }
        _ => Err(format!(
            "The authentication type '{kind}' is not valid; use None, Basic, ClientCertificate, ActiveDirectoryOAuth, Raw or ManagedServiceIdentity."
        )),
    }
}
