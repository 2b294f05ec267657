//! The vault-signed assertion against the real Key Vault data plane (crates/vault) over HTTPS on
//! loopback: the challenge, a token for the local vault resource from the real authority, the
//! certificate's `x5t` and key, `sign`, then the partner token — with the cache on an injected
//! clock (a hit, then a refresh through the vault once the token nears expiry), and the vault's
//! own refusal when the certificate is disabled.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use skybridge_authority::{Authority, EndpointVersion};
use skybridge_credentials::*;
use skybridge_jose::{Clock, FixedClock, JwkSet, SystemClock};
use skybridge_store::{VaultObjectKind, VaultStore};
use skybridge_vault::api::certificates::{
    CertificatePolicy, IssuerParameters, KeyProperties, X509Properties,
};
use skybridge_vault::service::{SeedCertificate, VaultSpec};
use skybridge_vault::{AuthConfig, KeySource, TokenValidator, VaultService, VaultUrls};
use uuid::Uuid;

use super::{SECRET, roles, world_with};

const SUFFIX: &str = "vault.test";

struct AuthorityKeys(Arc<Authority>);

#[async_trait]
impl KeySource for AuthorityKeys {
    async fn signing_keys(&self, tenant_id: Uuid) -> Result<Arc<JwkSet>, String> {
        self.0
            .jwks(&tenant_id.to_string(), EndpointVersion::V1)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Serves `router` over TLS (a dev CA's certificate for `host`) on `listener`.
fn serve_tls(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    ca: &skybridge_pki::DevCa,
    host: &str,
) {
    let now = SystemClock.now_unix();
    let leaf = ca.issue_server(&[host.to_string()], &[], now, 1).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.cert_der.clone().into()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(leaf.key_pkcs8.clone().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, router) = (acceptor.clone(), router.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(router);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
}

#[tokio::test]
async fn vault_signed_assertion_through_the_real_vault() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let resource = format!("https://{SUFFIX}:{}", addr.port());
    let w = world_with(Some(resource.clone())).await;
    let partner: Uuid = w.partner.parse().unwrap();
    let client: Uuid = w.client_id.parse().unwrap();
    let caller = w
        .authority
        .store()
        .service_principal(partner, client)
        .await
        .unwrap()
        .unwrap()
        .id;

    // The partner tenant's vault "partner-kv" holds the non-exportable certificate the client signs
    // with; the client may read it and use its key (Key Vault Administrator, vault scope).
    let vault_clock = Arc::new(FixedClock::new(SystemClock.now_unix()));
    let validator = TokenValidator::new(
        AuthConfig {
            authority_url: w.url.clone(),
            v1_issuer_url: w.url.clone(),
            resource: resource.clone(),
            leeway: 300,
        },
        Arc::new(AuthorityKeys(w.authority.clone())),
    );
    let service = Arc::new(VaultService::new(
        w.store.clone(),
        w.root.clone(),
        vault_clock.clone(),
        VaultUrls {
            host_suffix: SUFFIX.into(),
            port: addr.port(),
        },
        validator,
    ));
    let admin = skybridge_vault::rbac::role("Key Vault Administrator").unwrap();
    service
        .ensure_vault(&VaultSpec {
            name: "partner-kv".into(),
            tenant_id: partner,
            retention_days: 90,
            purge_protection: false,
            throttling: None,
            role_assignments: vec![(caller, admin.id, String::new())],
            keys: vec![],
            secrets: vec![],
            certificates: vec![SeedCertificate {
                name: "signer".into(),
                policy: CertificatePolicy {
                    key_props: Some(KeyProperties {
                        exportable: Some(false),
                        kty: Some("RSA".into()),
                        key_size: Some(2048),
                        crv: None,
                        reuse_key: None,
                    }),
                    x509_props: Some(X509Properties {
                        subject: Some("CN=signer".into()),
                        ..X509Properties::default()
                    }),
                    issuer: Some(IssuerParameters {
                        name: Some("Self".into()),
                        ..IssuerParameters::default()
                    }),
                    ..CertificatePolicy::default()
                },
                import: None,
                password: None,
                tags: None,
            }],
        })
        .await
        .unwrap();
    // The client app trusts the public part of the vault's certificate.
    let record = w
        .store
        .latest_object_version("partner-kv", VaultObjectKind::Certificate, "signer")
        .await
        .unwrap()
        .unwrap();
    let meta: serde_json::Value = serde_json::from_str(&record.meta).unwrap();
    let cer = base64::engine::general_purpose::STANDARD
        .decode(meta["cer"].as_str().unwrap())
        .unwrap();
    w.authority
        .ensure_certificate_credential(client, "vault", &cer)
        .await
        .unwrap();

    let ca =
        skybridge_pki::DevCa::generate("credentials test CA", vault_clock.now_unix(), 1).unwrap();
    let host = format!("partner-kv.{SUFFIX}");
    serve_tls(
        listener,
        skybridge_vault::http::router(service.clone(), "partner-kv"),
        &ca,
        &host,
    );
    let http = skybridge_net::client_builder(&[ca.cert_der().to_vec()], Duration::from_secs(10))
        .unwrap()
        .resolve(&host, addr)
        .build()
        .unwrap();

    // Reaching the vault: a secret credential here (a managed identity in the seed).
    let vault_access: Arc<dyn TokenCredential> = Arc::new(ClientSecretCredential::new(
        AuthorityClient::new(http.clone(), &w.url),
        &w.partner,
        &w.client_id,
        SECRET,
    ));
    let origin = format!("https://{host}:{}", addr.port());
    let assertion = VaultSignedAssertion::new(http.clone(), &origin, "signer", vault_access);
    let cache_clock = Arc::new(FixedClock::new(vault_clock.now_unix()));
    let credential = CachedCredential::new(
        ClientAssertionCredential::new(
            AuthorityClient::new(http.clone(), &w.url),
            &w.partner,
            &w.client_id,
            Arc::new(assertion),
        ),
        cache_clock.clone(),
    );

    let first = credential.get_token("api://orders/.default").await.unwrap();
    assert_eq!(roles(&first.token), serde_json::json!(["Orders.Read"]));
    let steps: Vec<_> = first.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        steps,
        [
            "token request",
            "read vault certificate",
            "vault sign",
            "token request"
        ]
    );
    assert!(
        first.steps[2]
            .target
            .starts_with(&format!("{origin}/keys/signer/"))
    );
    let x5t = skybridge_pki::thumbprint::x5t(&cer);
    assert!(
        first.steps[1].detail.contains(&x5t),
        "{}",
        first.steps[1].detail
    );

    // Cached until five minutes before expiry: no call reaches the vault.
    let hit = credential.get_token("api://orders/.default").await.unwrap();
    assert_eq!(hit.token.token, first.token.token);
    assert_eq!(hit.steps.len(), 1);
    assert_eq!(hit.steps[0].action, "token cache");

    // Past the refresh point a new assertion is signed by the vault.
    cache_clock.advance(first.token.expires_on - cache_clock.now_unix() - 299);
    let refreshed = credential.get_token("api://orders/.default").await.unwrap();
    assert_ne!(refreshed.token.token, first.token.token);
    assert!(refreshed.steps.iter().any(|s| s.action == "vault sign"));

    // A disabled certificate (and so key): the vault refuses to sign, and the error names the
    // step and carries Key Vault's status and code.
    let admin_token = ClientSecretCredential::new(
        AuthorityClient::new(http.clone(), &w.url),
        &w.partner,
        &w.client_id,
        SECRET,
    )
    .get_token(&format!("{resource}/.default"))
    .await
    .unwrap();
    let patched = http
        .patch(format!("{origin}/certificates/signer?api-version=7.5"))
        .bearer_auth(&admin_token.token.token)
        .json(&serde_json::json!({"attributes": {"enabled": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200, "{}", patched.text().await.unwrap());
    cache_clock.advance(3600);
    let refused = credential
        .get_token("api://orders/.default")
        .await
        .unwrap_err();
    match &refused {
        CredentialError::Vault { step, status, .. } => {
            assert!(step.starts_with("vault sign"), "{refused}");
            assert_eq!(*status, 403, "{refused}");
        }
        other => panic!("expected a vault refusal, got {other}"),
    }
    assert!(!refused.is_transient());
}
