//! The vault over HTTP, in process: real tokens signed by a test authority key, a SQLite store,
//! the axum router for one vault host.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod caching;
mod certificates;
mod issuers;
mod keys;
mod pending;
mod secrets;
mod throttling;

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{Value, json};
use skybridge_jose::{Alg, FixedClock, Header, Jwk, JwkSet, LocalSigner, encode_sync};
use skybridge_store::{RootKey, SqliteStore};
use skybridge_vault::service::VaultSpec;
use skybridge_vault::{AuthConfig, KeySource, TokenValidator, VaultService, VaultUrls, rbac};
use tower::ServiceExt;
use uuid::Uuid;

pub const AUTHORITY: &str = "https://login.test:8443";
pub const STS: &str = "https://sts.test:8443";
pub const RESOURCE: &str = "https://vault.test:8443";
pub const BASE: &str = "https://kv1.vault.test:8443";
pub const NOW: i64 = 1_800_000_000;

/// Principals of the fixture vault.
pub struct People {
    pub admin: Uuid,
    pub crypto_user_k1: Uuid,
    pub secrets_user: Uuid,
    pub nobody: Uuid,
}

pub struct TenantKeys {
    signer: LocalSigner,
    jwks: Arc<JwkSet>,
}

impl TenantKeys {
    fn new(kid: &str) -> Self {
        let (signer, _) = LocalSigner::generate(Alg::RS256, 2048).unwrap();
        let jwk = Jwk {
            kid: Some(kid.into()),
            ..signer.public_jwk()
        };
        Self {
            signer,
            jwks: Arc::new(JwkSet { keys: vec![jwk] }),
        }
    }
}

/// The tenant's published keys; tests may publish others (a rotation).
struct Keys(Uuid, Arc<std::sync::RwLock<Arc<JwkSet>>>);

#[async_trait]
impl KeySource for Keys {
    async fn signing_keys(&self, tenant_id: Uuid) -> Result<Arc<JwkSet>, String> {
        if tenant_id == self.0 {
            Ok(self.1.read().unwrap().clone())
        } else {
            Ok(Arc::new(JwkSet::default()))
        }
    }
}

pub struct Fixture {
    pub router: Router,
    pub service: Arc<VaultService>,
    pub clock: Arc<FixedClock>,
    pub tenant: Uuid,
    pub people: People,
    keys: Arc<TenantKeys>,
    pub other_keys: Arc<TenantKeys>,
    published: Arc<std::sync::RwLock<Arc<JwkSet>>>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_store(
            Arc::new(SqliteStore::open_in_memory().await.unwrap()),
            false,
        )
        .await
    }

    pub async fn with_store(store: Arc<SqliteStore>, purge_protection: bool) -> Self {
        let tenant = Uuid::new_v4();
        let keys = Arc::new(TenantKeys::new("k-home"));
        let clock = Arc::new(FixedClock::new(NOW));
        let published = Arc::new(std::sync::RwLock::new(keys.jwks.clone()));
        let validator = TokenValidator::new(
            AuthConfig {
                authority_url: AUTHORITY.into(),
                v1_issuer_url: STS.into(),
                resource: RESOURCE.into(),
                leeway: 300,
            },
            Arc::new(Keys(tenant, published.clone())),
        );
        let service = Arc::new(VaultService::new(
            store,
            Arc::new(RootKey::from_bytes(&[5; 32]).unwrap()),
            clock.clone(),
            VaultUrls {
                host_suffix: "vault.test".into(),
                port: 8443,
            },
            validator,
        ));
        let people = People {
            admin: Uuid::new_v4(),
            crypto_user_k1: Uuid::new_v4(),
            secrets_user: Uuid::new_v4(),
            nobody: Uuid::new_v4(),
        };
        let role = |n: &str| rbac::role(n).unwrap().id;
        service
            .ensure_vault(&VaultSpec {
                name: "kv1".into(),
                tenant_id: tenant,
                retention_days: 90,
                purge_protection,
                role_assignments: vec![
                    (people.admin, role("Key Vault Administrator"), String::new()),
                    (
                        people.crypto_user_k1,
                        role("Key Vault Crypto User"),
                        "keys/k1".into(),
                    ),
                    (
                        people.secrets_user,
                        role("Key Vault Secrets User"),
                        String::new(),
                    ),
                ],
                keys: vec![],
                secrets: vec![],
                certificates: vec![],
                throttling: None,
            })
            .await
            .unwrap();
        let router = skybridge_vault::http::router(service.clone(), "kv1");
        Self {
            router,
            service,
            clock,
            tenant,
            people,
            keys,
            other_keys: Arc::new(TenantKeys::new("k-home")),
            published,
        }
    }

    /// Publishes `jwks` as the tenant's signing keys (a key rotation, as the authority does).
    pub fn publish(&self, jwks: JwkSet) {
        *self.published.write().unwrap() = Arc::new(jwks);
    }

    /// The tenant's original signing keys.
    pub fn home_keys(&self) -> JwkSet {
        self.keys.jwks.as_ref().clone()
    }

    /// The keys of `other_keys` (same `kid`, another key).
    pub fn other_jwks(&self) -> JwkSet {
        self.other_keys.jwks.as_ref().clone()
    }

    /// A v1 token for the vault resource, as the authority issues it.
    pub fn token(&self, oid: Uuid) -> String {
        self.token_with(oid, json!({}))
    }

    pub fn token_with(&self, oid: Uuid, overrides: Value) -> String {
        self.sign_token(&self.keys, oid, overrides)
    }

    pub fn sign_token(&self, keys: &TenantKeys, oid: Uuid, overrides: Value) -> String {
        let now = skybridge_jose::Clock::now_unix(self.clock.as_ref());
        let mut claims = json!({
            "aud": RESOURCE,
            "iss": format!("{STS}/{}/", self.tenant),
            "iat": now - 300, "nbf": now - 300, "exp": now + 3600,
            "appid": "11111111-1111-1111-1111-111111111111",
            "oid": oid.to_string(), "sub": oid.to_string(),
            "tid": self.tenant.to_string(), "ver": "1.0",
        });
        for (k, v) in overrides.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        let mut header = Header::new(Alg::RS256);
        header.typ = Some("JWT".into());
        header.kid = Some("k-home".into());
        encode_sync(&header, &claims, &keys.signer).unwrap()
    }

    pub async fn raw(&self, method: &str, uri: &str, token: Option<&str>, body: &str) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "kv1.vault.test:8443");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A call as `who` with api-version 2025-07-01.
    pub async fn call(&self, who: Uuid, method: &str, path: &str, body: Value) -> Reply {
        let sep = if path.contains('?') { '&' } else { '?' };
        let uri = format!("{path}{sep}api-version=2025-07-01");
        let text = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        self.raw(method, &uri, Some(&self.token(who)), &text).await
    }

    /// A call as the administrator that must succeed.
    pub async fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let r = self.call(self.people.admin, method, path, body).await;
        assert!(
            r.status.is_success(),
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
        r.body
    }
}

/// Asserts Key Vault's error envelope.
pub fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(r.body["error"]["code"], code, "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(r.headers.contains_key("x-ms-request-id"));
}

pub fn b64url(data: &[u8]) -> String {
    skybridge_jose::b64::url_encode(data)
}

pub fn unb64url(data: &Value) -> Vec<u8> {
    skybridge_jose::b64::url_decode_lenient(data.as_str().unwrap()).unwrap()
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}
