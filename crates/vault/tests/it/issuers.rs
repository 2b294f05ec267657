//! Certificate issuers and contacts: exact wire shapes (as in Azure's recordings), RBAC, the
//! sealed issuer password, Key Vault's 404 codes.

use super::*;

fn admin_details() -> Value {
    json!([{"first_name": "John", "last_name": "Doe", "email": "admin@example.com", "phone": "4255555555"}])
}

#[tokio::test]
async fn issuer_crud_with_key_vault_shapes() {
    let dir = std::env::temp_dir().join(format!("sb-vault-issuers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("v.db");
    let _ = std::fs::remove_file(&path);
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    let f = Fixture::with_store(store, false).await;
    let password = "issuer-password-5f0c1a77e2";
    let set = f
        .ok(
            "PUT",
            "/certificates/issuers/issuer1",
            json!({"provider": "Test",
                   "credentials": {"account_id": "keyvaultuser", "pwd": password},
                   "org_details": {"admin_details": admin_details()},
                   "attributes": {"enabled": true}}),
        )
        .await;
    let expected = json!({
        "id": format!("{BASE}/certificates/issuers/issuer1"),
        "provider": "Test",
        "credentials": {"account_id": "keyvaultuser"},
        "org_details": {"zip": 0, "admin_details": admin_details()},
        "attributes": {"enabled": true, "created": NOW, "updated": NOW},
    });
    assert_eq!(set, expected);
    assert_eq!(
        f.ok("GET", "/certificates/issuers/issuer1", Value::Null)
            .await,
        expected
    );
    let vault = f.service.vault("kv1").await.unwrap().unwrap();
    assert_eq!(
        f.service
            .issuer_password(&vault, "issuer1")
            .await
            .unwrap()
            .as_deref(),
        Some(password)
    );

    // PATCH changes what it names; the password stays.
    f.clock.advance(5);
    let patched = f
        .ok(
            "PATCH",
            "/certificates/issuers/ISSUER1",
            json!({"credentials": {"account_id": "keyvaultuser2"}}),
        )
        .await;
    assert_eq!(
        patched["credentials"],
        json!({"account_id": "keyvaultuser2"})
    );
    assert_eq!(
        patched["id"],
        format!("{BASE}/certificates/issuers/issuer1")
    );
    assert_eq!(patched["attributes"]["created"], NOW);
    assert_eq!(patched["attributes"]["updated"], NOW + 5);
    assert_eq!(patched["org_details"]["admin_details"], admin_details());
    assert_eq!(
        f.service
            .issuer_password(&vault, "issuer1")
            .await
            .unwrap()
            .as_deref(),
        Some(password)
    );

    // Lists page like every other list.
    f.ok(
        "PUT",
        "/certificates/issuers/issuer2",
        json!({"provider": "DigiCert"}),
    )
    .await;
    let page = f
        .ok("GET", "/certificates/issuers?maxresults=1", Value::Null)
        .await;
    assert_eq!(
        page["value"],
        json!([{"id": format!("{BASE}/certificates/issuers/issuer1"), "provider": "Test"}])
    );
    let next = page["nextLink"]
        .as_str()
        .unwrap()
        .strip_prefix(BASE)
        .unwrap();
    let page2 = f.raw("GET", next, Some(&f.token(f.people.admin)), "").await;
    assert_eq!(page2.body["value"][0]["provider"], "DigiCert");
    assert_eq!(page2.body["nextLink"], Value::Null);

    // A configured issuer: Skybridge does not enroll with CA providers.
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/c/create",
            json!({"policy": {"x509_props": {"subject": "CN=c"}, "issuer": {"name": "issuer1"}}}),
        )
        .await;
    assert_error(&r, 501, "NotImplemented");

    // Bad input changes nothing.
    for body in [
        json!({"credentials": {"account_id": "x"}}),
        json!({"provider": ""}),
        json!({"provider": 5}),
    ] {
        let r = f
            .call(f.people.admin, "PUT", "/certificates/issuers/issuer1", body)
            .await;
        assert_error(&r, 400, "BadParameter");
    }
    let r = f
        .call(
            f.people.admin,
            "PUT",
            "/certificates/issuers/bad_name",
            json!({"provider": "Test"}),
        )
        .await;
    assert_error(&r, 400, "BadParameter");

    // RBAC: issuers are certificatecas/*.
    let r = f
        .call(
            f.people.secrets_user,
            "GET",
            "/certificates/issuers/issuer1",
            Value::Null,
        )
        .await;
    assert_error(&r, 403, "Forbidden");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.KeyVault/vaults/certificatecas/read")
    );

    let deleted = f
        .ok("DELETE", "/certificates/issuers/issuer1", Value::Null)
        .await;
    assert_eq!(
        deleted["credentials"],
        json!({"account_id": "keyvaultuser2"})
    );
    let r = f
        .call(
            f.people.admin,
            "GET",
            "/certificates/issuers/issuer1",
            Value::Null,
        )
        .await;
    assert_error(&r, 404, "CertificateIssuerNotFound");
    assert_eq!(r.body["error"]["message"], "Issuer not found");
    let r = f
        .call(
            f.people.admin,
            "DELETE",
            "/certificates/issuers/issuer1",
            Value::Null,
        )
        .await;
    assert_error(&r, 404, "CertificateIssuerNotFound");

    // The password never reaches the database file in clear.
    drop(f);
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(dir.join("v.db-wal")) {
        bytes.extend_from_slice(&wal);
    }
    assert!(
        !bytes
            .windows(password.len())
            .any(|w| w == password.as_bytes())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn contacts_set_get_delete() {
    let f = Fixture::new().await;
    let r = f
        .call(f.people.admin, "GET", "/certificates/contacts", Value::Null)
        .await;
    assert_error(&r, 404, "ContactsNotFound");
    assert_eq!(r.body["error"]["message"], "Contacts not found");
    let contacts = json!([
        {"email": "a@example.com", "name": "a", "phone": "111111111111"},
        {"email": "b@example.com", "name": "b"}
    ]);
    let expected = json!({"id": format!("{BASE}/certificates/contacts"), "contacts": contacts});
    let set = f
        .ok(
            "PUT",
            "/certificates/contacts",
            json!({"contacts": contacts}),
        )
        .await;
    assert_eq!(set, expected);
    assert_eq!(
        f.ok("GET", "/certificates/contacts", Value::Null).await,
        expected
    );
    for body in [
        json!({"contacts": [{}]}),
        json!({"contacts": "a@example.com"}),
    ] {
        let r = f
            .call(f.people.admin, "PUT", "/certificates/contacts", body)
            .await;
        assert_error(&r, 400, "BadParameter");
    }
    let r = f
        .call(
            f.people.secrets_user,
            "GET",
            "/certificates/contacts",
            Value::Null,
        )
        .await;
    assert_error(&r, 403, "Forbidden");
    assert_eq!(
        f.ok("DELETE", "/certificates/contacts", Value::Null).await,
        expected
    );
    let r = f
        .call(
            f.people.admin,
            "DELETE",
            "/certificates/contacts",
            Value::Null,
        )
        .await;
    assert_error(&r, 404, "ContactsNotFound");
}
