//! End to end: a real axum backend on 127.0.0.1:0, the production hyper client, and the
//! gateway router — once through `oneshot`, once through a real socket.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::routing::any;
use serde_json::{Value, json};
use skybridge_gateway::{Gateway, GatewayConfig};

use super::fixture::{req, send_to};

/// Echoes what arrived as JSON.
async fn echo(request: Request) -> axum::Json<Value> {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let headers: serde_json::Map<String, Value> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                Value::String(v.to_str().unwrap_or("").to_owned()),
            )
        })
        .collect();
    axum::Json(json!({
        "method": parts.method.as_str(),
        "uri": parts.uri.to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

async fn backend() -> SocketAddr {
    let app = Router::new()
        .route("/{*rest}", any(echo))
        .route("/", any(echo));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn gateway(backend: SocketAddr) -> Arc<Gateway> {
    let api_policy = r#"<policies>
        <inbound><base/>
          <set-header name="Ocp-Apim-Subscription-Key" exists-action="delete"/>
          <set-header name="X-Via" exists-action="override"><value>@(context.Deployment.ServiceName)</value></set-header>
          <rewrite-uri template="/v1/orders/{id}"/>
        </inbound>
        <backend><base/></backend>
        <outbound><base/>
          <set-header name="X-Backend-Status" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header>
        </outbound>
      </policies>"#;
    let config: GatewayConfig = serde_json::from_value(json!({
        "name": "partner",
        "apis": [{"name": "orders", "path": "orders", "service_url": format!("http://{backend}/base"), "operations": ["GET /{id}", "POST /{id}"]}],
        "subscriptions": [{"name": "s", "scope": "api:orders", "primary_key": "pk", "secondary_key": "sk"}],
        "policies": {"apis": {"orders": api_policy}},
    }))
    .unwrap();
    Arc::new(Gateway::builder(config).build().unwrap())
}

#[tokio::test]
async fn forwards_to_a_real_backend_with_exact_header_control() {
    let addr = backend().await;
    let gw = gateway(addr);
    let r = send_to(
        &gw,
        req("POST", "/orders/42?x=1")
            .header("Ocp-Apim-Subscription-Key", "pk")
            .header("Connection", "keep-alive, X-Hop")
            .header("X-Hop", "secret")
            .header("X-Forwarded-For", "198.51.100.1")
            .header("Content-Type", "application/json")
            .body(Body::from(r#"{"qty":2}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-backend-status"), "200");
    let echoed: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["uri"], "/base/v1/orders/42?x=1");
    assert_eq!(echoed["body"], r#"{"qty":2}"#);
    let h = &echoed["headers"];
    assert_eq!(h["host"], addr.to_string());
    assert_eq!(h["x-forwarded-for"], "198.51.100.1, 203.0.113.7");
    assert_eq!(h["x-via"], "partner");
    assert_eq!(h["content-type"], "application/json");
    assert!(h.get("ocp-apim-subscription-key").is_none());
    assert!(
        h.get("x-hop").is_none(),
        "headers named in Connection are hop-by-hop"
    );
}

#[tokio::test]
async fn serves_over_a_real_socket_and_reports_unreachable_backends() {
    let addr = backend().await;
    let gw = gateway(addr);
    let app = skybridge_gateway::router(gw).into_make_service_with_connect_info::<SocketAddr>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gw_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut stream = tokio::net::TcpStream::connect(gw_addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /orders/7 HTTP/1.1\r\nHost: partner.azure-api.test\r\nOcp-Apim-Subscription-Key: sk\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(raw.contains("\"/base/v1/orders/7\""), "{raw}");
    assert!(raw.contains("\"x-forwarded-for\":\"127.0.0.1\""), "{raw}");

    // A backend that is not listening: APIM's 500 body.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let gw = gateway(dead);
    let r = send_to(
        &gw,
        req("GET", "/orders/1")
            .header("Ocp-Apim-Subscription-Key", "pk")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 500);
    assert!(
        r.body
            .starts_with(r#"{ "statusCode": 500, "message": "Internal server error""#),
        "{}",
        r.body
    );
}
