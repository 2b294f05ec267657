//! Secrets: versions, update, soft delete, oversized values, concurrency, encryption at rest.

use serde_json::json;

use super::*;

#[tokio::test]
async fn set_get_versions_update() {
    let f = Fixture::new().await;
    let v1 = f
        .ok(
            "PUT",
            "/secrets/db",
            json!({"value": "one", "contentType": "text/plain", "tags": {"env": "dev"}}),
        )
        .await;
    let v2 = f.ok("PUT", "/secrets/db", json!({"value": "two"})).await;
    assert_ne!(v1["id"], v2["id"]);
    assert_eq!(v1["contentType"], "text/plain");
    assert!(
        v1["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{BASE}/secrets/db/"))
    );
    let latest = f.ok("GET", "/secrets/db/", Value::Null).await;
    assert_eq!(latest["value"], "two");
    let id1 = v1["id"].as_str().unwrap().strip_prefix(BASE).unwrap();
    assert_eq!(f.ok("GET", id1, Value::Null).await["value"], "one");
    let versions = f.ok("GET", "/secrets/db/versions", Value::Null).await;
    let items = versions["value"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i.get("value").is_none()));
    let list = f.ok("GET", "/secrets", Value::Null).await;
    assert_eq!(list["value"][0]["id"], format!("{BASE}/secrets/db"));
    assert!(list["value"][0].get("value").is_none());

    let updated = f
        .ok(
            "PATCH",
            id1,
            json!({"contentType": "x", "tags": {"a": "b"}, "attributes": {"enabled": false}}),
        )
        .await;
    assert_eq!(updated["attributes"]["enabled"], false);
    assert!(updated.get("value").is_none());
    let r = f.call(f.people.admin, "GET", id1, Value::Null).await;
    assert_error(&r, 403, "Forbidden");
    f.ok(
        "PUT",
        "/secrets/later",
        json!({"value": "x", "attributes": {"nbf": NOW + 60}}),
    )
    .await;
    let r = f
        .call(f.people.admin, "GET", "/secrets/later", Value::Null)
        .await;
    assert_error(&r, 403, "Forbidden");
    let r = f
        .call(f.people.admin, "GET", "/secrets/none", Value::Null)
        .await;
    assert_error(&r, 404, "SecretNotFound");
}

#[tokio::test]
async fn delete_recover_purge_and_name_reuse() {
    let f = Fixture::new().await;
    f.ok("PUT", "/secrets/s", json!({"value": "v"})).await;
    let deleted = f.ok("DELETE", "/secrets/s", Value::Null).await;
    assert_eq!(deleted["recoveryId"], format!("{BASE}/deletedsecrets/s"));
    assert!(deleted.get("value").is_none());
    let r = f
        .call(
            f.people.admin,
            "PUT",
            "/secrets/s",
            json!({"value": "again"}),
        )
        .await;
    assert_error(&r, 409, "Conflict");
    f.ok("POST", "/deletedsecrets/s/recover", Value::Null).await;
    assert_eq!(f.ok("GET", "/secrets/s", Value::Null).await["value"], "v");
    f.ok("DELETE", "/secrets/s", Value::Null).await;
    let r = f
        .call(f.people.admin, "DELETE", "/deletedsecrets/s", Value::Null)
        .await;
    assert_eq!(r.status, 204);
    f.ok("PUT", "/secrets/s", json!({"value": "fresh"})).await;
    let backup = f.ok("POST", "/secrets/s/backup", Value::Null).await;
    f.ok("DELETE", "/secrets/s", Value::Null).await;
    f.call(f.people.admin, "DELETE", "/deletedsecrets/s", Value::Null)
        .await;
    f.ok("POST", "/secrets/restore", backup).await;
    assert_eq!(
        f.ok("GET", "/secrets/s", Value::Null).await["value"],
        "fresh"
    );
}

#[tokio::test]
async fn bad_secret_input_changes_nothing() {
    let f = Fixture::new().await;
    f.ok("PUT", "/secrets/s", json!({"value": "keep"})).await;
    let token = f.token(f.people.admin);
    let big = "x".repeat(25 * 1024 + 1);
    for (path, body) in [
        ("/secrets/s", json!({"value": big}).to_string()),
        ("/secrets/s", "{\"value\": ".to_string()),
        ("/secrets/s", json!({"value": 5}).to_string()),
        ("/secrets/s", json!({"contentType": "x"}).to_string()),
        ("/secrets/s", String::new()),
        ("/secrets/s%20x", json!({"value": "v"}).to_string()),
        ("/secrets/under_score", json!({"value": "v"}).to_string()),
    ] {
        let r = f
            .raw(
                "PUT",
                &format!("{path}?api-version=7.6"),
                Some(&token),
                &body,
            )
            .await;
        assert_error(&r, 400, "BadParameter");
    }
    let versions = f.ok("GET", "/secrets/s/versions", Value::Null).await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        f.ok("GET", "/secrets/s", Value::Null).await["value"],
        "keep"
    );
}

#[tokio::test]
async fn concurrent_writers_never_lose_a_version() {
    let dir = std::env::temp_dir().join(format!("sb-vault-conc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("v.db");
    let _ = std::fs::remove_file(&path);
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    let f = Arc::new(Fixture::with_store(store, false).await);
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let f = f.clone();
            tokio::spawn(async move {
                f.ok("PUT", "/secrets/shared", json!({"value": format!("v{i}")}))
                    .await;
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let versions = f.ok("GET", "/secrets/shared/versions", Value::Null).await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 24);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn no_key_or_secret_bytes_in_the_database_file() {
    let dir = std::env::temp_dir().join(format!("sb-vault-rest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("v.db");
    let _ = std::fs::remove_file(&path);
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    let f = Fixture::with_store(store, false).await;
    let secret = "correct-horse-battery-staple-0123456789";
    f.ok("PUT", "/secrets/s", json!({"value": secret})).await;
    // An imported RSA key whose private exponent we know.
    let pkcs8 = skybridge_pki::generate_key(skybridge_pki::KeyKind::Rsa2048).unwrap();
    let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&pkcs8).unwrap();
    let _ = pair;
    let created = f.ok("POST", "/keys/k/create", json!({"kty": "EC"})).await;
    assert!(created["key"].get("d").is_none());
    f.ok(
        "POST",
        "/certificates/c/create",
        json!({"policy": {"x509_props": {"subject": "CN=c"}, "issuer": {"name": "Self"}}}),
    )
    .await;
    let backup = f.ok("POST", "/secrets/s/backup", Value::Null).await;
    assert!(!backup.to_string().contains(secret));
    drop(f);
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(dir.join("v.db-wal")) {
        bytes.extend_from_slice(&wal);
    }
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    // No PKCS#8 header of a private key (the RSA and EC ones start with these bytes).
    for marker in [
        &b"\x02\x01\x00\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"[..],
        b"\x02\x01\x00\x30\x13\x06\x07\x2a\x86\x48\xce\x3d\x02\x01",
    ] {
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker),
            "a private key is stored in clear"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
