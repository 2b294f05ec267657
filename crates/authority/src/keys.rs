//! Each tenant's token-signing keys: RSA-2048 with a self-signed certificate, `kid` = `x5t` =
//! the certificate's SHA-1 thumbprint, as Entra publishes them (research/identity.md §1.2).
//! Three keys rotate: *previous* (still published so older tokens verify), *current* (signs)
//! and *next* (published ahead so validators already hold it when it starts signing).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use skybridge_jose::{Alg, Jwk, JwkSet, LocalSigner};
use skybridge_store::{RootKey, SigningKeyRecord, SigningKeyStatus};
use uuid::Uuid;

use crate::{AuthorityConfig, AuthorityError, EndpointVersion};

/// Signing certificates are long-lived; rotation is explicit (`skybridge authority rotate-keys`).
const SIGNING_CERT_DAYS: i64 = 5 * 365;

fn aad(tenant_id: Uuid, kid: &str) -> String {
    format!("signing-key/{tenant_id}/{kid}")
}

/// Makes a new signing key record with its private key sealed under the root key.
pub(crate) fn new_signing_key(
    root_key: &RootKey,
    tenant_id: Uuid,
    status: SigningKeyStatus,
    now: i64,
) -> Result<SigningKeyRecord, AuthorityError> {
    let key_pkcs8 = skybridge_pki::generate_key(skybridge_pki::KeyKind::Rsa2048)
        .map_err(|e| AuthorityError::Internal(e.to_string()))?;
    let spec = skybridge_pki::SubjectSpec {
        common_name: format!("Skybridge token signing {tenant_id}"),
        dns_names: vec![],
        not_before: now - 3600,
        not_after: now + SIGNING_CERT_DAYS * 86_400,
    };
    let cert = skybridge_pki::self_signed(&spec, &key_pkcs8)
        .map_err(|e| AuthorityError::Internal(e.to_string()))?;
    let kid = skybridge_pki::thumbprint::x5t(&cert.cert_der);
    Ok(SigningKeyRecord {
        tenant_id,
        sealed_private_key: root_key.seal(&aad(tenant_id, &kid), &key_pkcs8)?,
        kid,
        status,
        cert_der: cert.cert_der,
        created_at: now,
    })
}

/// The keys of one tenant, unsealed and ready to sign and publish.
pub(crate) struct TenantKeys {
    /// Signs new tokens.
    pub signer: LocalSigner,
    /// The current key's `kid` (= `x5t`).
    pub kid: String,
    /// The JWKS for the v2 keys endpoint (keys carry the v2 `issuer`).
    pub jwks_v2: Arc<JwkSet>,
    /// The JWKS for the v1 keys endpoint.
    pub jwks_v1: Arc<JwkSet>,
    loaded_at: i64,
}

impl TenantKeys {
    /// The published key set of an endpoint version.
    pub(crate) fn jwks(&self, version: EndpointVersion) -> Arc<JwkSet> {
        match version {
            EndpointVersion::V2 => self.jwks_v2.clone(),
            EndpointVersion::V1 => self.jwks_v1.clone(),
        }
    }

    pub(crate) fn load(
        root_key: &RootKey,
        config: &AuthorityConfig,
        tenant_id: Uuid,
        records: &[SigningKeyRecord],
        now: i64,
    ) -> Result<Self, AuthorityError> {
        let current = records
            .iter()
            .find(|r| r.status == SigningKeyStatus::Current)
            .ok_or_else(|| {
                AuthorityError::Internal(format!("tenant {tenant_id} has no current signing key"))
            })?;
        let pkcs8 = root_key.open(&aad(tenant_id, &current.kid), &current.sealed_private_key)?;
        let signer = LocalSigner::from_pkcs8(Alg::RS256, &pkcs8)?;
        let mut v1 = Vec::new();
        let mut v2 = Vec::new();
        // Published order: current first, then next, then previous.
        let rank = |s: SigningKeyStatus| match s {
            SigningKeyStatus::Current => 0,
            SigningKeyStatus::Next => 1,
            SigningKeyStatus::Previous => 2,
        };
        let mut ordered: Vec<&SigningKeyRecord> = records.iter().collect();
        ordered.sort_by_key(|r| rank(r.status));
        for record in ordered {
            let jwk = public_jwk(root_key, record)?;
            v1.push(jwk.clone());
            let mut with_issuer = jwk;
            with_issuer.extra.insert(
                "issuer".into(),
                serde_json::Value::String(config.v2_issuer(&tenant_id)),
            );
            v2.push(with_issuer);
        }
        Ok(Self {
            signer,
            kid: current.kid.clone(),
            jwks_v2: Arc::new(JwkSet { keys: v2 }),
            jwks_v1: Arc::new(JwkSet { keys: v1 }),
            loaded_at: now,
        })
    }
}

/// The JWK Entra publishes for a signing certificate: `kty`, `use`, `kid`, `x5t`, `n`, `e`, `x5c`.
fn public_jwk(root_key: &RootKey, record: &SigningKeyRecord) -> Result<Jwk, AuthorityError> {
    let pkcs8 = root_key.open(
        &aad(record.tenant_id, &record.kid),
        &record.sealed_private_key,
    )?;
    let mut jwk = LocalSigner::from_pkcs8(Alg::RS256, &pkcs8)?.public_jwk();
    jwk.use_ = Some("sig".into());
    jwk.kid = Some(record.kid.clone());
    jwk.x5t = Some(record.kid.clone());
    jwk.x5c = Some(vec![STANDARD.encode(&record.cert_der)]);
    jwk.extra.insert(
        "cloud_instance_name".into(),
        serde_json::Value::String("skybridge".into()),
    );
    Ok(jwk)
}

/// Unsealed keys per tenant, re-read after `ttl` seconds or when invalidated.
#[derive(Default)]
pub(crate) struct KeyCache {
    tenants: RwLock<HashMap<Uuid, Arc<TenantKeys>>>,
}

impl KeyCache {
    pub(crate) fn get(&self, tenant_id: Uuid, now: i64, ttl: i64) -> Option<Arc<TenantKeys>> {
        let map = self.tenants.read().unwrap_or_else(|p| p.into_inner());
        map.get(&tenant_id)
            .filter(|k| now - k.loaded_at < ttl)
            .cloned()
    }

    pub(crate) fn put(&self, tenant_id: Uuid, keys: Arc<TenantKeys>) {
        let mut map = self.tenants.write().unwrap_or_else(|p| p.into_inner());
        map.insert(tenant_id, keys);
    }

    pub(crate) fn invalidate(&self, tenant_id: Uuid) {
        let mut map = self.tenants.write().unwrap_or_else(|p| p.into_inner());
        map.remove(&tenant_id);
    }
}
