//! The AADSTS error table: status, `error`, code, and the description's layout. After every
//! refusal a valid request still succeeds: nothing stored changed.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use skybridge_jose::{Alg, Header};

use crate::fixture::*;

fn assert_aad(status: StatusCode, body: &Value, want_status: u16, error: &str, code: u64) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], json!([code]), "{body}");
    let desc = body["error_description"].as_str().unwrap();
    assert!(desc.starts_with(&format!("AADSTS{code}: ")), "{desc}");
    assert!(
        desc.contains("\r\nTrace ID: ")
            && desc.contains("\r\nCorrelation ID: ")
            && desc.contains("\r\nTimestamp: "),
        "{desc}"
    );
    assert_eq!(body["timestamp"], "2027-01-15 08:00:00Z");
    for k in ["trace_id", "correlation_id", "error_uri"] {
        assert!(body[k].is_string(), "{k} in {body}");
    }
}

fn base(f: &Fixture) -> Vec<(&'static str, &str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", &f.client_id),
        ("scope", "api://orders/.default"),
        ("client_secret", SECRET),
    ]
}

fn with<'a>(
    mut pairs: Vec<(&'static str, &'a str)>,
    key: &'static str,
    value: Option<&'a str>,
) -> Vec<(&'static str, &'a str)> {
    pairs.retain(|(k, _)| *k != key);
    if let Some(v) = value {
        pairs.push((key, v));
    }
    pairs
}

#[tokio::test]
async fn request_errors() {
    let f = Fixture::new().await;
    let p = f.token_path();
    let unknown_client = "11111111-2222-3333-4444-555555555555";
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str, u64);
    let cases: Vec<Case> = vec![
        (
            with(base(&f), "client_secret", Some("wrong-secret-value-xyz")),
            401,
            "invalid_client",
            7000215,
        ),
        (
            with(base(&f), "client_id", Some(unknown_client)),
            400,
            "unauthorized_client",
            700016,
        ),
        (
            with(base(&f), "client_id", Some("not-a-guid")),
            400,
            "unauthorized_client",
            700038,
        ),
        (
            with(base(&f), "scope", Some("api://orders/Orders.Read")),
            400,
            "invalid_scope",
            1002012,
        ),
        (
            with(
                base(&f),
                "scope",
                Some("api://orders/.default api://legacy/.default"),
            ),
            400,
            "invalid_scope",
            700022,
        ),
        (
            with(base(&f), "scope", Some("api://nothing/.default")),
            400,
            "invalid_resource",
            500011,
        ),
        (
            with(base(&f), "scope", None),
            400,
            "invalid_request",
            900144,
        ),
        (
            with(base(&f), "grant_type", None),
            400,
            "invalid_request",
            900144,
        ),
        (
            with(base(&f), "grant_type", Some("password")),
            400,
            "unsupported_grant_type",
            70003,
        ),
        (
            with(base(&f), "resource", Some("api://orders")),
            400,
            "invalid_request",
            901002,
        ),
        (
            with(base(&f), "client_secret", None),
            401,
            "invalid_client",
            7000218,
        ),
    ];
    for (pairs, status, error, code) in cases {
        let (s, body) = f.post_form(&p, &pairs).await;
        assert_aad(s, &body, status, error, code);
    }
    // The resource exists, but only in partner: home has no such principal.
    let (s, body) = f
        .post_form(&format!("/{}/oauth2/v2.0/token", f.home.id), &base(&f))
        .await;
    assert_aad(s, &body, 400, "unauthorized_client", 700016);
    let (s, body) = f.secret_token().await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn tenant_errors() {
    let f = Fixture::new().await;
    let (s, body) = f
        .get("/nowhere/v2.0/.well-known/openid-configuration")
        .await;
    assert_aad(s, &body, 400, "invalid_tenant", 90002);
    let (s, body) = f.get("/a%20b/discovery/v2.0/keys").await;
    assert_aad(s, &body, 400, "invalid_request", 900023);
    let (s, body) = f.post_form("/nowhere/oauth2/v2.0/token", &base(&f)).await;
    assert_aad(s, &body, 400, "invalid_tenant", 90002);
    for t in ["common", "organizations", "consumers"] {
        let (s, body) = f
            .post_form(&format!("/{t}/oauth2/v2.0/token"), &base(&f))
            .await;
        assert_aad(s, &body, 400, "invalid_request", 9001023);
    }
}

#[tokio::test]
async fn transport_errors() {
    let f = Fixture::new().await;
    let p = f.token_path();
    let (s, _, body) = f.call(Request::get(&p).body(Body::empty()).unwrap()).await;
    assert_aad(s, &body, 400, "invalid_request", 900561);
    let big = format!(
        "grant_type=client_credentials&pad={}",
        "x".repeat(70 * 1024)
    );
    let req = Request::post(&p)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(big))
        .unwrap();
    let (s, _, body) = f.call(req).await;
    assert_aad(s, &body, 400, "invalid_request", 9002313);
    let req = Request::post(&p)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(vec![b'a', b'=', 0xff, 0xfe]))
        .unwrap();
    let (s, _, body) = f.call(req).await;
    assert_aad(s, &body, 400, "invalid_request", 9002313);
    let req = Request::post(&p)
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let (s, _, body) = f.call(req).await;
    assert_aad(s, &body, 400, "invalid_request", 9002313);
    let req = Request::post(&p)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", "Basic !!!")
        .body(Body::from("grant_type=client_credentials"))
        .unwrap();
    let (s, _, body) = f.call(req).await;
    assert_aad(s, &body, 400, "invalid_request", 9002313);
    // A client-request-id GUID is echoed as the correlation id.
    let cid = "0f0e0d0c-0b0a-0908-0706-050403020100";
    let req = Request::post(&p)
        .header("client-request-id", cid)
        .body(Body::from("grant_type=x"))
        .unwrap();
    let (_, headers, body) = f.call(req).await;
    assert_eq!(body["correlation_id"], cid);
    assert_eq!(headers["client-request-id"], cid);
}

#[tokio::test]
async fn assertion_errors() {
    let f = Fixture::new().await;
    let other = f.assertion_with(&f.other_cert, Alg::RS256, |_| {}, |_| {});
    let expired = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert("exp".into(), json!(NOW - 3600));
        },
    );
    let early = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert("nbf".into(), json!(NOW + 3600));
        },
    );
    let no_exp = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.remove("exp");
        },
    );
    let wrong_aud = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert("aud".into(), json!("https://elsewhere/token"));
        },
    );
    let home_aud = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert(
                "aud".into(),
                json!(format!("{AUTHORITY}/home/oauth2/v2.0/token")),
            );
        },
    );
    let sub_mismatch = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert("sub".into(), json!("someone"));
        },
    );
    let other_client = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert("iss".into(), json!("11111111-2222-3333-4444-555555555555"));
            c.insert("sub".into(), json!("11111111-2222-3333-4444-555555555555"));
        },
    );
    let federated = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert("iss".into(), json!("https://token.actions.example"));
            c.insert("sub".into(), json!("repo:x"));
        },
    );
    let no_iss = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.remove("iss");
        },
    );
    let no_thumb = f.assertion(Alg::RS256, |h| h.x5t = None, |_| {});
    let mut tampered = f.assertion(Alg::RS256, |_| {}, |_| {});
    let i = tampered.len() - 10;
    let flipped = if &tampered[i..=i] == "A" { "B" } else { "A" };
    tampered.replace_range(i..=i, flipped);
    let hs = {
        let h = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"alg":"HS256","typ":"JWT"}"#,
        );
        format!("{h}.e30.c2ln")
    };
    let none = {
        let h = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"alg":"none"}"#,
        );
        let c = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            format!(r#"{{"iss":"{0}","sub":"{0}"}}"#, f.client_id),
        );
        format!("{h}.{c}.")
    };
    let es = {
        let ec_key = skybridge_pki::generate_key(skybridge_pki::KeyKind::EcP256).unwrap();
        let signer = skybridge_jose::LocalSigner::from_pkcs8(Alg::ES256, &ec_key).unwrap();
        let mut h = Header::new(Alg::ES256);
        h.x5t = Some(skybridge_pki::thumbprint::x5t(&f.cert.cert_der));
        skybridge_jose::encode_sync(&h, &json!({"iss": f.client_id, "sub": f.client_id, "aud": f.token_endpoint(), "exp": NOW + 60}), &signer).unwrap()
    };
    let cases: Vec<(String, u16, &str, u64)> = vec![
        (other, 401, "invalid_client", 700027),
        (tampered, 401, "invalid_client", 700027),
        (expired, 401, "invalid_client", 700024),
        (early, 401, "invalid_client", 700024),
        (no_exp, 400, "invalid_request", 90014),
        (wrong_aud, 401, "invalid_client", 50012),
        (home_aud, 401, "invalid_client", 50012),
        (sub_mismatch, 401, "invalid_client", 50048),
        (other_client, 401, "invalid_client", 700021),
        (federated, 401, "invalid_client", 70021),
        (no_iss, 400, "invalid_request", 90014),
        (no_thumb, 401, "invalid_client", 5002723),
        (hs, 401, "invalid_client", 5002738),
        (none, 401, "invalid_client", 5002738),
        (es, 401, "invalid_client", 5002738),
        ("not.a.jwt".into(), 400, "invalid_request", 50027),
        ("garbage".into(), 400, "invalid_request", 50027),
    ];
    for (assertion, status, error, code) in cases {
        let (s, body) = f.assertion_token(&assertion).await;
        assert_aad(s, &body, status, error, code);
    }
    let (s, body) = f
        .assertion_token(&f.assertion(Alg::RS256, |_| {}, |_| {}))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}
