//! Managed-identity tokens and the federated cross-tenant chain: a user-assigned identity's
//! token for `api://AzureADTokenExchange` buys a partner-tenant token for a multi-tenant app.

use axum::http::StatusCode;
use serde_json::json;
use skybridge_authority::ApplicationSpec;
use skybridge_authority::managed::MANAGED_IDENTITY_TOKEN_LIFETIME;
use skybridge_store::{IdentityKind, ManagedIdentityRecord};
use uuid::Uuid;

use crate::fixture::*;

struct Chain {
    f: Fixture,
    identity: ManagedIdentityRecord,
    app_id: String,
}

async fn chain() -> Chain {
    let f = Fixture::new().await;
    let a = &f.authority;
    let identity = ManagedIdentityRecord {
        client_id: Uuid::new_v4(),
        principal_id: Uuid::new_v4(),
        tenant_id: f.home.id,
        name: "orders-uami".into(),
        kind: IdentityKind::User,
        resource_id: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-uami".into(),
    };
    a.ensure_managed_identity_principal(&identity)
        .await
        .unwrap();
    let app = a
        .ensure_application(&ApplicationSpec {
            tenant_id: f.home.id,
            name: "fic-app".into(),
            app_id: None,
            identifier_uris: vec![],
            app_roles: vec![],
            access_token_accepted_version: 2,
            multi_tenant: true,
            app_role_assignment_required: false,
        })
        .await
        .unwrap();
    let issuer = format!("{AUTHORITY}/{}/v2.0", f.home.id);
    a.ensure_federated_credential(
        app.app_id,
        "from-uami",
        &issuer,
        &identity.principal_id.to_string(),
        &["api://AzureADTokenExchange".into()],
    )
    .await
    .unwrap();
    let api = a
        .store()
        .application_by_name(f.partner.id, "orders-api")
        .await
        .unwrap()
        .unwrap();
    a.ensure_app_role_assignment(f.partner.id, &app, &api, "Orders.Read")
        .await
        .unwrap();
    Chain {
        f,
        identity,
        app_id: app.app_id.to_string(),
    }
}

impl Chain {
    async fn exchange(&self, assertion: &str) -> (StatusCode, serde_json::Value) {
        let path = self.f.token_path();
        self.f
            .post_form(
                &path,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &self.app_id),
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
}

#[tokio::test]
async fn managed_identity_token_claims() {
    let c = chain().await;
    let token =
        c.f.authority
            .issue_for_managed_identity(&c.identity, "https://vault.azure.net")
            .await
            .unwrap();
    assert_eq!(token.expires_in, MANAGED_IDENTITY_TOKEN_LIFETIME);
    let claims = skybridge_jose::decode_unverified(&token.access_token)
        .unwrap()
        .claims;
    assert_eq!(claims["aud"], "https://vault.azure.net");
    assert_eq!(
        claims["iss"],
        format!("https://sts.test:8443/{}/", c.f.home.id)
    );
    assert_eq!(claims["appid"], c.identity.client_id.to_string());
    assert_eq!(claims["appidacr"], "2");
    assert_eq!(claims["oid"], c.identity.principal_id.to_string());
    assert_eq!(claims["sub"], c.identity.principal_id.to_string());
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["xms_mirid"], c.identity.resource_id.as_str());
    assert_eq!(claims["tid"], c.f.home.id.to_string());
}

#[tokio::test]
async fn managed_identity_cannot_reach_another_tenants_api() {
    let c = chain().await;
    let err =
        c.f.authority
            .issue_for_managed_identity(&c.identity, "api://orders")
            .await
            .unwrap_err();
    let wire = err.wire();
    assert_eq!(
        (wire.status, wire.error, wire.code),
        (400, "invalid_resource", 500011)
    );
    assert!(
        wire.message.contains("api://orders") && wire.message.contains("'home'")
            || wire.message.contains("named home"),
        "{}",
        wire.message
    );
}

#[tokio::test]
async fn federated_chain_buys_a_partner_token() {
    let c = chain().await;
    let mi =
        c.f.authority
            .issue_for_managed_identity(&c.identity, "api://AzureADTokenExchange")
            .await
            .unwrap();
    let mi_claims = skybridge_jose::decode_unverified(&mi.access_token)
        .unwrap()
        .claims;
    assert_eq!(mi_claims["aud"], "fb60f99c-7a34-4190-8149-302f77469936");
    assert_eq!(mi_claims["ver"], "2.0");
    let (status, body) = c.exchange(&mi.access_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = c.f.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["tid"], c.f.partner.id.to_string());
    assert_eq!(claims["azp"], c.app_id.as_str());
    assert_eq!(claims["azpacr"], "2");
    assert_eq!(claims["roles"], json!(["Orders.Read"]));
}

#[tokio::test]
async fn federated_mismatches_get_entras_codes() {
    let c = chain().await;
    let a = &c.f.authority;
    // Audience: a token for Key Vault is not a token-exchange token.
    let vault = a
        .issue_for_managed_identity(&c.identity, "https://vault.azure.net")
        .await
        .unwrap();
    let (s, body) = c.exchange(&vault.access_token).await;
    assert_eq!(
        (s.as_u16(), body["error_codes"].clone()),
        (401, json!([700211])),
        "v1 issuer differs: {body}"
    );
    // Subject: another identity of the same tenant.
    let other = ManagedIdentityRecord {
        client_id: Uuid::new_v4(),
        principal_id: Uuid::new_v4(),
        name: "other".into(),
        ..c.identity.clone()
    };
    a.ensure_managed_identity_principal(&other).await.unwrap();
    let token = a
        .issue_for_managed_identity(&other, "api://AzureADTokenExchange")
        .await
        .unwrap();
    let (s, body) = c.exchange(&token.access_token).await;
    assert_eq!(
        (s.as_u16(), body["error_codes"].clone()),
        (401, json!([700213])),
        "{body}"
    );
    // Subject differing only in case.
    let app = a
        .store()
        .application(c.app_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let issuer = format!("{AUTHORITY}/{}/v2.0", c.f.home.id);
    a.ensure_federated_credential(
        app.app_id,
        "from-uami",
        &issuer,
        &c.identity.principal_id.to_string().to_uppercase(),
        &["api://AzureADTokenExchange".into()],
    )
    .await
    .unwrap();
    let token = a
        .issue_for_managed_identity(&c.identity, "api://AzureADTokenExchange")
        .await
        .unwrap();
    let (s, body) = c.exchange(&token.access_token).await;
    assert_eq!(
        (s.as_u16(), body["error_codes"].clone()),
        (401, json!([7002138])),
        "{body}"
    );
    // Audience mismatch with the right issuer and subject.
    a.ensure_federated_credential(
        app.app_id,
        "from-uami",
        &issuer,
        &c.identity.principal_id.to_string(),
        &["api://SomethingElse".into()],
    )
    .await
    .unwrap();
    let (s, body) = c.exchange(&token.access_token).await;
    assert_eq!(
        (s.as_u16(), body["error_codes"].clone()),
        (401, json!([700212])),
        "{body}"
    );
}

#[tokio::test]
async fn external_issuer_without_a_key_source_fails_cleanly() {
    let c = chain().await;
    let app =
        c.f.authority
            .store()
            .application(c.app_id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
    c.f.authority
        .ensure_federated_credential(
            app.app_id,
            "github",
            "https://token.actions.example",
            "repo:o/r:ref:refs/heads/main",
            &["api://AzureADTokenExchange".into()],
        )
        .await
        .unwrap();
    let assertion = c.f.assertion(
        skybridge_jose::Alg::RS256,
        |h| h.kid = Some("k1".into()),
        |m| {
            m.insert("iss".into(), json!("https://token.actions.example"));
            m.insert("sub".into(), json!("repo:o/r:ref:refs/heads/main"));
            m.insert("aud".into(), json!("api://AzureADTokenExchange"));
        },
    );
    let (s, body) = c.exchange(&assertion).await;
    assert_eq!(
        (s.as_u16(), body["error_codes"].clone()),
        (401, json!([50166])),
        "{body}"
    );
    // Other grants still work.
    let (s, _) = c.f.secret_token().await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn federated_credential_limits() {
    let c = chain().await;
    let a = &c.f.authority;
    let app: Uuid = c.app_id.parse().unwrap();
    let aud = vec!["api://AzureADTokenExchange".to_string()];
    assert!(
        a.ensure_federated_credential(app, "x", "https://i", "s", &aud)
            .await
            .is_err(),
        "name too short"
    );
    assert!(
        a.ensure_federated_credential(
            app,
            "two-audiences",
            "https://i",
            "s",
            &[aud[0].clone(), "b".into()]
        )
        .await
        .is_err()
    );
    assert!(
        a.ensure_federated_credential(app, "spaces", " https://i", "s", &aud)
            .await
            .is_err()
    );
    for i in 1..20 {
        a.ensure_federated_credential(
            app,
            &format!("cred-{i}"),
            "https://i",
            &format!("s{i}"),
            &aud,
        )
        .await
        .unwrap();
    }
    let err = a
        .ensure_federated_credential(app, "cred-20", "https://i", "s20", &aud)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at most 20"), "{err}");
}

/// An external issuer whose keys are served from memory.
struct StaticIssuer(std::sync::Arc<skybridge_jose::JwkSet>);

#[async_trait::async_trait]
impl skybridge_authority::federation::ExternalIssuerKeys for StaticIssuer {
    async fn jwks(
        &self,
        issuer: &str,
        _refresh: bool,
    ) -> Result<std::sync::Arc<skybridge_jose::JwkSet>, String> {
        if issuer == "https://token.actions.example" {
            Ok(self.0.clone())
        } else {
            Err("unknown issuer".into())
        }
    }
}

#[tokio::test]
async fn external_issuer_tokens_are_verified_with_its_keys() {
    use skybridge_jose::{Alg, Header, LocalSigner};
    let (signer, _) = LocalSigner::generate(Alg::RS256, 2048).unwrap();
    let mut jwk = signer.public_jwk();
    jwk.kid = Some("gh-1".into());
    let set = std::sync::Arc::new(skybridge_jose::JwkSet { keys: vec![jwk] });
    let f = Fixture::with_issuers(std::sync::Arc::new(StaticIssuer(set))).await;
    let api = f
        .authority
        .store()
        .application_by_name(f.partner.id, "orders-api")
        .await
        .unwrap()
        .unwrap();
    let app = f
        .authority
        .ensure_application(&ApplicationSpec {
            tenant_id: f.partner.id,
            name: "ci-deployer".into(),
            app_id: None,
            identifier_uris: vec![],
            app_roles: vec![],
            access_token_accepted_version: 2,
            multi_tenant: false,
            app_role_assignment_required: false,
        })
        .await
        .unwrap();
    f.authority
        .ensure_federated_credential(
            app.app_id,
            "main-branch",
            "https://token.actions.example",
            "repo:o/r:ref:refs/heads/main",
            &["api://AzureADTokenExchange".into()],
        )
        .await
        .unwrap();
    f.authority
        .ensure_app_role_assignment(f.partner.id, &app, &api, "Orders.Read")
        .await
        .unwrap();
    let sign = |kid: &str, exp: i64| {
        let mut h = Header::new(Alg::RS256);
        h.kid = Some(kid.into());
        let claims = json!({"iss": "https://token.actions.example", "sub": "repo:o/r:ref:refs/heads/main", "aud": "api://AzureADTokenExchange", "exp": exp, "nbf": NOW - 60});
        skybridge_jose::encode_sync(&h, &claims, &signer).unwrap()
    };
    let exchange = |assertion: String| {
        let path = f.token_path();
        let client = app.app_id.to_string();
        let router = &f;
        async move {
            router
                .post_form(
                    &path,
                    &[
                        ("grant_type", "client_credentials"),
                        ("client_id", &client),
                        ("scope", "api://orders/.default"),
                        (
                            "client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        ),
                        ("client_assertion", &assertion),
                    ],
                )
                .await
        }
    };
    let (s, body) = exchange(sign("gh-1", NOW + 300)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        f.verify(body["access_token"].as_str().unwrap()).await["roles"],
        json!(["Orders.Read"])
    );
    let (s, body) = exchange(sign("unknown-kid", NOW + 300)).await;
    assert_eq!(
        (s.as_u16(), body["error_codes"].clone()),
        (401, json!([700027])),
        "{body}"
    );
    let (s, body) = exchange(sign("gh-1", NOW - 3600)).await;
    assert_eq!(
        (s.as_u16(), body["error_codes"].clone()),
        (401, json!([700024])),
        "{body}"
    );
}
