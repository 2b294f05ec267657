//! Certificate assertions in every shape real clients send (research/identity.md §1.4).

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use skybridge_authority::AuthorityConfig;
use skybridge_jose::Alg;

use crate::fixture::*;

async fn accepted(f: &Fixture, assertion: &str) {
    let (status, body) = f.assertion_token(assertion).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = f.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["azpacr"], "2");
    assert_eq!(claims["roles"], json!(["Orders.Read"]));
}

#[tokio::test]
async fn azure_identity_python_rs256_padded_x5t_float_times_no_nbf() {
    let f = Fixture::new().await;
    let padded = STANDARD
        .encode(skybridge_pki::thumbprint::sha1(&f.cert.cert_der))
        .replace('+', "-")
        .replace('/', "_");
    assert!(padded.ends_with('='));
    let a = f.assertion(
        Alg::RS256,
        |h| h.x5t = Some(padded),
        |c| {
            c.remove("nbf");
            c.insert("iat".into(), json!(NOW as f64 + 0.25));
            c.insert("exp".into(), json!(NOW as f64 + 600.75));
        },
    );
    accepted(&f, &a).await;
}

#[tokio::test]
async fn msal_python_ps256_x5t_s256_with_line_broken_x5c() {
    let f = Fixture::new().await;
    let s256 = URL_SAFE_NO_PAD.encode(skybridge_pki::thumbprint::sha256(&f.cert.cert_der)) + "=";
    let b64 = STANDARD.encode(&f.cert.cert_der);
    let broken: String = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    let a = f.assertion(
        Alg::PS256,
        |h| {
            h.x5t = None;
            h.x5t_s256 = Some(s256);
            h.x5c = Some(vec![broken]);
        },
        |c| {
            c.remove("nbf");
        },
    );
    accepted(&f, &a).await;
}

#[tokio::test]
async fn msal_node_ps256_unpadded_x5t_s256_and_kid_forms() {
    let f = Fixture::new().await;
    let s256 = URL_SAFE_NO_PAD.encode(skybridge_pki::thumbprint::sha256(&f.cert.cert_der));
    let a = f.assertion(
        Alg::PS256,
        |h| {
            h.x5t = None;
            h.x5t_s256 = Some(s256);
        },
        |c| {
            c.insert("iat".into(), json!(NOW));
        },
    );
    accepted(&f, &a).await;
    let hex =
        skybridge_pki::thumbprint::hex_upper(&skybridge_pki::thumbprint::sha1(&f.cert.cert_der));
    let a = f.assertion(
        Alg::RS384,
        |h| {
            h.x5t = None;
            h.kid = Some(hex);
        },
        |_| {},
    );
    accepted(&f, &a).await;
}

#[tokio::test]
async fn assertion_may_be_reused_by_default_and_audience_may_be_an_array() {
    let f = Fixture::new().await;
    let endpoint = f.token_endpoint();
    let a = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert("aud".into(), json!([endpoint]));
        },
    );
    accepted(&f, &a).await;
    accepted(&f, &a).await;
}

#[tokio::test]
async fn audience_naming_the_tenant_by_name_or_v1_endpoint_is_accepted() {
    let f = Fixture::new().await;
    for aud in [
        format!("{AUTHORITY}/partner/oauth2/v2.0/token"),
        format!("{AUTHORITY}/{}/oauth2/token", f.partner.id),
    ] {
        let a = f.assertion(
            Alg::RS256,
            |_| {},
            |c| {
                c.insert("aud".into(), json!(aud));
            },
        );
        accepted(&f, &a).await;
    }
}

#[tokio::test]
async fn replay_protection_is_opt_in() {
    let f = Fixture::with_config(|c: &mut AuthorityConfig| c.replay_protection = true).await;
    let a = f.assertion(Alg::RS256, |_| {}, |_| {});
    accepted(&f, &a).await;
    let (status, body) = f.assertion_token(&a).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error_codes"], json!([700027]));
    let fresh = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert("jti".into(), json!("another"));
        },
    );
    accepted(&f, &fresh).await;
}

#[tokio::test]
async fn clock_skew_is_allowed_within_leeway() {
    let f = Fixture::new().await;
    let a = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert("exp".into(), json!(NOW - 200));
        },
    );
    accepted(&f, &a).await;
    let a = f.assertion(
        Alg::RS256,
        |_| {},
        |c| {
            c.insert("exp".into(), json!(NOW - 400));
        },
    );
    let (status, body) = f.assertion_token(&a).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error_codes"], json!([700024]));
    let text = body["error_description"].as_str().unwrap();
    assert!(
        text.contains("Current time: 2027-01-15T08:00:00.0000000Z"),
        "{text}"
    );
}
