//! Certificates: self-signed creation, the linked key and secret, import, policy, delete.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use skybridge_jose::Alg;

use super::*;

fn policy(subject: &str, content_type: &str, exportable: bool) -> Value {
    json!({
        "key_props": {"exportable": exportable, "kty": "RSA", "key_size": 2048, "reuse_key": false},
        "secret_props": {"contentType": content_type},
        "x509_props": {"subject": subject, "sans": {"dns_names": ["client.example"]},
                       "ekus": ["1.3.6.1.5.5.7.3.2"], "key_usage": ["digitalSignature"], "validity_months": 12},
        "issuer": {"name": "Self"}
    })
}

#[tokio::test]
async fn create_self_signed_and_sign_a_jwt_with_its_key() {
    let f = Fixture::new().await;
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/client/create",
            json!({"policy": policy("CN=client", "application/x-pkcs12", false)}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["status"], "inProgress");
    assert_eq!(r.body["id"], format!("{BASE}/certificates/client/pending"));
    assert!(r.headers.contains_key("location"));
    let pending = f
        .ok("GET", "/certificates/client/pending", Value::Null)
        .await;
    assert_eq!(pending["status"], "completed");
    assert_eq!(pending["target"], format!("{BASE}/certificates/client"));

    let cert = f.ok("GET", "/certificates/client/", Value::Null).await;
    let version = cert["id"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(cert["kid"], format!("{BASE}/keys/client/{version}"));
    assert_eq!(cert["sid"], format!("{BASE}/secrets/client/{version}"));
    let der = STANDARD.decode(cert["cer"].as_str().unwrap()).unwrap();
    assert_eq!(cert["x5t"], skybridge_pki::thumbprint::x5t(&der));
    let info = skybridge_pki::parse_certificate(&der).unwrap();
    assert_eq!(info.subject, "CN=client");
    assert_eq!(info.dns_names, ["client.example"]);
    assert_eq!(cert["attributes"]["exp"], info.not_after);
    assert_eq!(
        cert["policy"]["id"],
        format!("{BASE}/certificates/client/policy")
    );

    // The managed key signs a JWT the certificate's public key verifies.
    let key = f
        .ok("GET", &format!("/keys/client/{version}"), Value::Null)
        .await;
    assert_eq!(key["managed"], true);
    assert_eq!(key["attributes"]["exportable"], false);
    let input = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0";
    let signed = f
        .ok(
            "POST",
            &format!("/keys/client/{version}/sign"),
            json!({"alg": "RS256", "value": b64url(&sha256(input.as_bytes()))}),
        )
        .await;
    let vk = skybridge_jose::VerifyingKey::from_spki_der(&info.spki_der).unwrap();
    vk.verify(Alg::RS256, input.as_bytes(), &unb64url(&signed["value"]))
        .unwrap();

    // The secret: a PFX without the private key (not exportable).
    let secret = f
        .ok("GET", &format!("/secrets/client/{version}"), Value::Null)
        .await;
    assert_eq!(secret["managed"], true);
    assert_eq!(secret["kid"], cert["kid"]);
    assert_eq!(secret["contentType"], "application/x-pkcs12");
    let pfx = skybridge_pki::pfx_import(
        &STANDARD.decode(secret["value"].as_str().unwrap()).unwrap(),
        "",
    )
    .unwrap();
    assert!(pfx.key_pkcs8.is_none());
    assert_eq!(pfx.chain, vec![der.clone()]);

    // Managed objects are managed through the certificate.
    let r = f
        .call(f.people.admin, "DELETE", "/keys/client", Value::Null)
        .await;
    assert_error(&r, 403, "Forbidden");
    let r = f
        .call(
            f.people.admin,
            "PUT",
            "/secrets/client",
            json!({"value": "x"}),
        )
        .await;
    assert_error(&r, 403, "Forbidden");

    // Disabling the certificate disables its key.
    f.ok(
        "PATCH",
        "/certificates/client",
        json!({"attributes": {"enabled": false}}),
    )
    .await;
    let r = f
        .call(
            f.people.admin,
            "POST",
            &format!("/keys/client/{version}/sign"),
            json!({"alg": "RS256", "value": b64url(&sha256(b"m"))}),
        )
        .await;
    assert_error(&r, 403, "Forbidden");
    f.ok(
        "PATCH",
        "/certificates/client",
        json!({"attributes": {"enabled": true}}),
    )
    .await;

    let list = f.ok("GET", "/certificates", Value::Null).await;
    assert_eq!(
        list["value"][0]["id"],
        format!("{BASE}/certificates/client")
    );
    f.call(
        f.people.admin,
        "POST",
        "/certificates/client/create",
        json!({"policy": policy("CN=client2", "application/x-pkcs12", false)}),
    )
    .await;
    let versions = f
        .ok("GET", "/certificates/client/versions", Value::Null)
        .await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 2);

    let deleted = f.ok("DELETE", "/certificates/client", Value::Null).await;
    assert_eq!(
        deleted["recoveryId"],
        format!("{BASE}/deletedcertificates/client")
    );
    let r = f
        .call(f.people.admin, "GET", "/keys/client", Value::Null)
        .await;
    assert_error(&r, 404, "KeyNotFound");
    let deleted_keys = f.ok("GET", "/deletedkeys", Value::Null).await;
    assert!(deleted_keys["value"].as_array().unwrap().is_empty());
    let r = f
        .call(f.people.admin, "GET", "/deletedsecrets/client", Value::Null)
        .await;
    assert_error(&r, 404, "SecretNotFound");
    f.ok("GET", "/deletedcertificates/client", Value::Null)
        .await;
    f.ok("POST", "/deletedcertificates/client/recover", Value::Null)
        .await;
    f.ok("GET", "/secrets/client", Value::Null).await;
}

#[tokio::test]
async fn exportable_pem_and_policy_update() {
    let f = Fixture::new().await;
    let mut p = policy("CN=pem", "application/x-pem-file", true);
    p["key_props"] = json!({"kty": "EC", "crv": "P-384", "exportable": true});
    f.call(
        f.people.admin,
        "POST",
        "/certificates/pem/create",
        json!({"policy": p}),
    )
    .await;
    let secret = f.ok("GET", "/secrets/pem", Value::Null).await;
    let text = secret["value"].as_str().unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"), "{text}");
    assert!(text.contains("-----BEGIN CERTIFICATE-----"));
    let got = f.ok("GET", "/certificates/pem/policy", Value::Null).await;
    assert_eq!(got["key_props"]["crv"], "P-384");
    let updated = f
        .ok(
            "PATCH",
            "/certificates/pem/policy",
            json!({"secret_props": {"contentType": "application/x-pkcs12"}}),
        )
        .await;
    assert_eq!(
        updated["secret_props"]["contentType"],
        "application/x-pkcs12"
    );
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/x/create",
            json!({"policy": {"issuer": {"name": "Self"}}}),
        )
        .await;
    assert_error(&r, 400, "BadParameter");
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/x/create",
            json!({"policy": {"x509_props": {"subject": "CN=x"}, "issuer": {"name": "DigiCert"}}}),
        )
        .await;
    // A named issuer must exist (issuers.rs covers a configured one: 501, no CA enrollment).
    assert_error(&r, 404, "CertificateIssuerNotFound");
}

#[tokio::test]
async fn import_pfx_and_pem() {
    let f = Fixture::new().await;
    let key = skybridge_pki::generate_key(skybridge_pki::KeyKind::Rsa2048).unwrap();
    let spec = skybridge_pki::SubjectSpec {
        common_name: "imported".into(),
        dns_names: vec![],
        not_before: NOW - 10,
        not_after: NOW + 86_400,
    };
    let ck = skybridge_pki::self_signed(&spec, &key).unwrap();
    let pfx =
        skybridge_pki::pfx_export(&key, std::slice::from_ref(&ck.cert_der), "pw", "x").unwrap();
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/imp/import",
            json!({"value": STANDARD.encode(&pfx), "pwd": "wrong"}),
        )
        .await;
    assert_error(&r, 400, "BadParameter");
    let cert = f
        .ok(
            "POST",
            "/certificates/imp/import",
            json!({"value": STANDARD.encode(&pfx), "pwd": "pw"}),
        )
        .await;
    assert_eq!(cert["x5t"], skybridge_pki::thumbprint::x5t(&ck.cert_der));
    assert_eq!(cert["policy"]["issuer"]["name"], "Self");
    let kid = cert["kid"]
        .as_str()
        .unwrap()
        .strip_prefix(BASE)
        .unwrap()
        .to_string();
    let signed = f
        .ok(
            "POST",
            &format!("{kid}/sign"),
            json!({"alg": "PS256", "value": b64url(&sha256(b"m"))}),
        )
        .await;
    let vk = skybridge_jose::VerifyingKey::from_spki_der(
        &skybridge_pki::parse_certificate(&ck.cert_der)
            .unwrap()
            .spki_der,
    )
    .unwrap();
    vk.verify(Alg::PS256, b"m", &unb64url(&signed["value"]))
        .unwrap();
    let secret = f.ok("GET", "/secrets/imp", Value::Null).await;
    let back = skybridge_pki::pfx_import(
        &STANDARD.decode(secret["value"].as_str().unwrap()).unwrap(),
        "",
    )
    .unwrap();
    assert_eq!(back.key_pkcs8.as_deref(), Some(key.as_slice()));

    let pem = format!("{}{}", ck.key_pem(), ck.cert_pem());
    let cert = f.ok("POST", "/certificates/imp-pem/import", json!({"value": pem, "policy": {"secret_props": {"contentType": "application/x-pem-file"}}})).await;
    assert_eq!(cert["contentType"], "application/x-pem-file");
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/nokey/import",
            json!({"value": ck.cert_pem()}),
        )
        .await;
    assert_error(&r, 400, "BadParameter");
    let backup = f.ok("POST", "/certificates/imp/backup", Value::Null).await;
    f.ok("DELETE", "/certificates/imp", Value::Null).await;
    f.call(
        f.people.admin,
        "DELETE",
        "/deletedcertificates/imp",
        Value::Null,
    )
    .await;
    let restored = f.ok("POST", "/certificates/restore", backup).await;
    assert_eq!(
        restored["x5t"],
        skybridge_pki::thumbprint::x5t(&ck.cert_der)
    );
    f.ok(
        "POST",
        &format!("{kid}/sign"),
        json!({"alg": "RS256", "value": b64url(&sha256(b"m"))}),
    )
    .await;
}
