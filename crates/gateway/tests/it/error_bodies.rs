//! Every error the gateway itself writes, compared byte for byte on a real socket: status
//! line, `Content-Type`, `Content-Length` and body. APIM's envelope is
//! `{ "statusCode": N, "message": "…" }` with spaces (see `engine::errors::error_body` for the
//! captures it follows); two captures give whole-body lengths we check as well.

use std::sync::Arc;

use serde_json::{Value, json};
use skybridge_gateway::{Gateway, GatewayConfig, ManualClock};
use skybridge_jose::{Alg, Header, LocalSigner, encode_sync};

use super::fixture::T0;
use super::net::{Server, exchange, get, ok_backend, serve};

const MISSING_KEY: &str = r#"{ "statusCode": 401, "message": "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API." }"#;
const INVALID_KEY: &str = r#"{ "statusCode": 401, "message": "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription." }"#;
const NOT_FOUND: &str = r#"{ "statusCode": 404, "message": "Resource not found" }"#;
const INVALID_JWT: &str = r#"{ "statusCode": 401, "message": "Invalid JWT." }"#;
const JWT_MISSING: &str = r#"{ "statusCode": 401, "message": "JWT not present." }"#;
const CUSTOM_JWT: &str =
    r#"{ "statusCode": 403, "message": "Zugriff verweigert – Partner-Token ungültig." }"#;

fn policy(inbound: &str) -> String {
    format!(
        "<policies><inbound><base/>{inbound}</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>"
    )
}

struct World {
    /// The gateway's socket.
    gw: Server,
    clock: Arc<ManualClock>,
    signer: LocalSigner,
    _backend: Server,
}

/// A gateway with the production client and a manual clock: `orders` needs a key, `open`
/// is keyless with one operation per error source, `dead` points at a closed port.
async fn world() -> World {
    let backend = ok_backend().await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let signer = LocalSigner::generate(Alg::RS256, 2048).unwrap().0;
    let jwk = signer.public_jwk();
    let validate = |attrs: &str| {
        policy(&format!(
            r#"<validate-jwt header-name="Authorization" {attrs}>
                 <issuer-signing-keys><key id="k" n="{}" e="{}"/></issuer-signing-keys>
                 <audiences><audience>api://orders</audience></audiences>
                 <issuers><issuer>https://issuer.test</issuer></issuers>
               </validate-jwt>"#,
            jwk.n.as_deref().unwrap(),
            jwk.e.as_deref().unwrap()
        ))
    };
    let config: GatewayConfig = serde_json::from_value(json!({
        "name": "g",
        "max_body_bytes": 1024,
        "apis": [
            {"name": "orders", "path": "orders", "service_url": format!("http://{}", backend.addr),
             "operations": ["GET /{id}"]},
            {"name": "open", "path": "open", "service_url": format!("http://{}", backend.addr),
             "subscription_required": false,
             "operations": ["GET /limited", "GET /quota", "GET /quota-week", "GET /jwt",
                            "GET /jwt-custom", "POST /upload", "GET /{*rest}"]},
            {"name": "dead", "path": "dead", "service_url": format!("http://{dead}"),
             "subscription_required": false, "operations": ["GET /{id}"]},
        ],
        "subscriptions": [{"name": "s", "scope": "api:orders", "primary_key": "pk", "secondary_key": "sk"}],
        "policies": {"operations": {
            "open/get-limited": policy(r#"<rate-limit-by-key calls="1" renewal-period="60" counter-key="k"/>"#),
            "open/get-quota": policy(r#"<quota-by-key calls="1" renewal-period="3600" counter-key="q"/>"#),
            "open/get-quota-week": policy(r#"<quota-by-key calls="1" renewal-period="604800" counter-key="w"/>"#),
            "open/get-jwt": validate(""),
            "open/get-jwt-custom": validate(
                r#"failed-validation-httpcode="403" failed-validation-error-message="Zugriff verweigert – Partner-Token ungültig.""#,
            ),
        }},
    }))
    .unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let gw = Gateway::builder(config)
        .clock(clock.clone())
        .build()
        .unwrap();
    World {
        gw: serve(Arc::new(gw)).await,
        clock,
        signer,
        _backend: backend,
    }
}

/// Asserts the whole answer: status line, JSON content type, exact length and body bytes.
fn assert_error(r: &super::net::Raw, status_line: &str, body: &str) {
    assert_eq!(r.status_line, status_line, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(r.text(), body);
}

#[tokio::test]
async fn subscription_key_errors_are_apims_bytes_with_the_challenge() {
    let w = world().await;
    let r = get(w.gw.addr, "/orders/1", &[]).await;
    assert_error(&r, "HTTP/1.1 401 Access Denied", MISSING_KEY);
    // A captured APIM response for a missing key carries `Content-Length: 152`.
    assert_eq!(r.body.len(), 152);
    let challenge = r#"AzureApiManagementKey realm="https://g.azure-api.skybridge.localhost/orders",name="Ocp-Apim-Subscription-Key",type="header""#;
    assert_eq!(r.header("www-authenticate"), Some(challenge));

    for (name, value) in [
        ("Ocp-Apim-Subscription-Key", "nope"),
        ("X-Other", "ignored"),
    ] {
        let r = get(w.gw.addr, "/orders/1", &[(name, value)]).await;
        let expected = if name == "X-Other" {
            MISSING_KEY
        } else {
            INVALID_KEY
        };
        assert_error(&r, "HTTP/1.1 401 Access Denied", expected);
        assert_eq!(r.header("www-authenticate"), Some(challenge));
    }
    let r = get(w.gw.addr, "/orders/1?subscription-key=nope", &[]).await;
    assert_error(&r, "HTTP/1.1 401 Access Denied", INVALID_KEY);
    let r = get(
        w.gw.addr,
        "/orders/1",
        &[("Ocp-Apim-Subscription-Key", "sk")],
    )
    .await;
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.body, b"backend-ok");
}

#[tokio::test]
async fn no_api_or_no_operation_is_resource_not_found() {
    let w = world().await;
    for path in ["/nope/1", "/", "/orders", "/orders/1/extra", "/op%zzen/x"] {
        let r = get(w.gw.addr, path, &[]).await;
        assert_error(&r, "HTTP/1.1 404 Not Found", NOT_FOUND);
    }
    // A method without an operation, before any key check.
    let r = exchange(
        w.gw.addr,
        b"DELETE /orders/1 HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_error(&r, "HTTP/1.1 404 Not Found", NOT_FOUND);
}

#[tokio::test]
async fn rate_limit_and_quota_bodies_and_retry_after() {
    let w = world().await;
    // Fixed windows aligned to 0001-01-01: T0 is 13:20 into its hour and 1d 22:13:20 into
    // its week.
    for (path, left, retry) in [
        ("/open/quota", "00:46:40", "2800"),
        ("/open/quota-week", "5.01:46:40", "438400"),
    ] {
        assert_eq!(
            get(w.gw.addr, path, &[]).await.status_line,
            "HTTP/1.1 200 OK"
        );
        let r = get(w.gw.addr, path, &[]).await;
        let body = format!(
            r#"{{ "statusCode": 403, "message": "Out of call volume quota. Quota will be replenished in {left}." }}"#
        );
        assert_error(&r, "HTTP/1.1 403 Forbidden", &body);
        assert_eq!(r.header("retry-after"), Some(retry));
    }

    assert_eq!(
        get(w.gw.addr, "/open/limited", &[]).await.status_line,
        "HTTP/1.1 200 OK"
    );
    w.clock.advance(3_000);
    let r = get(w.gw.addr, "/open/limited", &[]).await;
    let body =
        r#"{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds." }"#;
    assert_error(&r, "HTTP/1.1 429 Too Many Requests", body);
    assert_eq!(r.header("retry-after"), Some("57"));
    // Microsoft's own example of this response (Partner Center docs) has Content-Length 84.
    assert_eq!(r.body.len(), 84);
}

fn mint(signer: &LocalSigner, kid: &str, claims: Value) -> String {
    let mut header = Header::new(signer.alg());
    header.kid = Some(kid.into());
    encode_sync(&header, &claims, signer).unwrap()
}

fn claims(extra: Value) -> Value {
    let now = T0 / 1000;
    let mut c =
        json!({"iss": "https://issuer.test", "aud": "api://orders", "iat": now, "exp": now + 3600});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

#[tokio::test]
async fn jwt_failures_use_the_configured_code_and_message_or_apims_defaults() {
    let w = world().await;
    let other = LocalSigner::generate(Alg::RS256, 2048).unwrap().0;
    let good = mint(&w.signer, "k", claims(json!({})));
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, _) = rest.split_once('.').unwrap();
    let bad_tokens = [
        "not-a-jwt".to_owned(),
        "a.b".to_owned(),
        "a.b.c.d".to_owned(),
        "%%%.%%%.%%%".to_owned(),
        format!("{head}.{payload}."),
        format!("{head}.{payload}.AAAA"),
        format!("bm90IGpzb24.{payload}.AAAA"),
        format!("{head}.{}", "A".repeat(60_000)),
        mint(&other, "k", claims(json!({}))),
        mint(&w.signer, "unknown-kid", claims(json!({}))),
        mint(&w.signer, "k", claims(json!({"exp": T0 / 1000 - 1}))),
        mint(&w.signer, "k", claims(json!({"aud": "api://other"}))),
        mint(&w.signer, "k", claims(json!({"iss": "https://evil.test"}))),
    ];
    for token in &bad_tokens {
        let auth = format!("Bearer {token}");
        let r = get(w.gw.addr, "/open/jwt", &[("Authorization", &auth)]).await;
        assert_error(&r, "HTTP/1.1 401 Unauthorized", INVALID_JWT);
        let r = get(w.gw.addr, "/open/jwt-custom", &[("Authorization", &auth)]).await;
        assert_error(&r, "HTTP/1.1 403 Forbidden", CUSTOM_JWT);
    }
    let r = get(w.gw.addr, "/open/jwt", &[]).await;
    assert_error(&r, "HTTP/1.1 401 Unauthorized", JWT_MISSING);
    // The configured message replaces both defaults.
    let r = get(w.gw.addr, "/open/jwt-custom", &[]).await;
    assert_error(&r, "HTTP/1.1 403 Forbidden", CUSTOM_JWT);

    let auth = format!("Bearer {good}");
    for path in ["/open/jwt", "/open/jwt-custom"] {
        let r = get(w.gw.addr, path, &[("Authorization", &auth)]).await;
        assert_eq!(r.status_line, "HTTP/1.1 200 OK", "{path}");
    }
}

#[tokio::test]
async fn unreachable_backend_is_apims_internal_error() {
    let w = world().await;
    let r = get(w.gw.addr, "/dead/1", &[]).await;
    // The activity id is per request: check its shape, then the whole body with it.
    let text = r.text();
    let id = text
        .strip_prefix(r#"{ "statusCode": 500, "message": "Internal server error", "activityId": ""#)
        .and_then(|t| t.strip_suffix(r#"" }"#))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(uuid::Uuid::try_parse(id).is_ok_and(|u| u.hyphenated().to_string() == id));
    let body = format!(
        r#"{{ "statusCode": 500, "message": "Internal server error", "activityId": "{id}" }}"#
    );
    assert_error(&r, "HTTP/1.1 500 Internal Server Error", &body);
}

#[tokio::test]
async fn bodies_past_the_limit_are_refused_without_reaching_the_backend() {
    let w = world().await;
    let post = |len: usize| {
        format!(
            "POST /open/upload HTTP/1.1\r\nHost: g\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{}",
            "x".repeat(len)
        )
    };
    let r = exchange(w.gw.addr, post(1024).as_bytes()).await;
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    let r = exchange(w.gw.addr, post(1025).as_bytes()).await;
    // APIM documents no text for this; the envelope is APIM's.
    assert_error(
        &r,
        "HTTP/1.1 413 Payload Too Large",
        r#"{ "statusCode": 413, "message": "Request entity is too large or could not be read." }"#,
    );
    // Chunked, with no length announced: the limit applies while reading.
    let mut chunked = String::from(
        "POST /open/upload HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for _ in 0..3 {
        chunked.push_str(&format!("200\r\n{}\r\n", "y".repeat(512)));
    }
    chunked.push_str("0\r\n\r\n");
    let r = exchange(w.gw.addr, chunked.as_bytes()).await;
    assert_eq!(r.status_line, "HTTP/1.1 413 Payload Too Large");
}

#[tokio::test]
async fn odd_urls_and_oversized_requests_get_an_answer_never_a_hang() {
    let w = world().await;
    // Invalid percent-encoding is kept as sent (like .NET's lenient unescaping), not an error.
    for path in [
        "/open/a%zz/b",
        "/open/%E0%A4",
        "/open/x?q=%&r=%G1",
        "/%6Fpen/x",
    ] {
        let r = get(w.gw.addr, path, &[]).await;
        assert_eq!(r.status_line, "HTTP/1.1 200 OK", "{path}");
    }
    // A 60 kB URL is routed like any other.
    let long = format!("/open/{}", "a".repeat(60_000));
    assert_eq!(
        get(w.gw.addr, &long, &[]).await.status_line,
        "HTTP/1.1 200 OK"
    );
    let long = format!("/nope/{}", "a".repeat(60_000));
    assert_error(
        &get(w.gw.addr, &long, &[]).await,
        "HTTP/1.1 404 Not Found",
        NOT_FOUND,
    );
    // Header blocks past the HTTP server's limits (about 400 kB, or more than 100 fields)
    // are refused by hyper with 431 and the connection is closed.
    let huge = "h".repeat(500_000);
    let r = get(w.gw.addr, "/open/x", &[("X-Huge", &huge)]).await;
    assert_eq!(
        r.status_line,
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    let many: Vec<(String, String)> = (0..150)
        .map(|i| (format!("X-H{i}"), "v".to_owned()))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = get(w.gw.addr, "/open/x", &many).await;
    assert_eq!(
        r.status_line,
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    // A 60 kB header value is within limits and reaches the backend.
    let big = "b".repeat(60_000);
    let r = get(w.gw.addr, "/open/x", &[("X-Big", &big)]).await;
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    // Garbage instead of HTTP: 400 from the server, connection closed.
    let r = exchange(w.gw.addr, b"\x16\x03\x01 not http\r\n\r\n").await;
    assert!(
        r.status_line.starts_with("HTTP/1.1 400"),
        "{}",
        r.status_line
    );
}
