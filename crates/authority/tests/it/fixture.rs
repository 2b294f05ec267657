//! A directory with tenants `home` and `partner`, a v2 API, a v1 API and a client with a secret
//! and a certificate, served by the authority router over an in-memory store and a fixed clock.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{Map, Value};
use skybridge_authority::{AppRoleSpec, ApplicationSpec, Authority, AuthorityConfig, TenantSpec};
use skybridge_jose::{Alg, FixedClock, Header, JwkSet, LocalSigner};
use skybridge_pki::{CertifiedKey, KeyKind, SubjectSpec};
use skybridge_store::{RootKey, SqliteStore, TenantRecord};
use tower::ServiceExt;

pub const NOW: i64 = 1_800_000_000;
pub const SECRET: &str = "client-secret-value-0123456789";
pub const AUTHORITY: &str = "https://login.test:8443";

pub struct Fixture {
    pub authority: Arc<Authority>,
    pub router: axum::Router,
    pub home: TenantRecord,
    pub partner: TenantRecord,
    pub client_id: String,
    pub client_sp: String,
    pub api_id: String,
    pub cert: CertifiedKey,
    pub other_cert: CertifiedKey,
}

pub fn cert(cn: &str) -> CertifiedKey {
    let key = skybridge_pki::generate_key(KeyKind::Rsa2048).unwrap();
    let spec = SubjectSpec {
        common_name: cn.into(),
        dns_names: vec![],
        not_before: NOW - 86_400,
        not_after: NOW + 86_400 * 30,
    };
    skybridge_pki::self_signed(&spec, &key).unwrap()
}

fn role(value: &str) -> AppRoleSpec {
    AppRoleSpec {
        value: value.into(),
        ..Default::default()
    }
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_issuers(
        issuers: Arc<dyn skybridge_authority::federation::ExternalIssuerKeys>,
    ) -> Self {
        Self::build(|_| {}, Some(issuers)).await
    }

    pub async fn with_config(tweak: impl FnOnce(&mut AuthorityConfig)) -> Self {
        Self::build(tweak, None).await
    }

    async fn build(
        tweak: impl FnOnce(&mut AuthorityConfig),
        issuers: Option<Arc<dyn skybridge_authority::federation::ExternalIssuerKeys>>,
    ) -> Self {
        let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
        let clock = Arc::new(FixedClock::new(NOW));
        let mut config = AuthorityConfig::new(AUTHORITY, "https://sts.test:8443");
        config.local_vault_resource = Some("https://vault.test:8443".into());
        tweak(&mut config);
        let root = Arc::new(RootKey::from_bytes(&[42; 32]).unwrap());
        let mut authority = Authority::new(store, root, clock, config);
        if let Some(issuers) = issuers {
            authority = authority.with_external_issuers(issuers);
        }
        let authority = Arc::new(authority);
        let home = authority
            .ensure_tenant(&TenantSpec {
                name: "home".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let partner = authority
            .ensure_tenant(&TenantSpec {
                name: "partner".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let app = |name: &str, uri: &str, version: u8, roles: Vec<AppRoleSpec>| ApplicationSpec {
            tenant_id: partner.id,
            name: name.into(),
            app_id: None,
            identifier_uris: if uri.is_empty() {
                vec![]
            } else {
                vec![uri.into()]
            },
            app_roles: roles,
            access_token_accepted_version: version,
            multi_tenant: false,
            app_role_assignment_required: false,
        };
        let api = authority
            .ensure_application(&app(
                "orders-api",
                "api://orders",
                2,
                vec![role("Orders.Read"), role("Orders.Write")],
            ))
            .await
            .unwrap();
        let legacy = authority
            .ensure_application(&app(
                "legacy-api",
                "api://legacy",
                1,
                vec![role("Legacy.Read")],
            ))
            .await
            .unwrap();
        let mut strict = app("strict-api", "api://strict", 2, vec![role("Strict.Read")]);
        strict.app_role_assignment_required = true;
        authority.ensure_application(&strict).await.unwrap();
        let client = authority
            .ensure_application(&app("client-app", "", 2, vec![]))
            .await
            .unwrap();
        authority
            .ensure_client_secret(client.app_id, "ci", SECRET, None)
            .await
            .unwrap();
        let cert = cert("client-app");
        authority
            .ensure_certificate_credential(client.app_id, "cert", &cert.cert_der)
            .await
            .unwrap();
        authority
            .ensure_app_role_assignment(partner.id, &client, &api, "Orders.Read")
            .await
            .unwrap();
        authority
            .ensure_app_role_assignment(partner.id, &client, &legacy, "Legacy.Read")
            .await
            .unwrap();
        let client_sp = authority
            .store()
            .service_principal(partner.id, client.app_id)
            .await
            .unwrap()
            .unwrap();
        let router = skybridge_authority::http::router(authority.clone());
        Self {
            authority,
            router,
            home,
            partner,
            client_id: client.app_id.to_string(),
            client_sp: client_sp.id.to_string(),
            api_id: api.app_id.to_string(),
            cert,
            other_cert: self::cert("stranger"),
        }
    }

    pub async fn call(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, headers, json)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, _, v) = self
            .call(Request::get(path).body(Body::empty()).unwrap())
            .await;
        (s, v)
    }

    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let req = Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let (s, _, v) = self.call(req).await;
        (s, v)
    }

    pub fn token_path(&self) -> String {
        format!("/{}/oauth2/v2.0/token", self.partner.id)
    }

    pub fn token_endpoint(&self) -> String {
        format!("{AUTHORITY}{}", self.token_path())
    }

    pub async fn secret_token(&self) -> (StatusCode, Value) {
        let path = self.token_path();
        self.post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &self.client_id),
                ("scope", "api://orders/.default"),
                ("client_secret", SECRET),
            ],
        )
        .await
    }

    /// Signs an assertion with the fixture's client certificate.
    pub fn assertion(
        &self,
        alg: Alg,
        header: impl FnOnce(&mut Header),
        claims: impl FnOnce(&mut Map<String, Value>),
    ) -> String {
        self.assertion_with(&self.cert, alg, header, claims)
    }

    pub fn assertion_with(
        &self,
        cert: &CertifiedKey,
        alg: Alg,
        header: impl FnOnce(&mut Header),
        claims: impl FnOnce(&mut Map<String, Value>),
    ) -> String {
        let signer = LocalSigner::from_pkcs8(alg, &cert.key_pkcs8).unwrap();
        let mut h = Header::new(alg);
        h.typ = Some("JWT".into());
        h.x5t = Some(skybridge_pki::thumbprint::x5t(&cert.cert_der));
        header(&mut h);
        let mut c = Map::new();
        c.insert("aud".into(), self.token_endpoint().into());
        c.insert("iss".into(), self.client_id.clone().into());
        c.insert("sub".into(), self.client_id.clone().into());
        c.insert("jti".into(), "6a0b7e1d-0b5f-4b8e-9d62-3f5b0c9d1e11".into());
        c.insert("nbf".into(), (NOW - 10).into());
        c.insert("exp".into(), (NOW + 600).into());
        claims(&mut c);
        skybridge_jose::encode_sync(&h, &c, &signer).unwrap()
    }

    pub async fn assertion_token(&self, assertion: &str) -> (StatusCode, Value) {
        let path = self.token_path();
        self.post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &self.client_id),
                ("scope", "api://orders/.default"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion),
            ],
        )
        .await
    }

    pub async fn jwks(&self, path: &str) -> JwkSet {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK);
        serde_json::from_value(body).unwrap()
    }

    /// Verifies an access token against the tenant's published v2 keys; returns its claims.
    pub async fn verify(&self, token: &str) -> Map<String, Value> {
        let set = self
            .jwks(&format!("/{}/discovery/v2.0/keys", self.partner.id))
            .await;
        let jws = skybridge_jose::decode_unverified(token).unwrap();
        let kid = jws.header.kid.clone().unwrap();
        let key = set
            .find(&kid)
            .expect("kid published")
            .verifying_key()
            .unwrap();
        assert_eq!(jws.verify_with(&key).unwrap(), Alg::RS256);
        jws.claims
    }
}

pub fn keys_of(map: &Map<String, Value>) -> Vec<&str> {
    let mut k: Vec<&str> = map.keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

pub fn object_keys(v: &Value) -> Vec<&str> {
    keys_of(v.as_object().unwrap())
}
