//! Test doubles (backend client, metadata fetcher, token provider) and request helpers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::{Body, to_bytes};
use axum::extract::ConnectInfo;
use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use serde_json::{Value, json};
use skybridge_gateway::engine::{ClientError, InboundResponse, OutboundRequest};
use skybridge_gateway::{
    AccessToken, FetchError, Gateway, GatewayConfig, HttpClient, ManualClock, MetadataFetcher,
    TokenError, TokenProvider,
};
use tower::ServiceExt;

/// 2023-11-14T22:13:20Z.
pub const T0: i64 = 1_700_000_000_000;

type Reply = Box<dyn Fn(&OutboundRequest) -> Result<InboundResponse, ClientError> + Send + Sync>;

/// A backend that records requests and answers with `reply` (default: 200 "backend-ok").
pub struct FakeClient {
    pub seen: Mutex<Vec<OutboundRequest>>,
    pub reply: Mutex<Reply>,
}

pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> InboundResponse {
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    InboundResponse {
        status,
        headers: h,
        body: Bytes::from(body.to_owned()),
    }
}

impl FakeClient {
    pub fn last(&self) -> OutboundRequest {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("the backend was called")
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn set(
        &self,
        f: impl Fn(&OutboundRequest) -> Result<InboundResponse, ClientError> + Send + Sync + 'static,
    ) {
        *self.reply.lock().unwrap() = Box::new(f);
    }
}

#[async_trait]
impl HttpClient for FakeClient {
    async fn send(
        &self,
        req: OutboundRequest,
        _timeout: Duration,
    ) -> Result<InboundResponse, ClientError> {
        self.seen.lock().unwrap().push(req.clone());
        // As every HttpClient: responses come without hop-by-hop headers.
        let mut resp = (self.reply.lock().unwrap())(&req)?;
        skybridge_gateway::engine::forward::strip_hop_by_hop(&mut resp.headers);
        Ok(resp)
    }
}

/// Serves OpenID metadata and JWKS documents from memory.
#[derive(Default)]
pub struct FakeFetcher {
    pub docs: Mutex<HashMap<String, String>>,
    pub calls: AtomicUsize,
    pub down: AtomicBool,
}

#[async_trait]
impl MetadataFetcher for FakeFetcher {
    async fn get(&self, url: &str) -> Result<Bytes, FetchError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(FetchError("connection refused".into()));
        }
        self.docs
            .lock()
            .unwrap()
            .get(url)
            .cloned()
            .map(Bytes::from)
            .ok_or_else(|| FetchError(format!("404 {url}")))
    }
}

/// Hands out numbered tokens valid for an hour.
pub struct FakeTokens {
    pub calls: AtomicUsize,
    pub clock: Arc<ManualClock>,
    pub fail: AtomicBool,
}

#[async_trait]
impl TokenProvider for FakeTokens {
    async fn token(
        &self,
        resource: &str,
        client_id: Option<&str>,
    ) -> Result<AccessToken, TokenError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(TokenError("IMDS unavailable".into()));
        }
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(AccessToken {
            token: format!("mi-{resource}-{}-{n}", client_id.unwrap_or("system")),
            expires_on: self_now(&self.clock) + 3600,
        })
    }
}

fn self_now(clock: &ManualClock) -> i64 {
    use skybridge_gateway::Clock;
    clock.now_ms() / 1000
}

pub struct Harness {
    pub gw: Arc<Gateway>,
    pub client: Arc<FakeClient>,
    pub clock: Arc<ManualClock>,
    pub fetcher: Arc<FakeFetcher>,
    pub tokens: Arc<FakeTokens>,
}

/// A gateway over fakes.
pub fn harness(config: Value) -> Harness {
    try_harness(config).unwrap_or_else(|e| panic!("load errors:\n{e}"))
}

pub fn try_harness(config: Value) -> Result<Harness, skybridge_gateway::LoadErrors> {
    let config: GatewayConfig = serde_json::from_value(config).expect("config deserializes");
    let client = Arc::new(FakeClient {
        seen: Mutex::new(Vec::new()),
        reply: Mutex::new(Box::new(|_| {
            Ok(response(
                200,
                &[("x-backend", "1"), ("content-type", "text/plain")],
                "backend-ok",
            ))
        })),
    });
    let clock = Arc::new(ManualClock::new(T0));
    let fetcher = Arc::new(FakeFetcher::default());
    let tokens = Arc::new(FakeTokens {
        calls: AtomicUsize::new(0),
        clock: clock.clone(),
        fail: AtomicBool::new(false),
    });
    let gw = Gateway::builder(config)
        .clock(clock.clone())
        .http_client(client.clone())
        .metadata_fetcher(fetcher.clone())
        .token_provider(tokens.clone())
        .build()?;
    Ok(Harness {
        gw: Arc::new(gw),
        client,
        clock,
        fetcher,
        tokens,
    })
}

/// The standard test API: `orders` at `/orders`, keyless, backend `http://backend.test/api`.
pub fn config(api_policy: &str) -> Value {
    json!({
        "name": "g",
        "apis": [{
            "name": "orders",
            "path": "orders",
            "service_url": "http://backend.test/api",
            "subscription_required": false,
            "operations": [
                "GET /{id}",
                "POST /",
                "DELETE /{id}",
                {"name": "search", "method": "GET", "url_template": "/search?q={q}"},
            ],
        }],
        "policies": {"apis": {"orders": api_policy}},
    })
}

/// `<policies>` with the given inbound/outbound/on-error bodies and `<base/>` in backend.
pub fn doc(inbound: &str, outbound: &str, on_error: &str) -> String {
    format!(
        "<policies><inbound><base/>{inbound}</inbound><backend><base/></backend><outbound><base/>{outbound}</outbound><on-error><base/>{on_error}</on-error></policies>"
    )
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("<none>")
    }
}

pub fn req(method: &str, uri: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "g.azure-api.skybridge.localhost")
}

pub async fn send_to(gw: &Arc<Gateway>, req: Request<Body>) -> Resp {
    let mut req = req;
    if req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([203, 0, 113, 7], 50_000))));
    }
    let resp = skybridge_gateway::router(gw.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

impl Harness {
    pub async fn send(&self, req: Request<Body>) -> Resp {
        send_to(&self.gw, req).await
    }

    pub async fn get(&self, uri: &str) -> Resp {
        self.send(req("GET", uri).body(Body::empty()).unwrap())
            .await
    }
}
