//! Each policy's behaviour, observed through the router and a recording backend.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::ConnectInfo;
use serde_json::json;
use skybridge_gateway::engine::ClientError;

use super::fixture::{config, doc, harness, req, response};

#[tokio::test]
async fn headers_query_and_body_on_request_and_response() {
    let h = harness(config(&doc(
        r#"<set-header name="X-Add" exists-action="override"><value>a</value><value>b</value></set-header>
           <set-header name="X-Keep" exists-action="skip"><value>new</value></set-header>
           <set-header name="X-More" exists-action="append"><value>2</value></set-header>
           <set-header name="X-Drop" exists-action="delete"/>
           <set-query-parameter name="api-version" exists-action="override"><value>2024</value></set-query-parameter>
           <set-query-parameter name="drop" exists-action="delete"/>
           <set-body>@("posted:" + context.Request.Body.As<string>())</set-body>"#,
        r#"<set-header name="X-Backend" exists-action="delete"/>
           <set-header name="X-Out" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header>
           <set-body>@(context.Response.Body.As<string>().ToUpper())</set-body>"#,
        "",
    )));
    let r = h
        .send(
            req("POST", "/orders/?drop=1&x=y")
                .header("X-Keep", "old")
                .header("X-More", "1")
                .header("X-Drop", "gone")
                .body(Body::from("hello"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "BACKEND-OK");
    assert_eq!(r.header("x-out"), "200");
    assert_eq!(r.header("x-backend"), "<none>");
    let seen = h.client.last();
    assert_eq!(seen.url, "http://backend.test/api/?x=y&api-version=2024");
    assert_eq!(seen.headers.get("x-add").unwrap(), "a,b");
    assert_eq!(seen.headers.get("x-keep").unwrap(), "old");
    assert_eq!(seen.headers.get_all("x-more").iter().count(), 2);
    assert!(seen.headers.get("x-drop").is_none());
    assert_eq!(seen.body, "posted:hello");
}

#[tokio::test]
async fn rewrite_uri_backend_service_and_method() {
    let h = harness(config(&doc(
        r#"<rewrite-uri template="/v2/items/{id}?src=gw" />
           <set-backend-service base-url="@("http://" + context.Request.Headers.GetValueOrDefault("X-Shard","a") + ".backend.test/base/")" />
           <set-method>PUT</set-method>"#,
        "",
        "",
    )));
    h.send(
        req("GET", "/orders/42?keep=1")
            .header("X-Shard", "b")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let seen = h.client.last();
    assert_eq!(seen.method, "PUT");
    assert_eq!(
        seen.url,
        "http://b.backend.test/base/v2/items/42?src=gw&keep=1"
    );

    let h = harness(config(&doc(
        r#"<rewrite-uri template="/find/{q}" copy-unmatched-params="false"/>"#,
        "",
        "",
    )));
    h.get("/orders/search?q=a%20b&extra=1").await;
    assert_eq!(h.client.last().url, "http://backend.test/api/find/a%20b");
}

#[tokio::test]
async fn choose_variables_and_return_response() {
    let policy = doc(
        r#"<set-variable name="role" value="@(context.Request.Headers.GetValueOrDefault("X-Role", "guest"))"/>
           <choose>
             <when condition="@((string)context.Variables["role"] == "admin")">
               <set-header name="X-Branch" exists-action="override"><value>admin</value></set-header>
             </when>
             <when condition="@(context.Variables.GetValueOrDefault<string>("role") == "blocked")">
               <return-response>
                 <set-status code="403" reason="Go Away"/>
                 <set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>
                 <set-body>@($"{{\"role\":\"{context.Variables["role"]}\"}}")</set-body>
               </return-response>
             </when>
             <otherwise><set-header name="X-Branch" exists-action="override"><value>other</value></set-header></otherwise>
           </choose>"#,
        r#"<set-header name="X-Outbound-Ran" exists-action="override"><value>yes</value></set-header>"#,
        "",
    );
    let h = harness(config(&policy));
    h.send(
        req("GET", "/orders/1")
            .header("X-Role", "admin")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(h.client.last().headers.get("x-branch").unwrap(), "admin");
    h.get("/orders/1").await;
    assert_eq!(h.client.last().headers.get("x-branch").unwrap(), "other");
    let r = h
        .send(
            req("GET", "/orders/1")
                .header("X-Role", "blocked")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, r#"{"role":"blocked"}"#);
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(
        r.header("x-outbound-ran"),
        "<none>",
        "return-response ends the pipeline"
    );
    assert_eq!(
        h.client.count(),
        2,
        "no backend call for the returned response"
    );
}

#[tokio::test]
async fn mock_response_and_set_status() {
    let h = harness(config(&doc(
        r#"<mock-response status-code="201" content-type="application/json"/>"#,
        "",
        "",
    )));
    let r = h.get("/orders/1").await;
    assert_eq!(
        (r.status.as_u16(), r.header("content-type"), r.body.as_str()),
        (201, "application/json", "")
    );
    assert_eq!(h.client.count(), 0);

    let h = harness(config(&doc(
        "",
        r#"<set-status code="299" reason="Fine"/>"#,
        "",
    )));
    assert_eq!(h.get("/orders/1").await.status.as_u16(), 299);
}

#[tokio::test]
async fn forward_request_timeout_redirects_and_error_status() {
    let h = harness(config(&doc(
        "",
        "",
        r#"<set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>"#,
    )));
    h.client.set(|_| Err(ClientError::Timeout));
    let r = h.get("/orders/1").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("x-reason"), "Timeout");
    assert!(
        r.body.starts_with(
            r#"{ "statusCode": 500, "message": "Internal server error", "activityId": ""#
        ),
        "{}",
        r.body
    );

    let redirecting = r#"<policies><inbound><base/></inbound><backend><forward-request timeout="5" follow-redirects="true"/></backend><outbound><base/></outbound></policies>"#;
    let h = harness(config(redirecting));
    h.client.set(|r| {
        if r.url.ends_with("/1") {
            Ok(response(302, &[("location", "/api/moved")], ""))
        } else {
            Ok(response(200, &[], "moved-here"))
        }
    });
    assert_eq!(h.get("/orders/1").await.body, "moved-here");
    assert_eq!(h.client.last().url, "http://backend.test/api/moved");

    let failing = r#"<policies><inbound><base/></inbound><backend><forward-request fail-on-error-status-code="true"/></backend>
        <outbound><set-header name="X-Outbound" exists-action="override"><value>ran</value></set-header></outbound>
        <on-error><set-header name="X-Status" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header></on-error></policies>"#;
    let h = harness(config(failing));
    h.client.set(|_| Ok(response(503, &[], "busy")));
    let r = h.get("/orders/1").await;
    assert_eq!(
        (
            r.status.as_u16(),
            r.body.as_str(),
            r.header("x-status"),
            r.header("x-outbound")
        ),
        (503, "busy", "503", "<none>")
    );
}

#[tokio::test]
async fn send_request_and_authentication() {
    let policy = doc(
        r#"<send-request mode="new" response-variable-name="lookup" timeout="5">
             <set-url>@("http://lookup.test/users/" + context.Request.MatchedParameters["id"])</set-url>
             <set-method>POST</set-method>
             <set-body>{"q":1}</set-body>
             <authentication-managed-identity resource="api://lookup"/>
           </send-request>
           <set-header name="X-Name" exists-action="override">
             <value>@((string)((IResponse)context.Variables["lookup"]).Body.As<JObject>()["name"])</value>
           </set-header>
           <authentication-basic username="u" password="p"/>"#,
        "",
        "",
    );
    let h = harness(config(&policy));
    h.client.set(|r| {
        if r.url.starts_with("http://lookup.test/") {
            Ok(response(
                200,
                &[("content-type", "application/json")],
                r#"{"name":"Ada"}"#,
            ))
        } else {
            Ok(response(200, &[], "ok"))
        }
    });
    h.get("/orders/7").await;
    let seen = h.client.seen.lock().unwrap().clone();
    assert_eq!(seen[0].url, "http://lookup.test/users/7");
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].headers.get("authorization").unwrap(),
        "Bearer mi-api://lookup-system-0"
    );
    assert_eq!(seen[1].headers.get("x-name").unwrap(), "Ada");
    assert_eq!(seen[1].headers.get("authorization").unwrap(), "Basic dTpw");
}

#[tokio::test]
async fn managed_identity_tokens_are_cached_and_failures_reported() {
    let h = harness(config(&doc(
        r#"<authentication-managed-identity resource="https://vault.azure.net" client-id="uami-1"/>"#,
        "",
        r#"<set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>"#,
    )));
    h.get("/orders/1").await;
    h.get("/orders/1").await;
    assert_eq!(
        h.client.last().headers.get("authorization").unwrap(),
        "Bearer mi-https://vault.azure.net-uami-1-0"
    );
    assert_eq!(h.tokens.calls.load(Ordering::SeqCst), 1, "cached");
    h.clock.advance(3600 * 1000);
    h.tokens.fail.store(true, Ordering::SeqCst);
    let r = h.get("/orders/1").await;
    assert_eq!(
        (r.status.as_u16(), r.header("x-reason")),
        (500, "TokenAcquisitionFailed")
    );
}

#[tokio::test]
async fn check_header_and_ip_filter() {
    let h = harness(config(&doc(
        r#"<check-header name="X-Version" failed-check-httpcode="400" failed-check-error-message="Bad version" ignore-case="true"><value>V1</value></check-header>"#,
        "",
        r#"<set-header name="X-Msg" exists-action="override"><value>@(context.LastError.Message)</value></set-header>"#,
    )));
    let r = h.get("/orders/1").await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (400, r#"{ "statusCode": 400, "message": "Bad version" }"#)
    );
    assert_eq!(
        r.header("x-msg"),
        "Header X-Version was not found in the request. Access denied."
    );
    let r = h
        .send(
            req("GET", "/orders/1")
                .header("X-Version", "v2")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        r.header("x-msg"),
        "Header X-Version value of v2 is not allowed. Access denied."
    );
    assert_eq!(
        h.send(
            req("GET", "/orders/1")
                .header("X-Version", "v1")
                .body(Body::empty())
                .unwrap()
        )
        .await
        .status,
        200
    );

    let h = harness(config(&doc(
        r#"<ip-filter action="allow"><address-range from="10.0.0.0" to="10.0.0.255"/></ip-filter>"#,
        "",
        "",
    )));
    let from = |ip: [u8; 4]| {
        let mut r = req("GET", "/orders/1").body(Body::empty()).unwrap();
        r.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((ip, 1234))));
        r
    };
    let r = h.send(from([10, 0, 0, 9])).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        h.client.last().headers.get("x-forwarded-for").unwrap(),
        "10.0.0.9"
    );
    let r = h.send(from([10, 0, 1, 9])).await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (
            403,
            r#"{ "statusCode": 403, "message": "Caller IP address 10.0.1.9 is not allowed. Access denied." }"#
        )
    );

    let h = harness(config(&doc(
        r#"<ip-filter action="forbid"><address>10.0.0.9</address></ip-filter>"#,
        "",
        "",
    )));
    assert_eq!(
        h.send(from([10, 0, 0, 9])).await.body,
        r#"{ "statusCode": 403, "message": "Caller IP address is blocked. Access denied." }"#
    );
}

#[tokio::test]
async fn cors_preflight_and_actual_requests() {
    let cors = r#"<cors allow-credentials="true"><allowed-origins><origin>https://app.example</origin></allowed-origins>
        <allowed-methods preflight-result-max-age="600"><method>GET</method><method>DELETE</method></allowed-methods>
        <allowed-headers><header>x-custom</header></allowed-headers><expose-headers><header>x-backend</header></expose-headers></cors>"#;
    let h = harness(config(&doc(cors, "", "")));
    let pre = |origin: &str, method: &str| {
        req("OPTIONS", "/orders/1")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", method)
            .header("Access-Control-Request-Headers", "X-Custom")
            .body(Body::empty())
            .unwrap()
    };
    let r = h.send(pre("https://app.example", "DELETE")).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        "https://app.example"
    );
    assert_eq!(r.header("access-control-allow-credentials"), "true");
    assert_eq!(r.header("access-control-allow-methods"), "DELETE");
    assert_eq!(r.header("access-control-allow-headers"), "X-Custom");
    assert_eq!(r.header("access-control-max-age"), "600");
    let r = h.send(pre("https://evil.example", "DELETE")).await;
    assert_eq!(
        (r.status.as_u16(), r.header("access-control-allow-origin")),
        (200, "<none>")
    );
    assert_eq!(h.client.count(), 0, "preflights never reach the backend");

    let r = h
        .send(
            req("GET", "/orders/1")
                .header("Origin", "https://app.example:443")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        "https://app.example:443"
    );
    assert_eq!(r.header("access-control-expose-headers"), "x-backend");
    let r = h
        .send(
            req("GET", "/orders/1")
                .header("Origin", "https://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.header("access-control-allow-origin")),
        (200, "<none>")
    );

    let terminating = cors.replace(
        "allow-credentials=\"true\"",
        "terminate-unmatched-request=\"true\"",
    );
    let h = harness(config(&doc(&terminating, "", "")));
    let r = h
        .send(
            req("GET", "/orders/1")
                .header("Origin", "https://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, ""));
    assert_eq!(h.client.count(), 0);
}

#[tokio::test]
async fn fragments_named_values_and_backends() {
    let mut cfg = config(&doc(
        r#"<include-fragment fragment-id="stamp"/><set-backend-service backend-id="alt"/>"#,
        "",
        "",
    ));
    cfg["fragments"] = json!({"stamp": "<fragment><set-header name=\"X-Stamp\" exists-action=\"override\"><value>{{stamp}}-@</value></set-header></fragment>"});
    cfg["named_values"] = json!([{"name": "stamp", "value": "s3cret", "secret": true}]);
    cfg["backends"] = json!([{"name": "alt", "url": "http://alt.test/v9"}]);
    let h = harness(cfg);
    h.get("/orders/5").await;
    let seen = h.client.last();
    assert_eq!(seen.headers.get("x-stamp").unwrap(), "s3cret-@");
    assert_eq!(seen.url, "http://alt.test/v9/5");
}

#[tokio::test]
async fn trace_and_context_members() {
    let h = harness(config(&doc(
        r#"<trace source="t" severity="information"><message>@("op " + context.Operation.Id)</message><metadata name="m" value="v"/></trace>
           <set-header name="X-Ctx" exists-action="override"><value>@(string.Join("|", new [] {
               context.Api.Id, context.Api.Path, context.Operation.Method, context.Operation.UrlTemplate,
               context.Request.OriginalUrl.Host, context.Request.Url.Host, context.Request.Url.Path,
               context.Request.IpAddress, context.Deployment.ServiceName, context.Timestamp.Year.ToString() }))</value></set-header>"#,
        "",
        "",
    )));
    h.get("/orders/9?x=1").await;
    assert_eq!(
        h.client.last().headers.get("x-ctx").unwrap(),
        "orders|orders|GET|/{id}|g.azure-api.skybridge.localhost|backend.test|/api/9|203.0.113.7|g|2023"
    );
}
