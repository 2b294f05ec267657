//! The seed design's assertion: the certificate and its private key live in Key Vault; the
//! credential reads the certificate's `x5t` and key id, builds the assertion, hashes it with
//! SHA-256 and asks the vault to sign the digest (`POST {kid}/sign`, RS256). The private key
//! never leaves the vault. The vault's own resource is learnt from its 401 challenge, as the
//! Key Vault SDKs do, so the same code works against `vault.azure.net` and Skybridge.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::CredentialError;
use crate::assertion::{AssertionProvider, build_assertion_input};
use crate::token::{Step, TokenCredential};

const API_VERSION: &str = "7.5";

/// Signs assertions with a Key Vault certificate's key.
pub struct VaultSignedAssertion {
    http: reqwest::Client,
    vault_url: String,
    certificate: String,
    credential: Arc<dyn TokenCredential>,
    scope: Mutex<Option<String>>,
}

#[derive(Deserialize)]
struct CertificateBundle {
    kid: String,
    x5t: String,
}

#[derive(Deserialize)]
struct KeyOperationResult {
    value: String,
}

#[derive(Deserialize, Default)]
struct VaultErrorBody {
    error: VaultError,
}

#[derive(Deserialize, Default)]
struct VaultError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// `Bearer authorization="…", resource="https://vault.azure.net"` → the resource.
fn challenge_resource(header: &str) -> Option<String> {
    let rest = header.trim().strip_prefix("Bearer")?;
    rest.split(',').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k.trim() == "resource" || k.trim() == "scope")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

impl VaultSignedAssertion {
    /// Uses certificate `certificate` of the vault at `vault_url`, reached with `credential`
    /// (the workflow's managed identity).
    pub fn new(
        http: reqwest::Client,
        vault_url: &str,
        certificate: &str,
        credential: Arc<dyn TokenCredential>,
    ) -> Self {
        Self {
            http,
            vault_url: vault_url.trim_end_matches('/').to_string(),
            certificate: certificate.into(),
            credential,
            scope: Mutex::new(None),
        }
    }

    async fn vault_error(step: &str, response: reqwest::Response) -> CredentialError {
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default();
        let e: VaultErrorBody = serde_json::from_slice(&body).unwrap_or_default();
        CredentialError::Vault {
            step: step.into(),
            status,
            code: e.error.code,
            message: e.error.message,
        }
    }

    /// The vault's scope, from its challenge the first time.
    async fn scope(&self) -> Result<String, CredentialError> {
        const STEP: &str = "vault challenge";
        let mut scope = self.scope.lock().await;
        if let Some(s) = scope.as_ref() {
            return Ok(s.clone());
        }
        let url = format!(
            "{}/certificates/{}?api-version={API_VERSION}",
            self.vault_url, self.certificate
        );
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| CredentialError::transport(STEP, e))?;
        let resource = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .and_then(challenge_resource)
            .ok_or_else(|| {
                CredentialError::protocol(STEP, format!("{url} sent no Bearer challenge"))
            })?;
        let s = if resource.ends_with("/.default") {
            resource
        } else {
            format!("{}/.default", resource.trim_end_matches('/'))
        };
        *scope = Some(s.clone());
        Ok(s)
    }
}

#[async_trait]
impl AssertionProvider for VaultSignedAssertion {
    async fn assertion(
        &self,
        audience: &str,
        client_id: &str,
    ) -> Result<(String, Vec<Step>), CredentialError> {
        let scope = self.scope().await?;
        let vault_token = self.credential.get_token(&scope).await?;
        let mut steps = vault_token.steps;
        let bearer = format!("Bearer {}", vault_token.token.token);

        const READ: &str = "read vault certificate";
        let started = std::time::Instant::now();
        let url = format!(
            "{}/certificates/{}?api-version={API_VERSION}",
            self.vault_url, self.certificate
        );
        let response = self
            .http
            .get(&url)
            .header("Authorization", &bearer)
            .send()
            .await
            .map_err(|e| CredentialError::transport(READ, e))?;
        if !response.status().is_success() {
            return Err(Self::vault_error(READ, response).await);
        }
        let bundle: CertificateBundle = response
            .json()
            .await
            .map_err(|e| CredentialError::protocol(READ, e.to_string()))?;
        steps.push(Step {
            action: READ.into(),
            target: url,
            detail: format!("x5t {}, key {}", bundle.x5t, bundle.kid),
            elapsed_ms: crate::token::elapsed_ms(started),
        });

        const SIGN: &str = "vault sign";
        let started = std::time::Instant::now();
        let input = build_assertion_input(&bundle.x5t, audience, client_id);
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, input.as_bytes());
        let sign_url = format!("{}/sign?api-version={API_VERSION}", bundle.kid);
        let body =
            serde_json::json!({"alg": "RS256", "value": URL_SAFE_NO_PAD.encode(digest.as_ref())});
        let response = self
            .http
            .post(&sign_url)
            .header("Authorization", &bearer)
            .json(&body)
            .send()
            .await
            .map_err(|e| CredentialError::transport(SIGN, e))?;
        if !response.status().is_success() {
            return Err(Self::vault_error(SIGN, response).await);
        }
        let signed: KeyOperationResult = response
            .json()
            .await
            .map_err(|e| CredentialError::protocol(SIGN, e.to_string()))?;
        steps.push(Step {
            action: SIGN.into(),
            target: bundle.kid.clone(),
            detail: format!("RS256 over the SHA-256 digest of the assertion for {audience}"),
            elapsed_ms: crate::token::elapsed_ms(started),
        });
        Ok((
            format!("{input}.{}", signed.value.trim_end_matches('=')),
            steps,
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn challenges() {
        let h = r#"Bearer authorization="https://login.x/tid", resource="https://vault.x:8443""#;
        assert_eq!(
            super::challenge_resource(h).as_deref(),
            Some("https://vault.x:8443")
        );
        assert_eq!(super::challenge_resource("Basic realm=x"), None);
    }
}
