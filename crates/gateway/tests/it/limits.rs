//! rate-limit-by-key, rate-limit and quotas with an injected clock.

use axum::body::Body;
use serde_json::json;

use super::fixture::{config, doc, harness, req, response};

#[tokio::test]
async fn sliding_window_by_key_with_retry_after_and_remaining_calls() {
    let h = harness(config(&doc(
        r#"<rate-limit-by-key calls="3" renewal-period="10" counter-key="@(context.Request.Headers.GetValueOrDefault("X-Client","anon"))"
              remaining-calls-header-name="X-Remaining" remaining-calls-variable-name="left" total-calls-header-name="X-Total"/>
           <set-header name="X-Left" exists-action="override"><value>@(context.Variables["left"].ToString())</value></set-header>"#,
        "",
        "",
    )));
    let call = |client: &'static str| {
        let h = &h;
        async move {
            h.send(
                req("GET", "/orders/1")
                    .header("X-Client", client)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    for expected in ["2", "1", "0"] {
        let r = call("a").await;
        assert_eq!(
            (
                r.status.as_u16(),
                r.header("x-remaining"),
                r.header("x-total")
            ),
            (200, expected, "3")
        );
        assert_eq!(h.client.last().headers.get("x-left").unwrap(), expected);
        h.clock.advance(2_000);
    }
    let r = call("a").await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.body,
        r#"{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 4 seconds." }"#
    );
    assert_eq!(r.header("retry-after"), "4");
    assert_eq!(call("b").await.status, 200, "counters are per key");
    h.clock.advance(4_000);
    assert_eq!(
        call("a").await.status,
        200,
        "the first call left the window"
    );
    assert_eq!(call("a").await.status, 429);
}

#[tokio::test]
async fn increment_condition_counts_only_matching_responses() {
    let h = harness(config(&doc(
        r#"<rate-limit-by-key calls="2" renewal-period="60" counter-key="k" increment-condition="@(context.Response.StatusCode >= 200 && context.Response.StatusCode < 400)"/>"#,
        "",
        "",
    )));
    h.client.set(|r| {
        Ok(response(
            if r.url.ends_with("/bad") { 500 } else { 200 },
            &[],
            "",
        ))
    });
    for _ in 0..5 {
        assert_eq!(
            h.get("/orders/bad").await.status,
            500,
            "failures are not counted"
        );
    }
    assert_eq!(h.get("/orders/1").await.status, 200);
    assert_eq!(h.get("/orders/1").await.status, 200);
    assert_eq!(h.get("/orders/1").await.status, 429);
}

#[tokio::test]
async fn custom_retry_after_header_and_variable_and_per_subscription_limits() {
    let api = r#"<policies><inbound><base/>
        <rate-limit calls="2" renewal-period="30" retry-after-header-name="X-Retry" retry-after-variable-name="wait">
          <api name="orders" calls="1" renewal-period="30"/>
        </rate-limit></inbound><backend><base/></backend><outbound><base/></outbound>
        <on-error><set-header name="X-Wait" exists-action="override"><value>@(context.Variables.GetValueOrDefault<int>("wait", -1).ToString())</value></set-header></on-error></policies>"#;
    let h = harness(json!({
        "name": "g",
        "apis": [{"name": "orders", "path": "orders", "service_url": "http://backend.test", "operations": ["GET /{id}"]}],
        "subscriptions": [
            {"name": "s1", "scope": "all", "primary_key": "k1", "secondary_key": "k1b"},
            {"name": "s2", "scope": "all", "primary_key": "k2", "secondary_key": "k2b"},
        ],
        "policies": {"apis": {"orders": api}},
    }));
    let call = |key: &'static str| {
        let h = &h;
        async move {
            h.send(
                req("GET", "/orders/1")
                    .header("Ocp-Apim-Subscription-Key", key)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    assert_eq!(call("k1").await.status, 200);
    let r = call("k1b").await;
    assert_eq!(
        (
            r.status.as_u16(),
            r.header("x-retry"),
            r.header("x-wait"),
            r.header("retry-after")
        ),
        (429, "30", "30", "<none>")
    );
    assert_eq!(
        call("k2").await.status,
        200,
        "another subscription has its own counter"
    );
}

#[tokio::test]
async fn quotas_use_fixed_windows_and_count_each_key_once() {
    let h = harness(config(&doc(
        r#"<quota-by-key calls="2" renewal-period="3600" counter-key="shared" first-period-start="2023-11-14T22:00:00Z"/>
           <quota-by-key calls="2" renewal-period="3600" counter-key="shared" first-period-start="2023-11-14T22:00:00Z"/>"#,
        "",
        "",
    )));
    assert_eq!(h.get("/orders/1").await.status, 200);
    assert_eq!(
        h.get("/orders/1").await.status,
        200,
        "two policies on one key count once per request"
    );
    let r = h.get("/orders/1").await;
    assert_eq!(r.status, 403);
    // The window started at 22:00; it is 22:13:20, so 46:40 remain.
    assert_eq!(
        r.body,
        r#"{ "statusCode": 403, "message": "Out of call volume quota. Quota will be replenished in 00:46:40." }"#
    );
    assert_eq!(r.header("retry-after"), "2800");
    h.clock.advance(2_800_000);
    assert_eq!(h.get("/orders/1").await.status, 200);
}

#[tokio::test]
async fn bandwidth_quota() {
    let h = harness(config(&doc(
        r#"<quota-by-key bandwidth="1" renewal-period="60" counter-key="bw"/>"#,
        "",
        "",
    )));
    h.client.set(|_| Ok(response(200, &[], &"x".repeat(1500))));
    assert_eq!(h.get("/orders/1").await.status, 200);
    let r = h.get("/orders/1").await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Out of bandwidth quota."), "{}", r.body);
}
