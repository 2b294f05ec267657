//! A client certificate whose private key is held locally (PEM or PFX).

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use skybridge_jose::{Alg, LocalSigner};

use crate::assertion::{AssertionProvider, ClientAssertionCredential, build_assertion_input};
use crate::token::{Step, TokenCredential, TokenResult};
use crate::{AuthorityClient, CredentialError};

struct LocalKey {
    signer: LocalSigner,
    x5t: String,
}

#[async_trait]
impl AssertionProvider for LocalKey {
    async fn assertion(
        &self,
        audience: &str,
        client_id: &str,
    ) -> Result<(String, Vec<Step>), CredentialError> {
        let started = std::time::Instant::now();
        let input = build_assertion_input(&self.x5t, audience, client_id);
        let signature = self
            .signer
            .sign_sync(input.as_bytes())
            .map_err(|e| CredentialError::Config(e.to_string()))?;
        let step = Step {
            action: "sign assertion".into(),
            target: "local key".into(),
            detail: format!("certificate x5t {}", self.x5t),
            elapsed_ms: crate::token::elapsed_ms(started),
        };
        Ok((
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)),
            vec![step],
        ))
    }
}

/// Authenticates an application with a certificate and its local private key.
pub struct ClientCertificateCredential(ClientAssertionCredential);

impl ClientCertificateCredential {
    /// From a certificate (DER) and its PKCS#8 RSA key.
    pub fn new(
        authority: AuthorityClient,
        tenant: &str,
        client_id: &str,
        cert_der: &[u8],
        key_pkcs8: &[u8],
    ) -> Result<Self, CredentialError> {
        let signer = LocalSigner::from_pkcs8(Alg::RS256, key_pkcs8)
            .map_err(|e| CredentialError::Config(format!("certificate key: {e}")))?;
        let provider = LocalKey {
            signer,
            x5t: skybridge_pki::thumbprint::x5t(cert_der),
        };
        Ok(Self(ClientAssertionCredential::new(
            authority,
            tenant,
            client_id,
            Arc::new(provider),
        )))
    }

    /// From a PFX (PKCS#12) file's bytes and its password, as Logic Apps' `pfx` + `password`.
    pub fn from_pfx(
        authority: AuthorityClient,
        tenant: &str,
        client_id: &str,
        pfx: &[u8],
        password: &str,
    ) -> Result<Self, CredentialError> {
        let parsed = skybridge_pki::pfx_import(pfx, password)
            .map_err(|e| CredentialError::Config(format!("pfx: {e}")))?;
        let key = parsed
            .key_pkcs8
            .ok_or_else(|| CredentialError::Config("the pfx holds no private key".into()))?;
        let cert = parsed
            .chain
            .first()
            .ok_or_else(|| CredentialError::Config("the pfx holds no certificate".into()))?;
        Self::new(authority, tenant, client_id, cert, &key)
    }
}

#[async_trait]
impl TokenCredential for ClientCertificateCredential {
    async fn get_token(&self, scope: &str) -> Result<TokenResult, CredentialError> {
        self.0.get_token(scope).await
    }
}
