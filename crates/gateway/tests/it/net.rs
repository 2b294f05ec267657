//! Real sockets on loopback: the gateway served as the binary serves it (hyper-util's auto
//! builder, `ConnectInfo` per connection), a raw HTTP/1.1 client that sees the exact bytes
//! (status line, headers, body), a trivial backend, and an OpenID authority whose signing
//! keys can be rotated and which can be stopped (every socket closed).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::{self, any, post};
use bytes::Bytes;
use http::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde_json::{Value, json};
use skybridge_gateway::engine::{HttpClient, InboundResponse, OutboundRequest};
use skybridge_gateway::http::client::BackendClient;
use skybridge_gateway::{Clock, Gateway, ManualClock};
use skybridge_jose::{Alg, Header, JwkSet, LocalSigner, encode_sync};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Upper bound for any single exchange: a hang fails the test instead of stalling it.
pub const BOUND: Duration = Duration::from_secs(15);

/// A server on 127.0.0.1 whose accept loop and connections all end on `stop` (or drop).
pub struct Server {
    pub addr: SocketAddr,
    tasks: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Serves `app` on a new port.
    pub async fn start(app: Router) -> Self {
        Self::from_listener(TcpListener::bind("127.0.0.1:0").await.unwrap(), app)
    }

    /// Serves `app` with the same hyper-util builder the binary uses.
    pub fn from_listener(listener: TcpListener, app: Router) -> Self {
        let addr = listener.local_addr().unwrap();
        let tasks = tokio::spawn(async move {
            // Dropping the JoinSet (when this task is aborted) aborts every connection.
            let mut conns = JoinSet::new();
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                let service = TowerToHyperService::new(app.clone().map_request(
                    move |r: Request<hyper::body::Incoming>| {
                        let mut r = r.map(Body::new);
                        r.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                        r
                    },
                ));
                conns.spawn(async move {
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            tasks: Some(tasks),
        }
    }

    /// Closes the listener and every open connection; afterwards connects are refused.
    pub async fn stop(&mut self) {
        if let Some(t) = self.tasks.take() {
            t.abort();
            let _ = t.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(t) = &self.tasks {
            t.abort();
        }
    }
}

/// The gateway behind a real socket.
pub async fn serve(gw: Arc<Gateway>) -> Server {
    Server::start(skybridge_gateway::router(gw)).await
}

/// A backend answering every request with 200 `backend-ok`.
pub async fn ok_backend() -> Server {
    Server::start(Router::new().fallback(any(|| async { "backend-ok" }))).await
}

/// A response as it arrived on the wire.
#[derive(Debug)]
pub struct Raw {
    /// `HTTP/1.1 401 Access Denied`
    pub status_line: String,
    /// Header lines in order (names lower-cased).
    pub headers: Vec<(String, String)>,
    /// The body bytes (de-chunked if chunked).
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size = std::str::from_utf8(&b[..line_end]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        b = &b[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// Parses one HTTP/1.1 response read until the server closed the connection.
pub fn parse(raw: &[u8]) -> Raw {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Raw {
        status_line,
        headers,
        body,
    }
}

/// Writes `request` verbatim (it should say `Connection: close`) and reads the whole answer.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> Raw {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let io = async {
        // The server may answer (and close) before it read everything, e.g. on a header
        // block that is too large: a failed write is then expected, the answer is not lost.
        let _ = stream.write_all(request).await;
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw).await;
        raw
    };
    let raw = tokio::time::timeout(BOUND, io)
        .await
        .expect("the server answered and closed within the bound");
    parse(&raw)
}

/// `GET path` with extra header lines, one request per connection.
pub async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Raw {
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: g.azure-api.skybridge.localhost\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Connection: close\r\n\r\n");
    exchange(addr, req.as_bytes()).await
}

/// A pooled client (the gateway's own production client) with a bounded wait.
pub fn client() -> BackendClient {
    BackendClient::new(None, Default::default())
}

/// Sends through `client`.
pub async fn send(
    client: &BackendClient,
    method: http::Method,
    url: &str,
    headers: &[(&str, &str)],
) -> InboundResponse {
    let mut h = http::HeaderMap::new();
    for (k, v) in headers {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let req = OutboundRequest {
        method,
        url: url.to_owned(),
        headers: h,
        body: Bytes::new(),
    };
    client.send(req, BOUND).await.expect("a response")
}

/// A token from an authority's token endpoint, over HTTP.
pub async fn fetch_token(client: &BackendClient, token_url: &str) -> String {
    let r = send(client, http::Method::POST, token_url, &[]).await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

/// The signing side of a tenant: published keys, the key that signs, hit counters.
pub struct Keys {
    /// Published in the JWKS, in order.
    pub published: Vec<(String, Arc<LocalSigner>)>,
    /// The kid that signs new tokens (need not be published: an authority bug to test).
    pub signing: (String, Arc<LocalSigner>),
}

pub struct AuthorityState {
    pub keys: Mutex<Keys>,
    pub clock: Arc<ManualClock>,
    pub metadata_hits: AtomicUsize,
    pub jwks_hits: AtomicUsize,
    serial: AtomicU64,
    base: String,
}

pub fn rsa() -> Arc<LocalSigner> {
    Arc::new(LocalSigner::generate(Alg::RS256, 2048).unwrap().0)
}

impl AuthorityState {
    pub fn issuer(&self) -> String {
        format!("{}/partner/v2.0", self.base)
    }

    /// A fresh token (unique `jti`) signed by the current key, valid 3 h from the clock's now.
    pub fn mint(&self) -> String {
        let (kid, signer) = self.keys.lock().unwrap().signing.clone();
        self.mint_with(&kid, &signer)
    }

    pub fn mint_with(&self, kid: &str, signer: &LocalSigner) -> String {
        let now = self.clock.now_ms() / 1000;
        let n = self.serial.fetch_add(1, Ordering::SeqCst);
        let mut header = Header::new(signer.alg());
        header.typ = Some("JWT".into());
        header.kid = Some(kid.into());
        let claims = json!({
            "iss": self.issuer(), "aud": "api://orders", "sub": "app-1", "azp": "client-1",
            "roles": ["Orders.Read"], "iat": now, "nbf": now, "exp": now + 3 * 3600,
            "jti": format!("t-{n}"),
        });
        encode_sync(&header, &claims, signer).unwrap()
    }

    fn jwks(&self) -> String {
        let keys = self.keys.lock().unwrap();
        let set = JwkSet {
            keys: keys
                .published
                .iter()
                .map(|(kid, s)| {
                    let mut jwk = s.public_jwk();
                    jwk.kid = Some(kid.clone());
                    jwk
                })
                .collect(),
        };
        serde_json::to_string(&set).unwrap()
    }

    /// Publishes `published` and signs with `signing` from now on.
    pub fn rotate(&self, published: &[(&str, &Arc<LocalSigner>)], signing: &str) {
        let published: Vec<_> = published
            .iter()
            .map(|(k, s)| ((*k).to_owned(), (*s).clone()))
            .collect();
        let signer = published
            .iter()
            .find(|(k, _)| k == signing)
            .expect("the signing key is published")
            .1
            .clone();
        *self.keys.lock().unwrap() = Keys {
            published,
            signing: (signing.to_owned(), signer),
        };
    }
}

/// An OpenID authority on loopback: discovery document, JWKS and a token endpoint.
pub struct Authority {
    pub server: Server,
    pub state: Arc<AuthorityState>,
}

impl Authority {
    pub async fn start(clock: Arc<ManualClock>, published: &[(&str, &Arc<LocalSigner>)]) -> Self {
        // Bind first so the documents can carry the real port.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(AuthorityState {
            keys: Mutex::new(Keys {
                published: Vec::new(),
                signing: (String::new(), published[0].1.clone()),
            }),
            clock,
            metadata_hits: AtomicUsize::new(0),
            jwks_hits: AtomicUsize::new(0),
            serial: AtomicU64::new(0),
            base: base.clone(),
        });
        state.rotate(published, published[0].0);
        let (s1, s2, s3) = (state.clone(), state.clone(), state.clone());
        let app = Router::new()
            .route(
                "/partner/v2.0/.well-known/openid-configuration",
                routing::get(move || async move {
                    s1.metadata_hits.fetch_add(1, Ordering::SeqCst);
                    axum::Json(json!({
                        "issuer": s1.issuer(),
                        "jwks_uri": format!("{}/partner/discovery/v2.0/keys", s1.base),
                    }))
                }),
            )
            .route(
                "/partner/discovery/v2.0/keys",
                routing::get(move || async move {
                    s2.jwks_hits.fetch_add(1, Ordering::SeqCst);
                    (
                        [(http::header::CONTENT_TYPE, "application/json")],
                        s2.jwks(),
                    )
                }),
            )
            .route(
                "/partner/oauth2/v2.0/token",
                post(move || async move {
                    axum::Json(json!({"token_type": "Bearer", "expires_in": 10800, "access_token": s3.mint()}))
                }),
            );
        let server = Server::from_listener(listener, app);
        Self { server, state }
    }

    pub fn metadata_url(&self) -> String {
        format!(
            "{}/partner/v2.0/.well-known/openid-configuration",
            self.state.base
        )
    }

    pub fn token_url(&self) -> String {
        format!("{}/partner/oauth2/v2.0/token", self.state.base)
    }
}
