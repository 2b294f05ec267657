//! Keys: lifecycle, crypto, paging, soft delete, backup and bad input.

use serde_json::json;
use skybridge_jose::{Alg, Jwk};

use super::*;

#[tokio::test]
async fn create_get_sign_verify_every_type() {
    let f = Fixture::new().await;
    for (name, body, alg) in [
        ("rsa2048", json!({"kty": "RSA"}), "RS256"),
        ("rsa3072", json!({"kty": "RSA", "key_size": 3072}), "PS384"),
        (
            "rsa4096",
            json!({"kty": "RSA-HSM", "key_size": 4096}),
            "RS512",
        ),
        ("p256", json!({"kty": "EC", "crv": "P-256"}), "ES256"),
        ("p384", json!({"kty": "EC", "crv": "P-384"}), "ES384"),
        ("p521", json!({"kty": "EC-HSM", "crv": "P-521"}), "ES512"),
    ] {
        let created = f.ok("POST", &format!("/keys/{name}/create"), body).await;
        let kid = created["key"]["kid"].as_str().unwrap().to_string();
        assert!(kid.starts_with(&format!("{BASE}/keys/{name}/")), "{kid}");
        assert_eq!(kid.rsplit('/').next().unwrap().len(), 32);
        assert!(created["key"].get("d").is_none(), "no private parts");
        assert_eq!(
            created["attributes"]["recoveryLevel"],
            "Recoverable+Purgeable"
        );
        assert_eq!(created["attributes"]["recoverableDays"], 90);
        assert_eq!(created["attributes"]["created"], NOW);
        let got = f.ok("GET", &format!("/keys/{name}/"), Value::Null).await;
        assert_eq!(got["key"], created["key"]);

        let a = Alg::from_name(alg).unwrap();
        let digest = sha256(name.as_bytes());
        let digest = match a.hash_len() {
            32 => digest,
            48 => aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA384, name.as_bytes())
                .as_ref()
                .to_vec(),
            _ => aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, name.as_bytes())
                .as_ref()
                .to_vec(),
        };
        let path = kid.strip_prefix(BASE).unwrap();
        let signed = f
            .ok(
                "POST",
                &format!("{path}/sign"),
                json!({"alg": alg, "value": b64url(&digest)}),
            )
            .await;
        assert_eq!(signed["kid"], kid.as_str());
        let sig = unb64url(&signed["value"]);
        // Independently: the public JWK verifies the signature over the message.
        let jwk: Jwk = serde_json::from_value(created["key"].clone()).unwrap();
        let key = Jwk {
            kid: None,
            key_ops: None,
            ..jwk
        }
        .verifying_key()
        .unwrap();
        key.verify(a, name.as_bytes(), &sig).unwrap();
        let verified = f
            .ok(
                "POST",
                &format!("{path}/verify"),
                json!({"alg": alg, "digest": b64url(&digest), "value": b64url(&sig)}),
            )
            .await;
        assert_eq!(verified["value"], true);
    }
}

#[tokio::test]
async fn encrypt_wrap_and_their_inverses() {
    let f = Fixture::new().await;
    f.ok("POST", "/keys/k/create", json!({"kty": "RSA"})).await;
    for alg in ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256"] {
        for (op, inv) in [("encrypt", "decrypt"), ("wrapkey", "unwrapkey")] {
            let out = f
                .ok(
                    "POST",
                    &format!("/keys/k/{op}"),
                    json!({"alg": alg, "value": b64url(b"0123456789abcdef")}),
                )
                .await;
            let back = f
                .ok(
                    "POST",
                    &format!("/keys/k/{inv}"),
                    json!({"alg": alg, "value": out["value"]}),
                )
                .await;
            assert_eq!(unb64url(&back["value"]), b"0123456789abcdef");
        }
    }
}

#[tokio::test]
async fn bad_crypto_input_is_400() {
    let f = Fixture::new().await;
    f.ok("POST", "/keys/k/create", json!({"kty": "RSA"})).await;
    f.ok("POST", "/keys/e/create", json!({"kty": "EC"})).await;
    let cases = [
        (
            "/keys/k/sign",
            json!({"alg": "RS256", "value": b64url(&[0; 20])}),
        ),
        (
            "/keys/k/sign",
            json!({"alg": "HS256", "value": b64url(&[0; 32])}),
        ),
        (
            "/keys/k/sign",
            json!({"alg": "ES256", "value": b64url(&[0; 32])}),
        ),
        (
            "/keys/e/sign",
            json!({"alg": "ES384", "value": b64url(&[0; 48])}),
        ),
        ("/keys/k/sign", json!({"alg": "RS256", "value": "***"})),
        ("/keys/k/sign", json!({"alg": "RS256"})),
        ("/keys/k/encrypt", json!({"alg": "A128GCM", "value": "AA"})),
        (
            "/keys/k/decrypt",
            json!({"alg": "RSA-OAEP", "value": b64url(&[1; 256])}),
        ),
        ("/keys/bad_name/create", json!({"kty": "RSA"})),
        ("/keys/k2/create", json!({"kty": "RSA", "key_size": 1024})),
        ("/keys/k2/create", json!({"kty": "EC", "crv": "P-256K"})),
        ("/keys/k2/create", json!({"kty": "oct"})),
        ("/keys/k2/create", json!({"kty": "RSA", "key_ops": ["fly"]})),
    ];
    for (path, body) in cases {
        let r = f.call(f.people.admin, "POST", path, body.clone()).await;
        assert_error(&r, 400, "BadParameter");
        assert!(!r.body.to_string().contains("***"), "{body}");
    }
    let r = f
        .raw(
            "POST",
            "/keys/k/sign?api-version=7.6",
            Some(&f.token(f.people.admin)),
            "{not json",
        )
        .await;
    assert_error(&r, 400, "BadParameter");
    let long = "a".repeat(128);
    let r = f
        .call(
            f.people.admin,
            "POST",
            &format!("/keys/{long}/create"),
            json!({"kty": "RSA"}),
        )
        .await;
    assert_error(&r, 400, "BadParameter");
    // Nothing was stored by the failures.
    let list = f.ok("GET", "/keys", Value::Null).await;
    assert_eq!(list["value"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn unusable_keys_refuse_to_operate() {
    let f = Fixture::new().await;
    f.ok("POST", "/keys/k/create", json!({"kty": "RSA"})).await;
    let digest = json!({"alg": "RS256", "value": b64url(&sha256(b"m"))});
    f.ok(
        "PATCH",
        "/keys/k",
        json!({"attributes": {"enabled": false}}),
    )
    .await;
    let r = f
        .call(f.people.admin, "POST", "/keys/k/sign", digest.clone())
        .await;
    assert_error(&r, 403, "Forbidden");
    f.ok(
        "PATCH",
        "/keys/k",
        json!({"attributes": {"enabled": true, "nbf": NOW + 60}}),
    )
    .await;
    let r = f
        .call(f.people.admin, "POST", "/keys/k/sign", digest.clone())
        .await;
    assert_error(&r, 403, "Forbidden");
    f.ok(
        "PATCH",
        "/keys/k",
        json!({"attributes": {"nbf": NOW - 60, "exp": NOW - 1}}),
    )
    .await;
    let r = f
        .call(f.people.admin, "POST", "/keys/k/sign", digest.clone())
        .await;
    assert_error(&r, 403, "Forbidden");
    f.ok(
        "PATCH",
        "/keys/k",
        json!({"attributes": {"exp": NOW + 60}, "key_ops": ["verify"]}),
    )
    .await;
    let r = f
        .call(f.people.admin, "POST", "/keys/k/sign", digest.clone())
        .await;
    assert_error(&r, 403, "Forbidden");
    let updated = f
        .ok(
            "PATCH",
            "/keys/k",
            json!({"key_ops": ["sign"], "tags": {"a": "b"}}),
        )
        .await;
    assert_eq!(updated["tags"]["a"], "b");
    assert_eq!(updated["key"]["key_ops"], json!(["sign"]));
    f.ok("POST", "/keys/k/sign", digest).await;
}

#[tokio::test]
async fn import_jwk_list_paging_versions_rotate() {
    let f = Fixture::new().await;
    // Import: an EC key from its JWK with d.
    let pair = aws_lc_rs::signature::EcdsaKeyPair::generate(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
    )
    .unwrap();
    use aws_lc_rs::encoding::AsBigEndian;
    use aws_lc_rs::signature::KeyPair;
    let point = pair.public_key().as_ref().to_vec();
    let d: aws_lc_rs::encoding::EcPrivateKeyBin<'_> = pair.private_key().as_be_bytes().unwrap();
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64url(&point[1..33]), "y": b64url(&point[33..]), "d": b64url(d.as_ref())});
    let imported = f.ok("PUT", "/keys/imported", json!({"key": jwk})).await;
    assert_eq!(imported["key"]["x"], jwk["x"]);
    assert!(imported["key"].get("d").is_none());

    for i in 0..4 {
        f.ok(
            "POST",
            &format!("/keys/key{i}/create"),
            json!({"kty": "EC"}),
        )
        .await;
    }
    f.ok("POST", "/keys/key0/rotate", Value::Null).await;
    f.ok("POST", "/keys/key0/create", json!({"kty": "EC"}))
        .await;
    // Pages of two, following nextLink verbatim.
    let mut uri = "/keys?api-version=7.6&maxresults=2".to_string();
    let mut names = vec![];
    let token = f.token(f.people.admin);
    loop {
        let r = f.raw("GET", &uri, Some(&token), "").await;
        assert_eq!(r.status, 200, "{}", r.body);
        for item in r.body["value"].as_array().unwrap() {
            names.push(
                item["kid"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
        match r.body["nextLink"].as_str() {
            Some(next) => uri = next.strip_prefix(BASE).unwrap().to_string(),
            None => break,
        }
    }
    assert_eq!(names, ["imported", "key0", "key1", "key2", "key3"]);
    let versions = f.ok("GET", "/keys/key0/versions", Value::Null).await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 3);
    assert!(versions["nextLink"].is_null());
    let r = f
        .call(f.people.admin, "GET", "/keys?maxresults=26", Value::Null)
        .await;
    assert_error(&r, 400, "BadParameter");
    let r = f
        .call(f.people.admin, "GET", "/keys/nope", Value::Null)
        .await;
    assert_error(&r, 404, "KeyNotFound");
    let r = f
        .call(
            f.people.admin,
            "GET",
            "/keys/key0/00000000000000000000000000000000",
            Value::Null,
        )
        .await;
    assert_error(&r, 404, "KeyNotFound");
}

#[tokio::test]
async fn delete_recover_purge_backup_restore() {
    let f = Fixture::new().await;
    let created = f
        .ok(
            "POST",
            "/keys/k/create",
            json!({"kty": "RSA", "tags": {"t": "1"}}),
        )
        .await;
    let deleted = f.ok("DELETE", "/keys/k", Value::Null).await;
    assert_eq!(deleted["recoveryId"], format!("{BASE}/deletedkeys/k"));
    assert_eq!(deleted["deletedDate"], NOW);
    assert_eq!(deleted["scheduledPurgeDate"], NOW + 90 * 86_400);
    assert_eq!(deleted["key"]["kid"], created["key"]["kid"]);
    let r = f.call(f.people.admin, "GET", "/keys/k", Value::Null).await;
    assert_error(&r, 404, "KeyNotFound");
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/keys/k/create",
            json!({"kty": "RSA"}),
        )
        .await;
    assert_error(&r, 409, "Conflict");
    assert_eq!(
        r.body["error"]["innererror"]["code"],
        "ObjectIsDeletedButRecoverable"
    );
    f.ok("GET", "/deletedkeys/k", Value::Null).await;
    let list = f.ok("GET", "/deletedkeys", Value::Null).await;
    assert_eq!(
        list["value"][0]["recoveryId"],
        format!("{BASE}/deletedkeys/k")
    );
    let recovered = f.ok("POST", "/deletedkeys/k/recover", Value::Null).await;
    assert_eq!(recovered["key"]["kid"], created["key"]["kid"]);

    let backup = f.ok("POST", "/keys/k/backup", Value::Null).await;
    let r = f
        .call(f.people.admin, "POST", "/keys/restore", backup.clone())
        .await;
    assert_error(&r, 409, "Conflict");
    f.ok("DELETE", "/keys/k", Value::Null).await;
    let r = f
        .call(f.people.admin, "DELETE", "/deletedkeys/k", Value::Null)
        .await;
    assert_eq!(r.status, 204);
    let r = f
        .call(f.people.admin, "GET", "/deletedkeys/k", Value::Null)
        .await;
    assert_error(&r, 404, "KeyNotFound");
    let restored = f.ok("POST", "/keys/restore", backup).await;
    assert_eq!(restored["key"]["kid"], created["key"]["kid"]);
    assert_eq!(restored["tags"]["t"], "1");
    f.ok(
        "POST",
        "/keys/k/sign",
        json!({"alg": "RS256", "value": b64url(&sha256(b"m"))}),
    )
    .await;
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/secrets/restore",
            json!({"value": "AAAA"}),
        )
        .await;
    assert_error(&r, 400, "BadParameter");
}

#[tokio::test]
async fn purge_protection_refuses_purge_and_retention_purges() {
    let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
    let f = Fixture::with_store(store, true).await;
    let created = f.ok("POST", "/keys/k/create", json!({"kty": "EC"})).await;
    assert_eq!(created["attributes"]["recoveryLevel"], "Recoverable");
    f.ok("DELETE", "/keys/k", Value::Null).await;
    let r = f
        .call(f.people.admin, "DELETE", "/deletedkeys/k", Value::Null)
        .await;
    assert_error(&r, 403, "Forbidden");
    f.clock.advance(90 * 86_400);
    assert_eq!(f.service.purge_expired().await.unwrap(), 1);
    let r = f
        .call(f.people.admin, "GET", "/deletedkeys/k", Value::Null)
        .await;
    assert_error(&r, 404, "KeyNotFound");
    f.ok("POST", "/keys/k/create", json!({"kty": "EC"})).await;
}
