//! The managed-identity endpoints through their router: both protocols, selection of
//! user-assigned identities, the home-tenant rule, error shapes and the token cache.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use serde_json::Value;
use skybridge_authority::{AppRoleSpec, ApplicationSpec, Authority, AuthorityConfig, TenantSpec};
use skybridge_identity::http::{ImdsBinding, router};
use skybridge_identity::*;
use skybridge_jose::FixedClock;
use skybridge_store::{ManagedIdentityRecord, RootKey, SqliteStore};
use tower::ServiceExt;
use uuid::Uuid;

const NOW: i64 = 1_800_000_000;

struct Fixture {
    app: axum::Router,
    imds: axum::Router,
    header: String,
    user: ManagedIdentityRecord,
    system_client: Uuid,
    home: Uuid,
}

async fn fixture() -> Fixture {
    let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
    let root = Arc::new(RootKey::from_bytes(&[3; 32]).unwrap());
    let clock = Arc::new(FixedClock::new(NOW));
    let authority = Arc::new(Authority::new(
        store.clone(),
        root.clone(),
        clock.clone(),
        AuthorityConfig::new("https://login.t", "https://sts.t"),
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
    let spec = |tenant, name: &str, uri: &str| ApplicationSpec {
        tenant_id: tenant,
        name: name.into(),
        app_id: None,
        identifier_uris: vec![uri.into()],
        app_roles: vec![AppRoleSpec {
            value: "Read".into(),
            ..Default::default()
        }],
        access_token_accepted_version: 2,
        multi_tenant: false,
        app_role_assignment_required: false,
    };
    authority
        .ensure_application(&spec(partner.id, "orders-api", "api://orders"))
        .await
        .unwrap();
    authority
        .ensure_application(&spec(home.id, "home-api", "api://home"))
        .await
        .unwrap();
    let user = ensure_user_identity(
        &*store,
        &authority,
        &IdentitySpec {
            tenant_id: home.id,
            name: "uami".into(),
            client_id: None,
            principal_id: None,
            subscription_id: home.id,
            resource_group: "rg".into(),
        },
    )
    .await
    .unwrap();
    let spec = ResourceSpec {
        tenant_id: home.id,
        name: "orders-sync".into(),
        kind: "workflow".into(),
        system_assigned: true,
        user_identities: vec![user.client_id],
        subscription_id: home.id,
        resource_group: "rg".into(),
    };
    let resource = ensure_resource(&*store, &authority, &root, &spec)
        .await
        .unwrap();
    // Applying again changes nothing.
    let again = ensure_resource(&*store, &authority, &root, &spec)
        .await
        .unwrap();
    assert_eq!(again, resource);
    let registry = load_registry(&*store, &root).await.unwrap();
    let header = registry
        .resource("orders-sync")
        .unwrap()
        .identity_header
        .clone();
    let service = Arc::new(ManagedIdentityService::new(authority, registry, clock));
    Fixture {
        app: router(service.clone(), ImdsBinding::None),
        imds: router(service, ImdsBinding::Resource("orders-sync".into())),
        header,
        user,
        system_client: resource.system_identity.unwrap(),
        home: home.id,
    }
}

async fn call(router: &axum::Router, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

fn claims(body: &Value) -> serde_json::Map<String, Value> {
    skybridge_jose::decode_unverified(body["access_token"].as_str().unwrap())
        .unwrap()
        .claims
}

#[tokio::test]
async fn app_service_system_assigned() {
    let f = fixture().await;
    let (status, body) = call(
        &f.app,
        "/msi/token?api-version=2019-08-01&resource=https://vault.azure.net",
        &[("X-IDENTITY-HEADER", &f.header)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for k in ["expires_in", "expires_on", "not_before", "ext_expires_in"] {
        assert!(body[k].as_str().unwrap().parse::<i64>().is_ok(), "{k}");
    }
    assert_eq!(body["expires_in"], "86400");
    assert_eq!(body["resource"], "https://vault.azure.net");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["client_id"], f.system_client.to_string());
    let c = claims(&body);
    assert_eq!(c["appid"], f.system_client.to_string());
    assert_eq!(c["tid"], f.home.to_string());
    assert!(
        c["xms_mirid"]
            .as_str()
            .unwrap()
            .ends_with("/providers/Microsoft.Web/sites/orders-sync")
    );
}

#[tokio::test]
async fn user_assigned_by_each_selector() {
    let f = fixture().await;
    let cid = f.user.client_id.to_string();
    let pid = f.user.principal_id.to_string();
    for q in [
        format!("client_id={cid}"),
        format!("principal_id={pid}"),
        format!("object_id={pid}"),
        format!("mi_res_id={}", f.user.resource_id),
    ] {
        let (status, body) = call(
            &f.app,
            &format!("/msi/token?api-version=2019-08-01&resource=api://home&{q}"),
            &[("x-identity-header", &f.header)],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        assert_eq!(claims(&body)["azp"], cid, "{q}");
        assert_eq!(claims(&body)["oid"], pid, "{q}");
    }
    for q in [
        format!("client_id={cid}"),
        format!("object_id={pid}"),
        format!("msi_res_id={}", f.user.resource_id),
    ] {
        for path in [
            "/metadata/identity/oauth2/token",
            "/metadata/identity/oauth2/token/",
        ] {
            let (status, body) = call(
                &f.imds,
                &format!("{path}?api-version=2018-02-01&resource=api://home&{q}"),
                &[("Metadata", "true")],
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{q}: {body}");
            assert_eq!(body["refresh_token"], "");
            assert_eq!(claims(&body)["azp"], cid);
        }
    }
}

#[tokio::test]
async fn home_tenant_rule() {
    let f = fixture().await;
    let (status, body) = call(
        &f.imds,
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=api://orders",
        &[("Metadata", "true")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_resource");
    assert!(body["error_description"].as_str().unwrap().starts_with("AADSTS500011: The resource principal named api://orders was not found in the tenant named home"), "{body}");
    let (status, body) = call(
        &f.app,
        "/msi/token?api-version=2019-08-01&resource=api://orders",
        &[("X-IDENTITY-HEADER", &f.header)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["statusCode"], 400);
    assert!(body["message"].as_str().unwrap().contains("AADSTS500011"));
    assert!(body["correlationId"].is_string());
}

#[tokio::test]
async fn protocol_errors() {
    let f = fixture().await;
    let q = "api-version=2018-02-01&resource=api://home";
    let (status, body) = call(
        &f.imds,
        &format!("/metadata/identity/oauth2/token?{q}"),
        &[],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("bad_request_102"))
    );
    assert_eq!(
        body["error_description"],
        "Required metadata header not specified"
    );
    let (status, _) = call(
        &f.imds,
        &format!("/metadata/identity/oauth2/token?{q}"),
        &[("Metadata", "True")],
    )
    .await;
    assert_eq!(status.as_u16(), 400, "the value must be lower-case true");
    let (status, body) = call(&f.imds, "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=api://home&client_id=00000000-0000-0000-0000-000000000001", &[("Metadata", "true")]).await;
    assert_eq!(
        (status.as_u16(), body["error_description"].as_str()),
        (400, Some("Identity not found"))
    );
    let (status, body) = call(
        &f.imds,
        "/metadata/identity/oauth2/token?resource=api://home",
        &[("Metadata", "true")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, _) = call(
        &f.app,
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x",
        &[("Metadata", "true")],
    )
    .await;
    assert_eq!(
        status.as_u16(),
        400,
        "the shared listener has no IMDS resource"
    );
    let (status, body) = call(
        &f.app,
        "/msi/token?api-version=2019-08-01&resource=api://home",
        &[("X-IDENTITY-HEADER", "wrong")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["statusCode"].as_u64()),
        (401, Some(401))
    );
    let (status, _) = call(
        &f.app,
        "/msi/token?api-version=2019-08-01&resource=api://home",
        &[],
    )
    .await;
    assert_eq!(status.as_u16(), 401);
    let (status, _) = call(
        &f.app,
        "/msi/token?api-version=2019-08-01&resource=api://home&%ZZ=&&&==",
        &[("X-IDENTITY-HEADER", &f.header)],
    )
    .await;
    assert_eq!(status.as_u16(), 200, "junk parameters are ignored");
}

#[tokio::test]
async fn tokens_are_cached_per_identity_and_resource() {
    let f = fixture().await;
    let get = |q: &'static str| {
        let app = f.app.clone();
        let header = f.header.clone();
        async move {
            call(
                &app,
                &format!("/msi/token?api-version=2019-08-01&resource={q}"),
                &[("X-IDENTITY-HEADER", &header)],
            )
            .await
            .1
        }
    };
    let a = get("api://home").await;
    let b = get("api://home").await;
    assert_eq!(a["access_token"], b["access_token"]);
    let c = get("https://vault.azure.net").await;
    assert_ne!(a["access_token"], c["access_token"]);
}
