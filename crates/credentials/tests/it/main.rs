//! The credentials against a real authority, managed-identity endpoint and Key Vault (a
//! stand-in, and the real vault over HTTPS in `real_vault`) served on loopback, with an
//! injected clock for the cache.
#![allow(clippy::unwrap_used)]

mod real_vault;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use skybridge_authority::{AppRoleSpec, ApplicationSpec, Authority, AuthorityConfig, TenantSpec};
use skybridge_credentials::*;
use skybridge_jose::{Alg, Clock, FixedClock, LocalSigner, SystemClock};
use skybridge_pki::{KeyKind, SubjectSpec};
use skybridge_store::{RootKey, SqliteStore};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

struct World {
    authority: Arc<Authority>,
    url: String,
    partner: String,
    client_id: String,
    cert: skybridge_pki::CertifiedKey,
    store: Arc<SqliteStore>,
    root: Arc<RootKey>,
    home: uuid::Uuid,
}

const SECRET: &str = "a-client-secret-of-some-length";

async fn world() -> World {
    world_with(None).await
}

/// The authority's world; `local_vault_resource` names a local Key Vault resource the
/// authority issues tokens for.
async fn world_with(local_vault_resource: Option<String>) -> World {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
    let root = Arc::new(RootKey::from_bytes(&[5; 32]).unwrap());
    let mut config = AuthorityConfig::new(url.clone(), url.clone());
    config.local_vault_resource = local_vault_resource;
    let authority = Arc::new(Authority::new(
        store.clone(),
        root.clone(),
        Arc::new(SystemClock),
        config,
    ));
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
    let app = |name: &str, uris: Vec<String>, roles: Vec<AppRoleSpec>| ApplicationSpec {
        tenant_id: partner.id,
        name: name.into(),
        app_id: None,
        identifier_uris: uris,
        app_roles: roles,
        access_token_accepted_version: 2,
        multi_tenant: false,
        app_role_assignment_required: false,
    };
    let api = authority
        .ensure_application(&app(
            "orders-api",
            vec!["api://orders".into()],
            vec![AppRoleSpec {
                value: "Orders.Read".into(),
                ..Default::default()
            }],
        ))
        .await
        .unwrap();
    let client = authority
        .ensure_application(&app("client", vec![], vec![]))
        .await
        .unwrap();
    authority
        .ensure_client_secret(client.app_id, "s", SECRET, None)
        .await
        .unwrap();
    let key = skybridge_pki::generate_key(KeyKind::Rsa2048).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let cert = skybridge_pki::self_signed(
        &SubjectSpec {
            common_name: "c".into(),
            dns_names: vec![],
            not_before: now - 60,
            not_after: now + 3600,
        },
        &key,
    )
    .unwrap();
    authority
        .ensure_certificate_credential(client.app_id, "c", &cert.cert_der)
        .await
        .unwrap();
    authority
        .ensure_app_role_assignment(partner.id, &client, &api, "Orders.Read")
        .await
        .unwrap();
    let router = skybridge_authority::http::router(authority.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    World {
        authority,
        url,
        partner: partner.id.to_string(),
        client_id: client.app_id.to_string(),
        cert,
        store,
        root,
        home: home.id,
    }
}

fn roles(token: &AccessToken) -> serde_json::Value {
    skybridge_jose::decode_unverified(&token.token)
        .unwrap()
        .claims["roles"]
        .clone()
}

#[tokio::test]
async fn secret_and_certificate() {
    let w = world().await;
    let authority = AuthorityClient::new(http(), &w.url);
    let secret = ClientSecretCredential::new(authority.clone(), &w.partner, &w.client_id, SECRET);
    let r = secret.get_token("api://orders/.default").await.unwrap();
    assert_eq!(roles(&r.token), serde_json::json!(["Orders.Read"]));
    assert_eq!(r.steps[0].action, "token request");
    assert!(
        !format!("{:?} {:?}", r.token, r.steps).contains(&r.token.token),
        "no token in Debug or steps"
    );

    let cert = ClientCertificateCredential::new(
        authority.clone(),
        &w.partner,
        &w.client_id,
        &w.cert.cert_der,
        &w.cert.key_pkcs8,
    )
    .unwrap();
    let r = cert.get_token("api://orders/.default").await.unwrap();
    assert_eq!(roles(&r.token), serde_json::json!(["Orders.Read"]));

    let pfx = skybridge_pki::pfx_export(
        &w.cert.key_pkcs8,
        std::slice::from_ref(&w.cert.cert_der),
        "pw",
        "c",
    )
    .unwrap();
    let from_pfx = ClientCertificateCredential::from_pfx(
        authority.clone(),
        &w.partner,
        &w.client_id,
        &pfx,
        "pw",
    )
    .unwrap();
    from_pfx.get_token("api://orders/.default").await.unwrap();
    assert!(
        ClientCertificateCredential::from_pfx(
            authority.clone(),
            &w.partner,
            &w.client_id,
            &pfx,
            "wrong"
        )
        .is_err()
    );

    let wrong =
        ClientSecretCredential::new(authority, &w.partner, &w.client_id, "not-the-secret-at-all");
    match wrong.get_token("api://orders/.default").await.unwrap_err() {
        CredentialError::Authority {
            status,
            code,
            error,
            ..
        } => assert_eq!(
            (status, code, error.as_str()),
            (401, 7000215, "invalid_client")
        ),
        e => panic!("{e}"),
    }
}

#[tokio::test]
async fn managed_identity_then_federation() {
    let w = world().await;
    let uami = skybridge_identity::ensure_user_identity(
        &*w.store,
        &w.authority,
        &skybridge_identity::IdentitySpec {
            tenant_id: w.home,
            name: "uami".into(),
            client_id: None,
            principal_id: None,
            subscription_id: w.home,
            resource_group: "rg".into(),
        },
    )
    .await
    .unwrap();
    skybridge_identity::ensure_resource(
        &*w.store,
        &w.authority,
        &w.root,
        &skybridge_identity::ResourceSpec {
            tenant_id: w.home,
            name: "wf".into(),
            kind: "workflow".into(),
            system_assigned: true,
            user_identities: vec![uami.client_id],
            subscription_id: w.home,
            resource_group: "rg".into(),
        },
    )
    .await
    .unwrap();
    let registry = skybridge_identity::load_registry(&*w.store, &w.root)
        .await
        .unwrap();
    let header = registry.resource("wf").unwrap().identity_header.clone();
    let service = Arc::new(skybridge_identity::ManagedIdentityService::new(
        w.authority.clone(),
        registry,
        Arc::new(SystemClock),
    ));
    let base = serve(skybridge_identity::http::router(
        service,
        skybridge_identity::http::ImdsBinding::Resource("wf".into()),
    ))
    .await;

    let app_service = ManagedIdentitySource::AppService {
        endpoint: format!("{base}/msi/token"),
        header,
    };
    let system = ManagedIdentityCredential::new(http(), app_service.clone(), None);
    let r = system
        .get_token("https://vault.azure.net/.default")
        .await
        .unwrap();
    assert_eq!(
        skybridge_jose::decode_unverified(&r.token.token)
            .unwrap()
            .claims["aud"],
        "https://vault.azure.net"
    );
    assert!(
        !format!("{system:?}").contains("header"),
        "the identity header stays out of Debug"
    );
    let imds = ManagedIdentityCredential::new(
        http(),
        ManagedIdentitySource::Imds { base },
        Some(UserAssigned::ClientId(uami.client_id.to_string())),
    );
    let r = imds
        .get_token("api://AzureADTokenExchange/.default")
        .await
        .unwrap();
    assert!(r.steps[0].detail.contains(&uami.client_id.to_string()));
    let err = system.get_token("api://orders/.default").await.unwrap_err();
    assert!(
        matches!(&err, CredentialError::ManagedIdentity { status: 400, message, .. } if message.contains("AADSTS500011")),
        "{err}"
    );

    // Federation: the identity's token buys a partner token for a trusting app.
    let partner: uuid::Uuid = w.partner.parse().unwrap();
    let fic_app = w
        .authority
        .store()
        .application_by_name(partner, "client")
        .await
        .unwrap()
        .unwrap();
    w.authority
        .ensure_federated_credential(
            fic_app.app_id,
            "uami",
            &w.authority.config().v2_issuer(&w.home),
            &uami.principal_id.to_string(),
            &["api://AzureADTokenExchange".into()],
        )
        .await
        .unwrap();
    let source: Arc<dyn TokenCredential> = Arc::new(ManagedIdentityCredential::new(
        http(),
        app_service,
        Some(UserAssigned::ClientId(uami.client_id.to_string())),
    ));
    let federated = ClientAssertionCredential::new(
        AuthorityClient::new(http(), &w.url),
        &w.partner,
        &w.client_id,
        Arc::new(FederatedAssertion::new(source)),
    );
    let r = federated.get_token("api://orders/.default").await.unwrap();
    assert_eq!(roles(&r.token), serde_json::json!(["Orders.Read"]));
    assert_eq!(
        r.steps
            .iter()
            .map(|s| s.action.as_str())
            .collect::<Vec<_>>(),
        ["managed identity token", "token request"]
    );
}

/// A Key Vault stand-in: the challenge, a certificate bundle and `sign` over a caller's digest.
fn fake_vault(signer: Arc<LocalSigner>, x5t: String, base: String) -> Router {
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, post};
    let challenge = |headers: &HeaderMap| headers.get("authorization").is_none();
    let kid = format!("{base}/keys/partner-client/v1");
    Router::new()
        .route("/certificates/partner-client", get(move |headers: HeaderMap| {
            let (kid, x5t) = (kid.clone(), x5t.clone());
            async move {
                if challenge(&headers) {
                    return (StatusCode::UNAUTHORIZED, [("www-authenticate", "Bearer authorization=\"https://login.test/t\", resource=\"https://vault.azure.net\"")], String::new());
                }
                (StatusCode::OK, [("content-type", "application/json")], serde_json::json!({"kid": kid, "x5t": x5t}).to_string())
            }
        }))
        .route("/keys/partner-client/v1/sign", post(move |headers: HeaderMap, body: String| {
            let signer = signer.clone();
            async move {
                if challenge(&headers) {
                    return (StatusCode::UNAUTHORIZED, String::new());
                }
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                let digest = skybridge_jose::b64::url_decode_lenient(v["value"].as_str().unwrap()).unwrap();
                let signature = signer.sign_digest(&digest).unwrap();
                (StatusCode::OK, serde_json::json!({"kid": "k", "value": skybridge_jose::b64::url_encode(&signature)}).to_string())
            }
        }))
}

#[tokio::test]
async fn vault_signed_assertion() {
    let w = world().await;
    let signer = Arc::new(LocalSigner::from_pkcs8(Alg::RS256, &w.cert.key_pkcs8).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = fake_vault(
        signer,
        skybridge_pki::thumbprint::x5t(&w.cert.cert_der),
        base.clone(),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    // The vault is reached with a secret credential here; a managed identity in the seed.
    let vault_access: Arc<dyn TokenCredential> = Arc::new(ClientSecretCredential::new(
        AuthorityClient::new(http(), &w.url),
        &w.partner,
        &w.client_id,
        SECRET,
    ));
    let provider = VaultSignedAssertion::new(http(), &base, "partner-client", vault_access);
    let credential = ClientAssertionCredential::new(
        AuthorityClient::new(http(), &w.url),
        &w.partner,
        &w.client_id,
        Arc::new(provider),
    );
    let r = credential.get_token("api://orders/.default").await.unwrap();
    assert_eq!(roles(&r.token), serde_json::json!(["Orders.Read"]));
    let actions: Vec<_> = r.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "token request",
            "read vault certificate",
            "vault sign",
            "token request"
        ]
    );
    assert!(r.steps[2].target.ends_with("/keys/partner-client/v1"));
}

struct Counting {
    calls: AtomicUsize,
    clock: Arc<FixedClock>,
}

#[async_trait]
impl TokenCredential for Counting {
    async fn get_token(&self, _scope: &str) -> Result<TokenResult, CredentialError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(TokenResult {
            token: AccessToken {
                token: "t".into(),
                expires_on: self.clock.now_unix() + 3600,
            },
            steps: vec![],
        })
    }
}

#[tokio::test]
async fn cache_refreshes_before_expiry_and_shares_one_refresh() {
    let clock = Arc::new(FixedClock::new(1_000_000));
    let cached = Arc::new(CachedCredential::new(
        Counting {
            calls: AtomicUsize::new(0),
            clock: clock.clone(),
        },
        clock.clone(),
    ));
    let mut handles = Vec::new();
    for _ in 0..10 {
        let c = cached.clone();
        handles.push(tokio::spawn(async move {
            c.get_token("s/.default").await.unwrap()
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let calls = |c: &CachedCredential<Counting>| c.inner_ref().calls.load(Ordering::SeqCst);
    assert_eq!(calls(&cached), 1, "ten concurrent callers, one refresh");
    let hit = cached.get_token("s/.default").await.unwrap();
    assert_eq!(hit.steps[0].action, "token cache");
    clock.advance(3600 - 301);
    cached.get_token("s/.default").await.unwrap();
    assert_eq!(calls(&cached), 1, "still more than five minutes left");
    clock.advance(2);
    cached.get_token("s/.default").await.unwrap();
    assert_eq!(calls(&cached), 2, "refreshed inside the margin");
    cached.get_token("other/.default").await.unwrap();
    assert_eq!(calls(&cached), 3, "scopes are cached apart");
}
