//! Successful grants: response shapes and token claims, v2 and v1, discovery and JWKS.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use serde_json::{Value, json};

use crate::fixture::*;

#[tokio::test]
async fn v2_secret_grant_shape_and_claims() {
    let f = Fixture::new().await;
    let (status, body) = f.secret_token().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        object_keys(&body),
        ["access_token", "expires_in", "ext_expires_in", "token_type"]
    );
    assert_eq!(body["token_type"], "Bearer");
    let expires_in = body["expires_in"].as_i64().unwrap();
    assert!((3600..=5400).contains(&expires_in), "{expires_in}");
    assert_eq!(body["ext_expires_in"], body["expires_in"]);

    let token = body["access_token"].as_str().unwrap();
    let header = skybridge_jose::decode_unverified(token).unwrap().header;
    assert_eq!(header.alg, "RS256");
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.kid, header.x5t);
    let claims = f.verify(token).await;
    assert_eq!(
        keys_of(&claims),
        [
            "aio", "aud", "azp", "azpacr", "exp", "iat", "idtyp", "iss", "nbf", "oid", "rh",
            "roles", "sub", "tid", "uti", "ver"
        ]
    );
    assert_eq!(claims["aud"], f.api_id.as_str());
    assert_eq!(claims["iss"], format!("{AUTHORITY}/{}/v2.0", f.partner.id));
    assert_eq!(claims["azp"], f.client_id.as_str());
    assert_eq!(claims["azpacr"], "1");
    assert_eq!(claims["oid"], f.client_sp.as_str());
    assert_eq!(claims["sub"], f.client_sp.as_str());
    assert_eq!(claims["tid"], f.partner.id.to_string());
    assert_eq!(claims["roles"], json!(["Orders.Read"]));
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["ver"], "2.0");
    assert_eq!(claims["iat"], claims["nbf"]);
    assert_eq!(claims["exp"].as_i64().unwrap(), NOW + expires_in);
}

#[tokio::test]
async fn tokens_verify_with_an_independent_library() {
    let f = Fixture::new().await;
    let (_, body) = f.secret_token().await;
    let token = body["access_token"].as_str().unwrap();
    let set = f
        .jwks(&format!("/{}/discovery/v2.0/keys", f.partner.id))
        .await;
    let kid = skybridge_jose::decode_unverified(token)
        .unwrap()
        .header
        .kid
        .unwrap();
    let jwk = set.find(&kid).unwrap();
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk.n.as_deref().unwrap(),
        jwk.e.as_deref().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[f.api_id.as_str()]);
    validation.set_issuer(&[format!("{AUTHORITY}/{}/v2.0", f.partner.id)]);
    validation.validate_exp = false; // the fixture's clock is in the future of the test machine's
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap();
    assert_eq!(data.claims["roles"], json!(["Orders.Read"]));
}

#[tokio::test]
async fn v1_endpoint_strings_and_v1_claims() {
    let f = Fixture::new().await;
    let path = format!("/{}/oauth2/token", f.partner.id);
    let (status, body) = f
        .post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &f.client_id),
                ("resource", "api://legacy"),
                ("client_secret", SECRET),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        object_keys(&body),
        [
            "access_token",
            "expires_in",
            "expires_on",
            "ext_expires_in",
            "not_before",
            "resource",
            "token_type"
        ]
    );
    for k in ["expires_in", "expires_on", "ext_expires_in", "not_before"] {
        assert!(
            body[k].as_str().unwrap().parse::<i64>().is_ok(),
            "{k} is a numeric string"
        );
    }
    assert_eq!(body["resource"], "api://legacy");
    let token = body["access_token"].as_str().unwrap();
    let set = f.jwks(&format!("/{}/discovery/keys", f.partner.id)).await;
    let jws = skybridge_jose::decode_unverified(token).unwrap();
    let key = set
        .find(jws.header.kid.as_deref().unwrap())
        .unwrap()
        .verifying_key()
        .unwrap();
    jws.verify_with(&key).unwrap();
    let c = jws.claims;
    assert_eq!(c["aud"], "api://legacy");
    assert_eq!(c["iss"], format!("https://sts.test:8443/{}/", f.partner.id));
    assert_eq!(c["idp"], c["iss"]);
    assert_eq!(c["appid"], f.client_id.as_str());
    assert_eq!(c["appidacr"], "1");
    assert_eq!(c["ver"], "1.0");
    assert_eq!(c["roles"], json!(["Legacy.Read"]));
    assert!(c.get("azp").is_none());
}

#[tokio::test]
async fn v2_token_for_v1_resource_has_v1_claims_and_no_roles_without_assignment() {
    let f = Fixture::new().await;
    let path = f.token_path();
    let (status, body) = f
        .post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &f.client_id),
                ("scope", "api://strict/.default"),
                ("client_secret", SECRET),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "strict-api requires an assignment"
    );
    assert_eq!(body["error_codes"], json!([501051]));

    // The resource by client id rather than identifier URI; the app's version decides the shape.
    let (status, body) = f
        .post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &f.client_id),
                ("scope", "api://legacy/.default"),
                ("client_secret", SECRET),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let jws = skybridge_jose::decode_unverified(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(jws.claims["ver"], "1.0");
    assert_eq!(jws.claims["aud"], "api://legacy");
}

#[tokio::test]
async fn http_basic_and_tenant_by_name_and_domain() {
    let f = Fixture::new().await;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{SECRET}", f.client_id));
    for tenant in [
        "partner",
        "PARTNER.onmicrosoft.com",
        &f.partner.id.to_string(),
    ] {
        let req = Request::post(format!("/{tenant}/oauth2/v2.0/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", format!("Basic {basic}"))
            .body(Body::from(
                "grant_type=client_credentials&scope=api%3A%2F%2Forders%2F.default",
            ))
            .unwrap();
        let (status, headers, body) = f.call(req).await;
        assert_eq!(status, StatusCode::OK, "{tenant}: {body}");
        assert_eq!(headers["cache-control"], "no-store, no-cache");
    }
}

#[tokio::test]
async fn discovery_documents() {
    let f = Fixture::new().await;
    let (status, v2) = f
        .get("/partner/v2.0/.well-known/openid-configuration")
        .await;
    assert_eq!(status, StatusCode::OK);
    let tid = f.partner.id;
    assert_eq!(v2["issuer"], format!("{AUTHORITY}/{tid}/v2.0"));
    assert_eq!(
        v2["token_endpoint"],
        format!("{AUTHORITY}/{tid}/oauth2/v2.0/token")
    );
    assert_eq!(
        v2["jwks_uri"],
        format!("{AUTHORITY}/{tid}/discovery/v2.0/keys")
    );
    assert_eq!(
        v2["authorization_endpoint"],
        format!("{AUTHORITY}/{tid}/oauth2/v2.0/authorize")
    );
    assert_eq!(
        v2["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    let (_, v1) = f
        .get(&format!("/{tid}/.well-known/openid-configuration"))
        .await;
    assert_eq!(v1["issuer"], format!("https://sts.test:8443/{tid}/"));
    assert_eq!(
        v1["token_endpoint"],
        format!("{AUTHORITY}/{tid}/oauth2/token")
    );
    assert_eq!(v1["jwks_uri"], format!("{AUTHORITY}/{tid}/discovery/keys"));

    let set = f.jwks(&format!("/{tid}/discovery/v2.0/keys")).await;
    assert_eq!(set.keys.len(), 2, "current and next are published");
    for k in &set.keys {
        assert_eq!(k.kty, "RSA");
        assert_eq!(k.use_.as_deref(), Some("sig"));
        assert_eq!(k.kid, k.x5t);
        let x5c = &k.x5c.as_ref().unwrap()[0];
        let der = base64::engine::general_purpose::STANDARD
            .decode(x5c)
            .unwrap();
        assert_eq!(
            skybridge_pki::thumbprint::x5t(&der),
            *k.kid.as_ref().unwrap()
        );
        assert_eq!(k.extra["issuer"], format!("{AUTHORITY}/{tid}/v2.0"));
    }
    // The two tenants sign with different keys.
    let home = f.jwks(&format!("/{}/discovery/v2.0/keys", f.home.id)).await;
    assert!(
        home.keys
            .iter()
            .all(|k| set.find(k.kid.as_deref().unwrap()).is_none())
    );
}

#[tokio::test]
async fn first_party_resources_exist_in_every_tenant() {
    let f = Fixture::new().await;
    let path = f.token_path();
    for (scope, aud, ver) in [
        (
            "https://vault.azure.net/.default",
            "https://vault.azure.net",
            "1.0",
        ),
        (
            "https://management.azure.com//.default",
            "https://management.azure.com/",
            "1.0",
        ),
        (
            "api://AzureADTokenExchange/.default",
            "fb60f99c-7a34-4190-8149-302f77469936",
            "2.0",
        ),
    ] {
        let (status, body) = f
            .post_form(
                &path,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &f.client_id),
                    ("scope", scope),
                    ("client_secret", SECRET),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{scope}: {body}");
        let jws =
            skybridge_jose::decode_unverified(body["access_token"].as_str().unwrap()).unwrap();
        assert_eq!(jws.claims["aud"], aud, "{scope}");
        assert_eq!(jws.claims["ver"], ver, "{scope}");
        assert!(jws.claims.get("roles").is_none());
    }
    // The local vault resource is an identifier URI of Key Vault too.
    let (status, body) = f
        .post_form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &f.client_id),
                ("scope", "https://vault.test:8443/.default"),
                ("client_secret", SECRET),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
