//! Issuer `Unknown`: the pending operation with a real CSR, a CA signing it, the merge, and
//! the operation's cancel and delete — shapes as in Azure's recordings and docs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use skybridge_jose::Alg;
use x509_parser::prelude::FromDer;

use super::*;

fn unknown_policy(subject: &str) -> Value {
    json!({"policy": {
        "key_props": {"exportable": true, "kty": "RSA", "key_size": 2048, "reuse_key": false},
        "secret_props": {"contentType": "application/x-pkcs12"},
        "x509_props": {"subject": subject, "sans": {"dns_names": ["manual.example"]}, "validity_months": 12},
        "issuer": {"name": "Unknown"}
    }})
}

/// A test CA: its certificate and the issuer that signs requests.
fn ca() -> (Vec<u8>, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "Skybridge Test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), Issuer::new(params, key))
}

/// Checks the CSR (subject, SAN, self-signature) and has the CA sign it.
fn sign_csr(csr_b64: &str, issuer: &Issuer<'static, KeyPair>) -> Vec<u8> {
    let der = STANDARD.decode(csr_b64).unwrap();
    let (_, csr) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&der).unwrap();
    let info = &csr.certification_request_info;
    assert_eq!(info.subject.to_string(), "CN=manual");
    let sans: Vec<String> = csr
        .requested_extensions()
        .unwrap()
        .filter_map(|e| match e {
            x509_parser::extensions::ParsedExtension::SubjectAlternativeName(s) => {
                Some(format!("{:?}", s.general_names))
            }
            _ => None,
        })
        .collect();
    assert!(
        sans.iter().any(|s| s.contains("manual.example")),
        "{sans:?}"
    );
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        &info.subject_pki.subject_public_key.data,
    )
    .verify(info.raw, &csr.signature_value.data)
    .expect("the CSR is signed by its key");
    let params = rcgen::CertificateSigningRequestParams::from_der(&der.into()).unwrap();
    params.signed_by(issuer).unwrap().der().to_vec()
}

#[tokio::test]
async fn unknown_issuer_csr_merge_and_the_completed_certificate() {
    let f = Fixture::new().await;
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/manual/create",
            unknown_policy("CN=manual"),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let op = r.body;
    assert_eq!(op["id"], format!("{BASE}/certificates/manual/pending"));
    assert_eq!(op["issuer"], json!({"name": "Unknown"}));
    assert_eq!(op["status"], "inProgress");
    assert_eq!(op["cancellation_requested"], false);
    assert_eq!(
        op["status_details"],
        "Pending certificate created. Please Perform Merge to complete the request."
    );
    assert_eq!(op["request_id"].as_str().unwrap().len(), 32);
    assert!(op.get("target").is_none());
    assert_eq!(
        f.ok("GET", "/certificates/manual/pending", Value::Null)
            .await,
        op
    );

    // The version exists without a certificate, disabled; the key exists.
    let pending = f.ok("GET", "/certificates/manual", Value::Null).await;
    for absent in ["kid", "sid", "x5t", "cer", "contentType"] {
        assert!(pending.get(absent).is_none(), "{absent}: {pending}");
    }
    assert_eq!(pending["attributes"]["enabled"], false);
    assert_eq!(pending["attributes"]["nbf"], NOW - 600);
    assert_eq!(
        pending["pending"],
        json!({"id": format!("{BASE}/certificates/manual/pending")})
    );
    let version = pending["id"].as_str().unwrap().rsplit('/').next().unwrap();
    let key = f
        .ok("GET", &format!("/keys/manual/{version}"), Value::Null)
        .await;
    assert_eq!(key["managed"], true);
    assert_eq!(key["attributes"]["enabled"], false);
    let listed = f.ok("GET", "/certificates", Value::Null).await;
    assert_eq!(listed["value"], json!([]));
    let listed = f
        .ok("GET", "/certificates?includePending=true", Value::Null)
        .await;
    assert_eq!(
        listed["value"][0]["id"],
        format!("{BASE}/certificates/manual")
    );
    assert!(listed["value"][0].get("x5t").is_none());

    // No new version while the operation is in progress (409, code Forbidden).
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/manual/create",
            unknown_policy("CN=manual"),
        )
        .await;
    assert_error(&r, 409, "Forbidden");

    // A certificate for another key is refused and changes nothing.
    let (ca_der, issuer) = ca();
    let stranger = rcgen::generate_simple_self_signed(vec!["x.example".to_string()]).unwrap();
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/manual/pending/merge",
            json!({"x5c": [STANDARD.encode(stranger.cert.der())]}),
        )
        .await;
    assert_error(&r, 400, "BadParameter");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("doesn't match")
    );
    for bad in [json!({"x5c": []}), json!({"x5c": ["%%%"]}), json!({})] {
        let r = f
            .call(
                f.people.admin,
                "POST",
                "/certificates/manual/pending/merge",
                bad,
            )
            .await;
        assert_error(&r, 400, "BadParameter");
    }
    let r = f
        .call(
            f.people.secrets_user,
            "POST",
            "/certificates/manual/pending/merge",
            json!({"x5c": [STANDARD.encode(&ca_der)]}),
        )
        .await;
    assert_error(&r, 403, "Forbidden");
    let still = f
        .ok("GET", "/certificates/manual/pending", Value::Null)
        .await;
    assert_eq!(still["status"], "inProgress");

    // The CA signs the CSR; the merge takes the chain in any order.
    let leaf = sign_csr(op["csr"].as_str().unwrap(), &issuer);
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/manual/pending/merge",
            json!({"x5c": [STANDARD.encode(&ca_der), STANDARD.encode(&leaf)], "tags": {"t": "1"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.headers["location"],
        format!("{BASE}/certificates/manual?api-version=2025-07-01").as_str()
    );
    let cert = r.body;
    let info = skybridge_pki::parse_certificate(&leaf).unwrap();
    assert_eq!(cert["id"], format!("{BASE}/certificates/manual/{version}"));
    assert_eq!(cert["kid"], format!("{BASE}/keys/manual/{version}"));
    assert_eq!(cert["sid"], format!("{BASE}/secrets/manual/{version}"));
    assert_eq!(cert["cer"], STANDARD.encode(&leaf));
    assert_eq!(cert["x5t"], skybridge_pki::thumbprint::x5t(&leaf));
    assert_eq!(cert["attributes"]["enabled"], true);
    assert_eq!(cert["attributes"]["nbf"], info.not_before);
    assert_eq!(cert["attributes"]["exp"], info.not_after);
    assert_eq!(cert["tags"], json!({"t": "1"}));
    assert_eq!(cert["policy"]["issuer"]["name"], "Unknown");
    assert_eq!(
        f.ok("GET", "/certificates/manual", Value::Null).await["cer"],
        cert["cer"]
    );
    let done = f
        .ok("GET", "/certificates/manual/pending", Value::Null)
        .await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["target"], format!("{BASE}/certificates/manual"));
    assert!(done.get("status_details").is_none());

    // The secret: a PFX with the key and the chain; the key signs for the certificate.
    let secret = f.ok("GET", "/secrets/manual", Value::Null).await;
    assert_eq!(secret["contentType"], "application/x-pkcs12");
    assert_eq!(secret["kid"], cert["kid"]);
    let pfx = skybridge_pki::pfx_import(
        &STANDARD.decode(secret["value"].as_str().unwrap()).unwrap(),
        "",
    )
    .unwrap();
    assert!(pfx.key_pkcs8.is_some());
    assert_eq!(pfx.chain.len(), 2);
    assert!(pfx.chain.contains(&leaf) && pfx.chain.contains(&ca_der));
    let signed = f
        .ok(
            "POST",
            &format!("/keys/manual/{version}/sign"),
            json!({"alg": "RS256", "value": b64url(&sha256(b"merged"))}),
        )
        .await;
    skybridge_jose::VerifyingKey::from_spki_der(&info.spki_der)
        .unwrap()
        .verify(Alg::RS256, b"merged", &unb64url(&signed["value"]))
        .unwrap();

    // Nothing left to merge.
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/manual/pending/merge",
            json!({"x5c": [STANDARD.encode(&leaf)]}),
        )
        .await;
    assert_error(&r, 404, "PendingCertificateNotFound");
}

#[tokio::test]
async fn merge_accepts_what_the_python_sdk_test_sends() {
    // azure-keyvault-certificates' own test passes the base64 text of the DER as bytes, which
    // the SDK base64-encodes again; a PEM-encoded certificate arrives the same way.
    let f = Fixture::new().await;
    let (_, issuer) = ca();
    for (name, wrap) in [("twice", 0), ("pem", 1)] {
        let op = f
            .ok(
                "POST",
                &format!("/certificates/{name}/create"),
                unknown_policy("CN=manual"),
            )
            .await;
        let leaf = sign_csr(op["csr"].as_str().unwrap(), &issuer);
        let inner = if wrap == 0 {
            STANDARD.encode(&leaf)
        } else {
            skybridge_pki::pem::encode("CERTIFICATE", &leaf)
        };
        let cert = f
            .ok(
                "POST",
                &format!("/certificates/{name}/pending/merge"),
                json!({"x5c": [STANDARD.encode(inner.as_bytes())]}),
            )
            .await;
        assert_eq!(cert["cer"], STANDARD.encode(&leaf));
    }
}

#[tokio::test]
async fn cancel_and_delete_the_operation() {
    let f = Fixture::new().await;
    f.ok(
        "POST",
        "/certificates/c3/create",
        json!({"policy": {"x509_props": {"subject": "CN=c3"}}}),
    )
    .await;
    let cancelled = f
        .ok(
            "PATCH",
            "/certificates/c3/pending",
            json!({"cancellation_requested": true}),
        )
        .await;
    // No issuer at all means Unknown.
    assert_eq!(cancelled["issuer"]["name"], "Unknown");
    assert_eq!(cancelled["cancellation_requested"], true);
    assert_eq!(cancelled["status"], "inProgress");
    let now = f.ok("GET", "/certificates/c3/pending", Value::Null).await;
    assert_eq!(now["status"], "cancelled");
    assert_eq!(now["cancellation_requested"], true);
    let r = f
        .call(
            f.people.admin,
            "PATCH",
            "/certificates/c3/pending",
            json!({"cancellation_requested": true}),
        )
        .await;
    assert_error(&r, 400, "BadParameter");
    let r = f
        .call(
            f.people.admin,
            "PATCH",
            "/certificates/c3/pending",
            json!({"cancellation_requested": "yes"}),
        )
        .await;
    assert_error(&r, 400, "BadParameter");

    let deleted = f
        .ok("DELETE", "/certificates/c3/pending", Value::Null)
        .await;
    assert_eq!(deleted["status"], "cancelled");
    let r = f
        .call(
            f.people.admin,
            "GET",
            "/certificates/c3/pending",
            Value::Null,
        )
        .await;
    assert_error(&r, 404, "PendingCertificateNotFound");
    assert_eq!(
        r.body["error"]["message"],
        "Pending certificate not found: c3"
    );
    let cert = f.ok("GET", "/certificates/c3", Value::Null).await;
    assert!(cert.get("pending").is_none());

    // A new version may replace it; the certificate can be deleted.
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/c3/create",
            json!({"policy": {"x509_props": {"subject": "CN=c3"}, "issuer": {"name": "Self"}}}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    f.ok("DELETE", "/certificates/c3", Value::Null).await;
    let r = f
        .call(
            f.people.admin,
            "GET",
            "/certificates/nothing/pending",
            Value::Null,
        )
        .await;
    assert_error(&r, 404, "PendingCertificateNotFound");
}
