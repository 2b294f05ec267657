//! The pipeline: scope composition through `<base/>`, product contexts, subscriptions, the
//! jump to on-error with `context.LastError`, and APIM's exact built-in error bodies.

use axum::body::Body;
use serde_json::json;

use super::fixture::{harness, req};

fn tag(v: &str) -> String {
    format!(r#"<set-header name="X-Order" exists-action="append"><value>{v}</value></set-header>"#)
}

fn scoped(name: &str, base_first: bool) -> String {
    let (before, after) = if base_first {
        ("<base/>".to_owned(), tag(name))
    } else {
        (tag(name), "<base/>".to_owned())
    };
    format!(
        "<policies><inbound>{before}{after}</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>"
    )
}

/// A global document: `<base/>` is a no-op there, so it must forward by itself.
fn global(name: &str) -> String {
    format!(
        "<policies><inbound>{}</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>",
        tag(name)
    )
}

fn world(global: &str, product: &str, api: &str, operation: &str) -> serde_json::Value {
    json!({
        "name": "g",
        "apis": [
            {"name": "orders", "path": "orders", "service_url": "http://backend.test", "operations": ["GET /{id}"]},
            {"name": "open", "path": "open/v1", "service_url": "http://backend.test", "subscription_required": false, "operations": ["GET /ping"]},
        ],
        "products": [
            {"name": "gold", "apis": ["orders"]},
            {"name": "free", "apis": ["open"], "subscription_required": false},
        ],
        "subscriptions": [
            {"name": "gold-sub", "scope": "product:gold", "primary_key": "gold-primary", "secondary_key": "gold-secondary", "owner": {"id": "u1", "email": "a@example.com"}},
            {"name": "api-sub", "scope": "api:orders", "primary_key": "api-key", "secondary_key": "api-key-2"},
            {"name": "all-sub", "scope": "all", "primary_key": "all-key", "secondary_key": "all-key-2"},
            {"name": "other-api", "scope": "api:open", "primary_key": "open-key", "secondary_key": "open-key-2"},
            {"name": "paused", "scope": "all", "primary_key": "paused-key", "secondary_key": "paused-key-2", "state": "suspended"},
        ],
        "policies": {
            "global": global,
            "products": {"gold": product, "free": product},
            "apis": {"orders": api},
            "operations": {"orders/get-id": operation},
        },
    })
}

#[tokio::test]
async fn base_composes_global_product_api_operation() {
    let h = harness(world(
        &global("global"),
        &scoped("product", true),
        &scoped("api", true),
        &scoped("op", true),
    ));
    let with_key = |key: &str| {
        req("GET", "/orders/1")
            .header("Ocp-Apim-Subscription-Key", key)
            .body(Body::empty())
            .unwrap()
    };
    h.send(with_key("gold-primary")).await;
    let order: Vec<_> = h
        .client
        .last()
        .headers
        .get_all("x-order")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["global", "product", "api", "op"]);
    // API- and all-scoped keys skip product policies.
    for key in ["api-key", "all-key-2"] {
        h.send(with_key(key)).await;
        let order: Vec<_> = h
            .client
            .last()
            .headers
            .get_all("x-order")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(order, ["global", "api", "op"], "{key}");
    }

    // `<base/>` placement decides the order; a section without it cuts inheritance.
    let cut = "<policies><inbound><set-header name=\"X-Order\" exists-action=\"append\"><value>api-only</value></set-header></inbound><backend><base/></backend></policies>";
    let h = harness(world(
        &global("global"),
        &scoped("product", false),
        cut,
        &scoped("op", false),
    ));
    h.send(with_key("gold-primary")).await;
    let order: Vec<_> = h
        .client
        .last()
        .headers
        .get_all("x-order")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["op", "api-only"]);
    // That API document has no outbound section: nothing is inherited there, and no on-error.
}

#[tokio::test]
async fn subscription_rules_and_exact_error_bodies() {
    let h = harness(world(
        &global("g"),
        &scoped("p", true),
        &scoped("a", true),
        &scoped("o", true),
    ));
    let missing = r#"{ "statusCode": 401, "message": "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API." }"#;
    let invalid = r#"{ "statusCode": 401, "message": "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription." }"#;
    let r = h.get("/orders/1").await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str(), r.header("content-type")),
        (401, missing, "application/json")
    );
    for key in ["nope", "open-key", "paused-key"] {
        let r = h
            .send(
                req("GET", "/orders/1")
                    .header("Ocp-Apim-Subscription-Key", key)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.body.as_str()),
            (401, invalid),
            "{key}"
        );
    }
    // The query parameter works when the header is absent.
    assert_eq!(
        h.get("/orders/1?subscription-key=gold-secondary")
            .await
            .status,
        200
    );
    // Keyless calls to an API in an open product run in that product's context.
    let r = h.get("/open/v1/ping").await;
    assert_eq!(r.status, 200);
    let order: Vec<_> = h
        .client
        .last()
        .headers
        .get_all("x-order")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["g", "p"]);
    let not_found = r#"{ "statusCode": 404, "message": "Resource not found" }"#;
    for path in ["/nothing", "/orders", "/orders/1/2", "/open/v1/pong"] {
        let r = h.get(path).await;
        assert_eq!(
            (r.status.as_u16(), r.body.as_str()),
            (404, not_found),
            "{path}"
        );
    }
    let r = h
        .send(
            req("POST", "/orders/1")
                .header("Ocp-Apim-Subscription-Key", "all-key")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 404, "no POST operation");
}

#[tokio::test]
async fn subscription_and_user_in_expressions() {
    let api = r#"<policies><inbound><base/><set-header name="X-Sub" exists-action="override"><value>@(context.Subscription.Id + "|" + context.Subscription.Key + "|" + context.User.Email + "|" + context.Product.Name)</value></set-header></inbound><backend><base/></backend></policies>"#;
    let h = harness(world(
        "<policies><backend><forward-request/></backend></policies>",
        "<policies><inbound><base/></inbound><backend><base/></backend></policies>",
        api,
        "<policies><inbound><base/></inbound><backend><base/></backend></policies>",
    ));
    h.send(
        req("GET", "/orders/1")
            .header("Ocp-Apim-Subscription-Key", "gold-secondary")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        h.client.last().headers.get("x-sub").unwrap(),
        "gold-sub|gold-secondary|a@example.com|gold"
    );
}

#[tokio::test]
async fn on_error_sees_last_error_and_can_reshape_the_response() {
    let api = r#"<policies>
        <inbound><base/>
          <choose><when condition="@(true)">
            <set-variable id="boom" name="x" value="@((string)context.Variables["missing"])"/>
          </when></choose>
          <set-header name="X-Never" exists-action="override"><value>1</value></set-header>
        </inbound>
        <backend><base/></backend>
        <outbound><base/></outbound>
        <on-error><base/>
          <set-header name="X-Error" exists-action="override"><value>@(string.Join("|", new [] {
            context.LastError.Source, context.LastError.Reason, context.LastError.Scope,
            context.LastError.Section, context.LastError.Path, context.LastError.PolicyId }))</value></set-header>
          <set-header name="X-Message" exists-action="override"><value>@(context.LastError.Message)</value></set-header>
          <set-status code="418" reason="Teapot"/>
        </on-error></policies>"#;
    let h = harness(json!({
        "name": "g",
        "apis": [{"name": "a", "path": "", "service_url": "http://backend.test", "subscription_required": false, "operations": ["GET /x"]}],
        "policies": {"apis": {"a": api}},
    }));
    let r = h.get("/x").await;
    assert_eq!(r.status.as_u16(), 418);
    assert_eq!(
        r.header("x-error"),
        "set-variable|ExpressionValueEvaluationFailure|api|inbound|choose[2]/when[1]/set-variable[1]|boom"
    );
    assert_eq!(
        r.header("x-message"),
        "Expression evaluation failed. The given key 'missing' was not present in the dictionary."
    );
    assert!(r.body.contains("\"Internal server error\""), "{}", r.body);
    assert_eq!(h.client.count(), 0);

    // Without on-error the caller gets APIM's 500.
    let bare = api.split("<on-error>").next().unwrap().to_owned() + "</policies>";
    let h = harness(json!({
        "name": "g",
        "apis": [{"name": "a", "path": "", "service_url": "http://backend.test", "subscription_required": false, "operations": ["GET /x"]}],
        "policies": {"apis": {"a": bare}},
    }));
    let r = h.get("/x").await;
    assert_eq!(r.status, 500);
    assert!(r.body.starts_with(
        r#"{ "statusCode": 500, "message": "Internal server error", "activityId": ""#
    ));
}

#[tokio::test]
async fn built_in_failures_run_on_error_and_errors_inside_on_error_end_processing() {
    let global = r#"<policies><inbound/><backend><forward-request/></backend><outbound/>
        <on-error><set-header name="X-Source" exists-action="override"><value>@(context.LastError.Source + "/" + context.LastError.Reason + "/" + context.LastError.Scope)</value></set-header></on-error></policies>"#;
    let h = harness(world(
        global,
        "<policies/>",
        "<policies><inbound><base/></inbound><backend><base/></backend><on-error><base/></on-error></policies>",
        "<policies><inbound><base/></inbound><backend><base/></backend><on-error><base/></on-error></policies>",
    ));
    let r = h.get("/orders/1").await;
    assert_eq!(
        (r.status.as_u16(), r.header("x-source")),
        (401, "authorization/SubscriptionKeyNotFound/")
    );
    let r = h.get("/missing").await;
    assert_eq!(
        (r.status.as_u16(), r.header("x-source")),
        (404, "configuration/OperationNotFound/")
    );

    let broken = r#"<policies><inbound><base/><return-response><set-status code="@(int.Parse("x"))"/></return-response></inbound><backend><base/></backend>
        <on-error><set-header name="X-A" exists-action="override"><value>@(((string)context.Variables["nope"]))</value></set-header></on-error></policies>"#;
    let h = harness(json!({
        "name": "g",
        "apis": [{"name": "a", "path": "", "service_url": "http://backend.test", "subscription_required": false, "operations": ["GET /x"]}],
        "policies": {"apis": {"a": broken}},
    }));
    let r = h.get("/x").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("x-a"), "<none>");
}
