//! The in-memory caches (verified tokens, store rows, parsed keys) never outlive what they
//! cache: a token stops working at its `exp` or when its key is no longer published, and every
//! change to a key, a secret or a role assignment reaches the very next request.

use serde_json::json;

use super::*;

fn sign_body() -> Value {
    json!({"alg": "RS256", "value": b64url(&sha256(b"m"))})
}

#[tokio::test]
async fn a_remembered_token_still_expires_and_needs_its_key() {
    let f = Fixture::new().await;
    let token = f.token(f.people.admin);
    let get = |t: &str| {
        let t = t.to_string();
        let f = &f;
        async move { f.raw("GET", "/secrets?api-version=7.6", Some(&t), "").await }
    };
    for _ in 0..3 {
        assert_eq!(get(&token).await.status, 200);
    }
    // The same kid under another key: a different token, verified in full and refused.
    let forged = f.sign_token(&f.other_keys, f.people.admin, json!({}));
    let r = get(&forged).await;
    assert_error(&r, 401, "Unauthorized");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("AKV10010")
    );

    // exp is NOW + 3600, with 300 s of leeway.
    f.clock.set(NOW + 3600 + 300);
    assert_eq!(get(&token).await.status, 200);
    f.clock.set(NOW + 3600 + 301);
    let r = get(&token).await;
    assert_error(&r, 401, "Unauthorized");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("AKV10013")
    );
    // nbf is NOW - 300, with 300 s of leeway.
    f.clock.set(NOW - 601);
    let r = get(&token).await;
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("AKV10014")
    );
    f.clock.set(NOW);
    assert_eq!(get(&token).await.status, 200);

    // Rotated away: the remembered token is refused at once.
    f.publish(f.other_jwks());
    let r = get(&token).await;
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("AKV10010")
    );
    f.publish(JwkSet::default());
    let r = get(&token).await;
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("AKV10031")
    );
    // Published again (a reloaded key set, equal content): accepted.
    f.publish(f.home_keys());
    assert_eq!(get(&token).await.status, 200);
}

#[tokio::test]
async fn key_changes_reach_the_next_operation() {
    let f = Fixture::new().await;
    let created = f.ok("POST", "/keys/k/create", json!({"kty": "RSA"})).await;
    let signed = f.ok("POST", "/keys/k/sign", sign_body()).await;
    f.ok("POST", "/keys/k/sign", sign_body()).await;
    let verify = json!({"alg": "RS256", "digest": b64url(&sha256(b"m")), "value": signed["value"]});
    assert_eq!(
        f.ok("POST", "/keys/k/verify", verify.clone()).await["value"],
        true
    );

    f.ok(
        "PATCH",
        "/keys/k",
        json!({"attributes": {"enabled": false}}),
    )
    .await;
    let r = f
        .call(f.people.admin, "POST", "/keys/k/sign", sign_body())
        .await;
    assert_error(&r, 403, "Forbidden");
    f.ok("PATCH", "/keys/k", json!({"attributes": {"enabled": true}}))
        .await;
    f.ok("POST", "/keys/k/sign", sign_body()).await;
    f.ok("PATCH", "/keys/k", json!({"attributes": {"exp": NOW + 10}}))
        .await;
    f.ok("POST", "/keys/k/sign", sign_body()).await;
    f.clock.advance(10);
    let r = f
        .call(f.people.admin, "POST", "/keys/k/sign", sign_body())
        .await;
    assert_error(&r, 403, "Forbidden");
    f.clock.set(NOW);

    // A rotation makes the new version the one that signs.
    let rotated = f.ok("POST", "/keys/k/rotate", Value::Null).await;
    let signed_new = f.ok("POST", "/keys/k/sign", sign_body()).await;
    assert_eq!(signed_new["kid"], rotated["key"]["kid"]);
    assert_ne!(signed_new["kid"], created["key"]["kid"]);
    let old_version = created["key"]["kid"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let old = f
        .ok("POST", &format!("/keys/k/{old_version}/sign"), sign_body())
        .await;
    assert_eq!(old["kid"], created["key"]["kid"]);

    let backup = f.ok("POST", "/keys/k/backup", Value::Null).await;
    f.ok("DELETE", "/keys/k", Value::Null).await;
    let r = f
        .call(f.people.admin, "POST", "/keys/k/sign", sign_body())
        .await;
    assert_error(&r, 404, "KeyNotFound");
    let r = f
        .call(
            f.people.admin,
            "POST",
            &format!("/keys/k/{old_version}/verify"),
            verify.clone(),
        )
        .await;
    assert_error(&r, 404, "KeyNotFound");
    f.ok("POST", "/deletedkeys/k/recover", Value::Null).await;
    f.ok("POST", "/keys/k/sign", sign_body()).await;
    f.ok("DELETE", "/keys/k", Value::Null).await;
    let r = f
        .call(f.people.admin, "DELETE", "/deletedkeys/k", Value::Null)
        .await;
    assert_eq!(r.status, 204);
    let r = f
        .call(
            f.people.admin,
            "POST",
            &format!("/keys/k/{old_version}/sign"),
            sign_body(),
        )
        .await;
    assert_error(&r, 404, "KeyNotFound");
    f.ok("POST", "/keys/restore", backup).await;
    let path = format!("/keys/k/{old_version}/verify");
    assert_eq!(f.ok("POST", &path, verify).await["value"], true);
}

#[tokio::test]
async fn secret_and_role_changes_reach_the_next_read() {
    let f = Fixture::new().await;
    let reader = f.people.secrets_user;
    f.ok("PUT", "/secrets/s", json!({"value": "one"})).await;
    let get = || f.call(reader, "GET", "/secrets/s", Value::Null);
    assert_eq!(get().await.body["value"], "one");
    f.ok("PUT", "/secrets/s", json!({"value": "two"})).await;
    assert_eq!(get().await.body["value"], "two");
    f.ok(
        "PATCH",
        "/secrets/s",
        json!({"attributes": {"enabled": false}}),
    )
    .await;
    assert_error(&get().await, 403, "Forbidden");
    f.ok(
        "PATCH",
        "/secrets/s",
        json!({"attributes": {"enabled": true, "nbf": NOW + 5}}),
    )
    .await;
    assert_error(&get().await, 403, "Forbidden");
    f.clock.advance(5);
    assert_eq!(get().await.body["value"], "two");
    f.ok("DELETE", "/secrets/s", Value::Null).await;
    assert_error(&get().await, 404, "SecretNotFound");
    f.ok("POST", "/deletedsecrets/s/recover", Value::Null).await;
    assert_eq!(get().await.body["value"], "two");

    // The world drops the reader's assignment: the next call is denied.
    let admin = rbac::role("Key Vault Administrator").unwrap().id;
    f.service
        .ensure_vault(&VaultSpec {
            name: "kv1".into(),
            tenant_id: f.tenant,
            retention_days: 90,
            purge_protection: false,
            role_assignments: vec![(f.people.admin, admin, String::new())],
            keys: vec![],
            secrets: vec![],
            certificates: vec![],
            throttling: None,
        })
        .await
        .unwrap();
    assert_error(&get().await, 403, "Forbidden");
}
