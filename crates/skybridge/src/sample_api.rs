//! Built-in sample backends (`[[sample_api]]`): a plain-HTTP service on loopback standing in
//! for the partner's real Orders API behind the gateway, so the seed chain ends with a real
//! backend answer. It answers `GET /orders` and `GET /orders/{id}` with sample orders and says
//! who called (the token's `azp`/`appid` and `roles`, read without verification — verifying is
//! the gateway's job). `kind = "echo"` serves `sample_echo.rs` instead.

use std::net::{IpAddr, SocketAddr};

use anyhow::Context;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::world::SampleKind;

fn caller(headers: &HeaderMap) -> Value {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token.and_then(|t| skybridge_jose::decode_unverified(t).ok()) {
        Some(jws) => json!({
            "client": jws.claims.get("azp").or_else(|| jws.claims.get("appid")),
            "tenant": jws.claims.get("tid"),
            "roles": jws.claims.get("roles"),
        }),
        None => Value::Null,
    }
}

fn orders() -> Value {
    json!([
        {"id": "1001", "item": "Widget", "quantity": 3, "status": "shipped"},
        {"id": "1002", "item": "Gadget", "quantity": 1, "status": "processing"},
    ])
}

async fn list(headers: HeaderMap) -> axum::Json<Value> {
    axum::Json(json!({"value": orders(), "caller": caller(&headers)}))
}

fn router() -> Router {
    Router::new()
        .route("/orders", get(list))
        .route("/orders/", get(list))
        .route(
            "/orders/{id}",
            get(|Path(id): Path<String>, headers: HeaderMap| async move {
                let found = orders()
                    .as_array()
                    .and_then(|a| a.iter().find(|o| o["id"] == id.as_str()).cloned());
                match found {
                    Some(order) => (
                        StatusCode::OK,
                        axum::Json(json!({"order": order, "caller": caller(&headers)})),
                    ),
                    None => (
                        StatusCode::NOT_FOUND,
                        axum::Json(json!({"error": format!("no order {id}")})),
                    ),
                }
            }),
        )
}

/// Starts one sample API; returns its base URL.
pub async fn start(
    address: IpAddr,
    kind: SampleKind,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<String> {
    let app = match kind {
        SampleKind::Orders => router(),
        SampleKind::Echo => crate::sample_echo::router(),
    };
    let listener = TcpListener::bind(SocketAddr::new(address, 0))
        .await
        .context("binding a sample API")?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "sample API failed");
        }
    });
    Ok(url)
}
