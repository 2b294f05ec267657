//! Throttling (off by default): per-class limits over 10-second windows, 429 `Throttled` with
//! `Retry-After`, key operations weighted by key size. The injected clock moves the windows.

use skybridge_vault::throttle::ThrottleLimits;

use super::*;

fn assert_throttled(r: &Reply, retry_after: &str) {
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"error": {"code": "Throttled", "message":
            "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"}})
    );
    assert_eq!(r.headers["retry-after"], retry_after);
    assert!(r.headers.contains_key("x-ms-request-id"));
}

#[tokio::test]
async fn limits_per_class_and_window() {
    let f = Fixture::new().await;
    // Off by default.
    for i in 0..5 {
        f.ok("PUT", "/secrets/free", json!({"value": format!("v{i}")}))
            .await;
    }
    f.service.set_throttling(
        "kv1",
        Some(ThrottleLimits {
            secret_create: 2,
            other: 3,
            ..ThrottleLimits::default()
        }),
    );
    f.ok("PUT", "/secrets/s", json!({"value": "1"})).await;
    f.clock.advance(3);
    f.ok("PUT", "/secrets/s", json!({"value": "2"})).await;
    let r = f
        .call(f.people.admin, "PUT", "/secrets/s", json!({"value": "3"}))
        .await;
    assert_throttled(&r, "7");
    // Another class is counted apart; refused requests do not count.
    for _ in 0..3 {
        f.ok("GET", "/secrets/s", Value::Null).await;
    }
    let r = f
        .call(f.people.admin, "GET", "/secrets/s", Value::Null)
        .await;
    // That window opened with the first read, three seconds later.
    assert_throttled(&r, "10");
    f.clock.advance(6);
    let r = f
        .call(f.people.admin, "PUT", "/secrets/s", json!({"value": "3"}))
        .await;
    assert_throttled(&r, "1");
    // The window ends ten seconds after it opened.
    f.clock.advance(1);
    f.ok("PUT", "/secrets/s", json!({"value": "3"})).await;
    f.clock.advance(3);
    let versions = f.ok("GET", "/secrets/s/versions", Value::Null).await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 3);
    // Unauthenticated requests still get the challenge first.
    let r = f.raw("GET", "/secrets/s?api-version=7.6", None, "").await;
    assert_eq!(r.status, 401);
    f.service.set_throttling("kv1", None);
    for _ in 0..5 {
        f.ok("GET", "/secrets/s", Value::Null).await;
    }
}

#[tokio::test]
async fn key_operations_weigh_by_key_size() {
    let f = Fixture::new().await;
    f.ok(
        "POST",
        "/keys/big/create",
        json!({"kty": "RSA", "key_size": 4096}),
    )
    .await;
    f.ok(
        "POST",
        "/keys/mid/create",
        json!({"kty": "RSA", "key_size": 3072}),
    )
    .await;
    f.ok("POST", "/keys/small/create", json!({"kty": "EC"}))
        .await;
    f.service.set_throttling(
        "kv1",
        Some(ThrottleLimits {
            key_operations: 10,
            key_create: 1,
            ..ThrottleLimits::default()
        }),
    );
    let digest = b64url(&sha256(b"weighed"));
    // RSA-4096 costs 8 of the 10.
    f.ok(
        "POST",
        "/keys/big/sign",
        json!({"alg": "RS256", "value": digest}),
    )
    .await;
    // RSA-3072 would cost 4 more.
    let r = f
        .call(f.people.admin, "GET", "/keys/mid", Value::Null)
        .await;
    assert_throttled(&r, "10");
    f.ok("GET", "/keys/small", Value::Null).await;
    f.ok("GET", "/keys/small", Value::Null).await;
    let r = f
        .call(f.people.admin, "GET", "/keys/small", Value::Null)
        .await;
    assert_throttled(&r, "10");
    // Key creates have their own budget (certificates make keys too).
    f.ok("POST", "/keys/k2/create", json!({"kty": "EC"})).await;
    let r = f
        .call(
            f.people.admin,
            "POST",
            "/certificates/c/create",
            json!({"policy": {"x509_props": {"subject": "CN=c"}, "issuer": {"name": "Self"}}}),
        )
        .await;
    assert_throttled(&r, "10");
    f.clock.advance(10);
    f.ok("GET", "/keys/mid", Value::Null).await;
}
