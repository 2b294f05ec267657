//! Managed identity through the local endpoint of the hosting environment: the App Service
//! protocol (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`) or IMDS (`AZURE_POD_IDENTITY_AUTHORITY_HOST`
//! or Azure's `http://169.254.169.254`), chosen from the environment as azure-identity does.

use async_trait::async_trait;
use serde::Deserialize;

use crate::CredentialError;
use crate::token::{AccessToken, Step, TokenCredential, TokenResult, now_unix, scope_to_resource};

/// Where the identity endpoint is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedIdentitySource {
    /// App Service / Functions / Logic Apps Standard.
    AppService {
        /// `IDENTITY_ENDPOINT`.
        endpoint: String,
        /// `IDENTITY_HEADER` (a secret; not shown by `Debug` of the credential).
        header: String,
    },
    /// The instance metadata service; `base` has no trailing slash.
    Imds {
        /// `http://169.254.169.254` or a local stand-in.
        base: String,
    },
}

impl ManagedIdentitySource {
    /// From the environment: App Service when `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are
    /// set, else IMDS at `AZURE_POD_IDENTITY_AUTHORITY_HOST` or Azure's address.
    pub fn from_env() -> Self {
        match (
            std::env::var("IDENTITY_ENDPOINT"),
            std::env::var("IDENTITY_HEADER"),
        ) {
            (Ok(endpoint), Ok(header)) => Self::AppService { endpoint, header },
            _ => Self::Imds {
                base: std::env::var("AZURE_POD_IDENTITY_AUTHORITY_HOST")
                    .map(|h| h.trim_end_matches('/').to_string())
                    .unwrap_or_else(|_| "http://169.254.169.254".into()),
            },
        }
    }
}

/// Which user-assigned identity to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserAssigned {
    /// By client id.
    ClientId(String),
    /// By principal (object) id.
    ObjectId(String),
    /// By Azure resource id.
    ResourceId(String),
}

/// A managed identity (system-assigned unless a user-assigned one is named).
pub struct ManagedIdentityCredential {
    http: reqwest::Client,
    source: ManagedIdentitySource,
    user: Option<UserAssigned>,
}

impl std::fmt::Debug for ManagedIdentityCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.source {
            ManagedIdentitySource::AppService { endpoint, .. } => {
                format!("App Service at {endpoint}")
            }
            ManagedIdentitySource::Imds { base } => format!("IMDS at {base}"),
        };
        f.debug_struct("ManagedIdentityCredential")
            .field("source", &kind)
            .field("user", &self.user)
            .finish()
    }
}

#[derive(Deserialize)]
struct Success {
    access_token: String,
    expires_on: Option<serde_json::Value>,
    expires_in: Option<serde_json::Value>,
    client_id: Option<String>,
}

fn number(v: &Option<serde_json::Value>) -> Option<i64> {
    match v {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}

impl ManagedIdentityCredential {
    /// A credential at `source`, for the system-assigned identity or the `user` one.
    pub fn new(
        http: reqwest::Client,
        source: ManagedIdentitySource,
        user: Option<UserAssigned>,
    ) -> Self {
        Self { http, source, user }
    }
}

#[async_trait]
impl TokenCredential for ManagedIdentityCredential {
    async fn get_token(&self, scope: &str) -> Result<TokenResult, CredentialError> {
        const STEP: &str = "managed identity token";
        let started = std::time::Instant::now();
        let resource = scope_to_resource(scope);
        let (url, request) = match &self.source {
            ManagedIdentitySource::AppService { endpoint, header } => {
                let mut query = vec![("api-version", "2019-08-01"), ("resource", resource)];
                match &self.user {
                    Some(UserAssigned::ClientId(id)) => query.push(("client_id", id)),
                    Some(UserAssigned::ObjectId(id)) => query.push(("principal_id", id)),
                    Some(UserAssigned::ResourceId(id)) => query.push(("mi_res_id", id)),
                    None => {}
                }
                (
                    endpoint.clone(),
                    self.http
                        .get(endpoint)
                        .query(&query)
                        .header("X-IDENTITY-HEADER", header),
                )
            }
            ManagedIdentitySource::Imds { base } => {
                let url = format!("{base}/metadata/identity/oauth2/token");
                let mut query = vec![("api-version", "2018-02-01"), ("resource", resource)];
                match &self.user {
                    Some(UserAssigned::ClientId(id)) => query.push(("client_id", id)),
                    Some(UserAssigned::ObjectId(id)) => query.push(("object_id", id)),
                    Some(UserAssigned::ResourceId(id)) => query.push(("msi_res_id", id)),
                    None => {}
                }
                (
                    url.clone(),
                    self.http.get(&url).query(&query).header("Metadata", "true"),
                )
            }
        };
        let response = request
            .send()
            .await
            .map_err(|e| CredentialError::transport(STEP, e))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| CredentialError::transport(STEP, e))?;
        if status != 200 {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let message = v
                .get("error_description")
                .or_else(|| v.get("message"))
                .and_then(|m| m.as_str())
                .map_or_else(
                    || String::from_utf8_lossy(&body).chars().take(500).collect(),
                    str::to_string,
                );
            return Err(CredentialError::ManagedIdentity {
                step: format!("{STEP} from {url}"),
                status,
                message,
            });
        }
        let ok: Success = serde_json::from_slice(&body)
            .map_err(|e| CredentialError::protocol(STEP, e.to_string()))?;
        let expires_on = number(&ok.expires_on)
            .or_else(|| number(&ok.expires_in).map(|s| now_unix() + s))
            .ok_or_else(|| CredentialError::protocol(STEP, "neither expires_on nor expires_in"))?;
        let step = Step {
            action: STEP.into(),
            target: url,
            detail: format!(
                "identity {}, resource {resource}",
                ok.client_id.as_deref().unwrap_or("system-assigned")
            ),
            elapsed_ms: crate::token::elapsed_ms(started),
        };
        Ok(TokenResult {
            token: AccessToken {
                token: ok.access_token,
                expires_on,
            },
            steps: vec![step],
        })
    }
}
