//! The token endpoint of an Entra authority (Skybridge's or Azure's): one POST per
//! acquisition, `client_credentials` on the v2 endpoint, Entra's errors parsed.

use serde::Deserialize;

use crate::CredentialError;
use crate::token::{AccessToken, Step, elapsed_ms, now_unix};

/// Azure's public-cloud authority host.
pub const PUBLIC_CLOUD: &str = "https://login.microsoftonline.com";

/// Talks to `{authority_host}/{tenant}/oauth2/v2.0/token`.
#[derive(Clone, Debug)]
pub struct AuthorityClient {
    http: reqwest::Client,
    host: String,
}

#[derive(Deserialize)]
struct Success {
    access_token: String,
    expires_in: serde_json::Value,
}

#[derive(Deserialize, Default)]
struct Failure {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u64>,
}

impl AuthorityClient {
    /// A client for `authority_host` (e.g. [`PUBLIC_CLOUD`] or Skybridge's `authority`).
    pub fn new(http: reqwest::Client, authority_host: &str) -> Self {
        Self {
            http,
            host: authority_host.trim_end_matches('/').to_string(),
        }
    }

    /// The v2 token endpoint of `tenant`: also the audience of client assertions.
    pub fn token_endpoint(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.host)
    }

    /// Requests a `client_credentials` token with the given credential parameters.
    pub async fn client_credentials(
        &self,
        tenant: &str,
        client_id: &str,
        scope: &str,
        credential: &[(&str, &str)],
    ) -> Result<(AccessToken, Step), CredentialError> {
        const STEP: &str = "token request";
        let started = std::time::Instant::now();
        let url = self.token_endpoint(tenant);
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("scope", scope),
        ];
        form.extend_from_slice(credential);
        let response = self
            .http
            .post(&url)
            .form(&form)
            .send()
            .await
            .map_err(|e| CredentialError::transport(STEP, e))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| CredentialError::transport(STEP, e))?;
        if status != 200 {
            let f: Failure = serde_json::from_slice(&body).unwrap_or_default();
            // Keep the message, drop the trace/correlation lines.
            let description = f
                .error_description
                .split("\r\n")
                .next()
                .unwrap_or_default()
                .to_string();
            return Err(CredentialError::Authority {
                step: format!("{STEP} to {url}"),
                status,
                error: if f.error.is_empty() {
                    format!("HTTP {status}")
                } else {
                    f.error
                },
                code: f.error_codes.first().copied().unwrap_or(0),
                description,
            });
        }
        let ok: Success = serde_json::from_slice(&body)
            .map_err(|e| CredentialError::protocol(STEP, e.to_string()))?;
        // v1-style endpoints send numbers as strings.
        let expires_in = match &ok.expires_in {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| CredentialError::protocol(STEP, "expires_in is missing"))?;
        let step = Step {
            action: STEP.into(),
            target: url,
            detail: format!("tenant {tenant}, client {client_id}, scope {scope}"),
            elapsed_ms: elapsed_ms(started),
        };
        Ok((
            AccessToken {
                token: ok.access_token,
                expires_on: now_unix() + expires_in,
            },
            step,
        ))
    }
}
