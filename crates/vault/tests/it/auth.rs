//! Challenge authentication, token checks, api-version and RBAC.

use serde_json::json;

use super::*;

#[tokio::test]
async fn missing_token_gets_the_challenge_before_anything_else() {
    let f = Fixture::new().await;
    // No api-version, unknown path, no body: still the challenge.
    for uri in [
        "/secrets/s1",
        "/nothing/here",
        "/keys/k1/create?api-version=7.6",
    ] {
        let r = f.raw("POST", uri, None, "").await;
        assert_error(&r, 401, "Unauthorized");
        assert_eq!(
            r.headers["www-authenticate"].to_str().unwrap(),
            format!(
                "Bearer authorization=\"{AUTHORITY}/{}\", resource=\"{RESOURCE}\"",
                f.tenant
            )
        );
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("AKV10000")
        );
    }
}

#[tokio::test]
async fn tokens_are_verified() {
    let f = Fixture::new().await;
    let who = f.people.admin;
    let cases = [
        (
            "wrong audience",
            f.token_with(who, json!({"aud": "api://other"})),
            "AKV10022",
        ),
        (
            "wrong issuer",
            f.token_with(who, json!({"iss": "https://evil/"})),
            "AKV10032",
        ),
        (
            "expired",
            f.token_with(who, json!({"exp": NOW - 3600})),
            "AKV10013",
        ),
        (
            "not yet valid",
            f.token_with(who, json!({"nbf": NOW + 3600})),
            "AKV10014",
        ),
        (
            "other tenant's key",
            f.sign_token(&f.other_keys, who, json!({})),
            "AKV10010",
        ),
        (
            "other tenant",
            f.token_with(who, json!({"tid": Uuid::new_v4().to_string()})),
            "AKV10032",
        ),
        (
            "no oid",
            f.token_with(who, json!({"oid": null})),
            "AKV10012",
        ),
        ("garbage", "abc.def.ghi".to_string(), "AKV10012"),
    ];
    for (what, token, code) in cases {
        let r = f
            .raw("GET", "/secrets?api-version=7.6", Some(&token), "")
            .await;
        assert_error(&r, 401, "Unauthorized");
        assert!(r.headers.contains_key("www-authenticate"), "{what}");
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(code), "{what}: {message}");
    }
    // Every accepted audience and both issuer versions.
    for (aud, iss) in [
        ("https://vault.azure.net", format!("{STS}/{}/", f.tenant)),
        (
            "https://vault.azure.net/",
            format!("{AUTHORITY}/{}/v2.0", f.tenant),
        ),
        (
            "cfa8b339-82a2-471a-a3c9-0fc0be7a4093",
            format!("{STS}/{}/", f.tenant),
        ),
        ("https://vault.test:8443/", format!("{STS}/{}/", f.tenant)),
    ] {
        let token = f.token_with(who, json!({"aud": aud, "iss": iss}));
        let r = f
            .raw("GET", "/secrets?api-version=7.6", Some(&token), "")
            .await;
        assert_eq!(r.status, 200, "{aud}: {}", r.body);
    }
}

#[tokio::test]
async fn api_version_is_required_but_any_well_formed_one_works() {
    let f = Fixture::new().await;
    let token = f.token(f.people.admin);
    let r = f.raw("GET", "/secrets", Some(&token), "").await;
    assert_error(&r, 400, "BadParameter");
    let r = f
        .raw("GET", "/secrets?api-version=%3Cscript%3E", Some(&token), "")
        .await;
    assert_error(&r, 400, "BadParameter");
    for v in [
        "7.0",
        "7.6-preview.2",
        "2025-07-01",
        "2026-04-01",
        "2099-01-01-preview",
    ] {
        let r = f
            .raw(
                "GET",
                &format!("/secrets?api-version={v}"),
                Some(&token),
                "",
            )
            .await;
        assert_eq!(r.status, 200, "{v}");
    }
}

#[tokio::test]
async fn rbac_denies_with_key_vaults_envelope() {
    let f = Fixture::new().await;
    f.ok("POST", "/keys/k1/create", json!({"kty": "RSA"})).await;
    f.ok("POST", "/keys/k2/create", json!({"kty": "EC"})).await;
    let r = f.call(f.people.nobody, "GET", "/keys", Value::Null).await;
    assert_error(&r, 403, "Forbidden");
    assert_eq!(r.body["error"]["innererror"]["code"], "ForbiddenByRbac");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Microsoft.KeyVault/vaults/keys/read"),
        "{message}"
    );
    assert!(message.contains(&f.people.nobody.to_string()), "{message}");

    // Crypto User scoped to keys/k1: sign k1, nothing on k2, no create, no list.
    let user = f.people.crypto_user_k1;
    let digest = b64url(&sha256(b"x"));
    let r = f
        .call(
            user,
            "POST",
            "/keys/k1/sign",
            json!({"alg": "RS256", "value": digest}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = f
        .call(
            user,
            "POST",
            "/keys/K1//sign",
            json!({"alg": "PS256", "value": digest}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = f.call(user, "GET", "/keys/k2", Value::Null).await;
    assert_error(&r, 403, "Forbidden");
    let r = f
        .call(user, "POST", "/keys/k1/create", json!({"kty": "RSA"}))
        .await;
    assert_error(&r, 403, "Forbidden");
    let r = f.call(user, "GET", "/keys", Value::Null).await;
    assert_error(&r, 403, "Forbidden");

    // Secrets User reads values but cannot write.
    f.ok("PUT", "/secrets/s1", json!({"value": "v"})).await;
    let r = f
        .call(f.people.secrets_user, "GET", "/secrets/s1", Value::Null)
        .await;
    assert_eq!(r.body["value"], "v");
    let r = f
        .call(
            f.people.secrets_user,
            "PUT",
            "/secrets/s1",
            json!({"value": "w"}),
        )
        .await;
    assert_error(&r, 403, "Forbidden");
    // The denial comes before the body is looked at.
    let r = f
        .call(f.people.nobody, "PUT", "/secrets/s1", Value::Null)
        .await;
    assert_error(&r, 403, "Forbidden");
}

#[tokio::test]
async fn unknown_routes_are_404_after_auth() {
    let f = Fixture::new().await;
    let r = f.call(f.people.admin, "GET", "/widgets", Value::Null).await;
    assert_eq!(r.status, 404);
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/contacts",
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"]["code"], "NotFound");
}
