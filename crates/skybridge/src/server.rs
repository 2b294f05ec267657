//! The one HTTPS listener: TLS by SNI, then routing by `Host` to each service's router, with
//! graceful shutdown.

use std::borrow::Cow;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::Service as _;
use tower::util::future::{EitherResponseFuture, MapResponseFuture};
use tower::util::{Either, MapResponse};

/// A response body: buffered bytes (a direct handler's) or axum's boxed body (a router's).
pub enum HostBody {
    /// The whole body; hyper writes its length from the size hint.
    Full(Option<Bytes>),
    /// A router's body.
    Axum(Body),
}

impl From<Bytes> for HostBody {
    fn from(b: Bytes) -> Self {
        HostBody::Full(Some(b))
    }
}

impl http_body::Body for HostBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        match self.get_mut() {
            HostBody::Full(b) => Poll::Ready(
                b.take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            HostBody::Axum(b) => Pin::new(b).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            HostBody::Full(b) => b.as_ref().is_none_or(Bytes::is_empty),
            HostBody::Axum(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            HostBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            HostBody::Axum(b) => b.size_hint(),
        }
    }
}

/// A direct handler's response future.
pub type DirectFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<HostBody>, Infallible>> + Send>>;

/// A handler called with the request as hyper parsed it and the caller's address, without a
/// router's layers: no routing table, no request extensions, no boxed body either way. For
/// the gateway, whose whole request is a proxied call (the layers and their allocations were
/// a measurable share of it: docs/benchmarks.md, "Fewer allocations").
pub type DirectHandler =
    Arc<dyn Fn(http::Request<Incoming>, SocketAddr) -> DirectFuture + Send + Sync>;

/// What serves one host.
#[derive(Clone)]
pub enum HostService {
    /// An axum router.
    Router(Router),
    /// A direct handler.
    Direct(DirectHandler),
}

/// Services by host name (lower case, no port): each request goes straight to its host's
/// service (HTTP/1 `Host` or HTTP/2 `:authority`), without an outer router of its own to
/// traverse first.
#[derive(Clone)]
pub struct HostRoutes {
    /// foldhash, not SipHash: looked up on every request, and only ever holds the configured
    /// hosts (a caller's `Host` is looked up, never inserted).
    routes: Arc<foldhash::HashMap<String, HostService>>,
    /// Answers a request without a host (400) or for a host Skybridge does not serve (404).
    unknown: Router,
}

impl HostRoutes {
    /// Routes from (host, router) pairs.
    pub fn new(routes: HashMap<String, Router>) -> Self {
        Self {
            routes: Arc::new(
                routes
                    .into_iter()
                    .map(|(host, r)| (host, HostService::Router(r)))
                    .collect(),
            ),
            unknown: Router::new().fallback(unknown_host),
        }
    }

    /// Serves `host` with a direct handler (replacing any router for it).
    pub fn direct(mut self, host: String, handler: DirectHandler) -> Self {
        Arc::make_mut(&mut self.routes).insert(host, HostService::Direct(handler));
        self
    }

    fn find<B>(&self, req: &http::Request<B>) -> Option<&HostService> {
        request_host(req).and_then(|host| self.routes.get(host.as_ref()))
    }
}

type ToHostBody = fn(Response) -> http::Response<HostBody>;
type RouterFuture = MapResponseFuture<RouteFuture<Infallible>, ToHostBody>;

fn to_host_body(r: Response) -> http::Response<HostBody> {
    r.map(HostBody::Axum)
}

/// A direct handler as a tower service, so both kinds share one response future type.
struct DirectService(DirectHandler, SocketAddr);

impl tower::Service<http::Request<Incoming>> for DirectService {
    type Response = http::Response<HostBody>;
    type Error = Infallible;
    type Future = DirectFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Incoming>) -> DirectFuture {
        (self.0)(req, self.1)
    }
}

/// One connection's service: the routes and the peer's address.
#[derive(Clone)]
struct Connection {
    routes: HostRoutes,
    peer: SocketAddr,
}

impl hyper::service::Service<http::Request<Incoming>> for Connection {
    type Response = http::Response<HostBody>;
    type Error = Infallible;
    type Future = EitherResponseFuture<DirectFuture, RouterFuture>;

    fn call(&self, req: http::Request<Incoming>) -> Self::Future {
        let router = |r: &Router| MapResponse::new(r.clone(), to_host_body as ToHostBody);
        let mut service: Either<DirectService, MapResponse<Router, ToHostBody>> =
            match self.routes.find(&req) {
                Some(HostService::Direct(h)) => Either::Left(DirectService(h.clone(), self.peer)),
                Some(HostService::Router(r)) => Either::Right(router(r)),
                None => Either::Right(router(&self.routes.unknown)),
            };
        // Both are always ready: a direct handler trivially, an axum router by design.
        service.call(req)
    }
}

/// The request's host, lower case and without the port; borrowed from the request unless it
/// had to be lower-cased (this runs on every request: no allocation in the common case).
fn request_host<B>(req: &http::Request<B>) -> Option<Cow<'_, str>> {
    let raw = match req.uri().host() {
        Some(h) => h,
        None => req.headers().get(header::HOST)?.to_str().ok()?,
    };
    // Drop the port; keep an IPv6 literal's brackets.
    let host = match raw.strip_prefix('[') {
        Some(rest) => raw.get(..rest.find(']').map_or(raw.len(), |i| i + 2))?,
        None => raw.split(':').next().unwrap_or(""),
    };
    Some(if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    })
}

async fn unknown_host(req: Request) -> Response {
    match request_host(&req) {
        None => (StatusCode::BAD_REQUEST, "a Host header is required").into_response(),
        Some(host) => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({
                "error": {"code": "HostNotFound", "message": format!("Skybridge serves no service at host '{host}'.")}
            })),
        )
            .into_response(),
    }
}

/// Makes `router`'s responses leave in bursts: before a response is written, the other
/// requests that are ready get their turn, so under load a client waiting on many connections
/// is woken once for several responses rather than once for each (a cross-CPU wake-up costs
/// about as much as parsing and routing a request). On an idle server it costs one pass of the
/// scheduler. For services whose requests carry CPU work (signatures): there it measured about
/// +40 % P-256 signs/s at the vault; the gateway's proxied responses did not gain
/// (docs/benchmarks.md, "Responses in bursts").
pub fn respond_in_bursts(router: Router) -> Router {
    router.layer(axum::middleware::map_response(|response: Response| async {
        tokio::task::yield_now().await;
        response
    }))
}

/// How long a client may take to send a request's header block (request line and headers)
/// before its connection is closed without a response. Long enough for any real client on a
/// slow link (nginx's `client_header_timeout` is 60 s, Go's `ReadHeaderTimeout` is unset by
/// default but commonly 10–30 s); short enough that idle or stalled sockets do not pile up.
///
/// In hyper 1.x (`proto/h1/conn.rs`, `poll_read_head`) the same timer also runs while a
/// keep-alive connection waits for its *next* request: it starts when hyper begins reading a
/// head, i.e. right after the previous response, so a keep-alive connection idle for this
/// long is closed too (gracefully: nothing was read, no error). That makes this the HTTP/1
/// keep-alive idle timeout as well; clients and pools reconnect transparently (nginx's
/// default `keepalive_timeout` is 75 s, Azure's load balancers idle out at 4 min). A
/// connection under load never waits that long, so throughput is unaffected.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Connection limits of [`serve_with`].
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
        }
    }
}

/// Serves `app` over TLS on `listener` until `shutdown` resolves, then lets open requests
/// finish (up to 10 s).
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: HostRoutes,
    shutdown: impl Future<Output = ()>,
) {
    serve_with(listener, tls, app, shutdown, ServeOptions::default()).await;
}

/// [`serve`] with explicit limits (tests use short ones).
pub async fn serve_with(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: HostRoutes,
    shutdown: impl Future<Output = ()>,
    options: ServeOptions,
) {
    let acceptor = TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper enforces header_read_timeout only with a timer; without one it never fires.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    // The protocol comes from ALPN, not from sniffing the first bytes: auto's version sniffing
    // waits for the client's first bytes with no timeout at all, so a client that finished
    // the TLS handshake and then sent nothing would hold its connection forever. HTTP/2 over
    // TLS is always negotiated with ALPN `h2` (RFC 9113 §3.2); anything else is HTTP/1.
    // No Skybridge service uses HTTP upgrades, so connections are served without them.
    let h1 = builder.clone().http1_only();
    let h2 = builder.http2_only();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        // The peer address reaches direct handlers as an argument (the gateway's ip-filter,
        // `context.Request.IpAddress` and X-Forwarded-For need it).
        let service = Connection {
            routes: app.clone(),
            peer,
        };
        let (h1, h2) = (h1.clone(), h2.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                .await
            {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let builder = match tls.get_ref().1.alpn_protocol() {
                Some(b"h2") => &h2,
                _ => &h1,
            };
            let conn = builder.serve_connection(TokioIo::new(tls), service);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!("connections still open after 10 s; closing them");
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(uri: &str, host: Option<&str>) -> Option<String> {
        let mut b = Request::builder().uri(uri);
        if let Some(h) = host {
            b = b.header(header::HOST, h);
        }
        request_host(&b.body(Body::empty()).unwrap()).map(Cow::into_owned)
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("/x", Some("Login.Example:8443")).as_deref(),
            Some("login.example")
        );
        assert_eq!(
            host_of("/x", Some("login.example")).as_deref(),
            Some("login.example")
        );
        assert_eq!(host_of("https://a.b:1/x", None).as_deref(), Some("a.b"));
        assert_eq!(host_of("/x", None), None);
        assert_eq!(host_of("/x", Some("[::1]:8443")).as_deref(), Some("[::1]"));
        assert_eq!(host_of("/x", Some("[::1")).as_deref(), Some("[::1"));
    }

    /// A TLS server with one host, "localhost", answering `ok`, with `timeout` as header read
    /// timeout; returns its port and a client config trusting it.
    async fn server(timeout: Duration) -> (u16, Arc<rustls::ClientConfig>) {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let ca = skybridge_pki::DevCa::generate("test CA", now - 10, 2).unwrap();
        let tls =
            Arc::new(crate::tls::server_config(&ca, &["localhost".to_string()], now - 5).unwrap());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls_pki_types::CertificateDer::from(
                ca.cert_der().to_vec(),
            ))
            .unwrap();
        let mut client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        client.alpn_protocols = vec![b"http/1.1".to_vec()];
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = HostRoutes::new(HashMap::from([(
            "localhost".to_string(),
            Router::new().fallback(|| async { "ok" }),
        )]))
        .direct(
            "direct.test".to_string(),
            Arc::new(|req, peer| {
                Box::pin(async move {
                    let text = match req.uri().path() {
                        "/empty" => String::new(),
                        _ => format!("{} {} from {}", req.method(), req.uri(), peer.ip()),
                    };
                    Ok(http::Response::new(HostBody::from(Bytes::from(text))))
                })
            }),
        );
        let options = ServeOptions {
            header_read_timeout: timeout,
        };
        tokio::spawn(serve_with(
            listener,
            tls,
            app,
            std::future::pending(),
            options,
        ));
        (port, Arc::new(client))
    }

    type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

    async fn connect(port: u16, client: &Arc<rustls::ClientConfig>) -> Tls {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        tokio_rustls::TlsConnector::from(client.clone())
            .connect(name, tcp)
            .await
            .unwrap()
    }

    /// Reads until the server closes the connection (EOF or reset); returns what arrived
    /// and how long it took, failing after 5 s.
    async fn until_closed(tls: &mut Tls) -> (String, Duration) {
        use tokio::io::AsyncReadExt;
        let started = std::time::Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await {
                Err(_) => panic!("still open after 5 s; read {got:?}"),
                Ok(Ok(0) | Err(_)) => break,
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            }
        }
        (
            String::from_utf8_lossy(&got).into_owned(),
            started.elapsed(),
        )
    }

    const TIMEOUT: Duration = Duration::from_millis(300);

    #[tokio::test]
    async fn a_stalled_header_block_is_cut_off() {
        use tokio::io::AsyncWriteExt;
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let (port, client) = server(TIMEOUT).await;
        // Half a header block, then nothing: closed without a response once the time is up.
        let mut tls = connect(port, &client).await;
        tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            .await
            .unwrap();
        tls.flush().await.unwrap();
        let (got, waited) = until_closed(&mut tls).await;
        assert_eq!(got, "", "no response to a request never finished");
        assert!(waited >= TIMEOUT - Duration::from_millis(50), "{waited:?}");
        // Not a single byte after the handshake: closed as well (no protocol sniffing wait).
        let mut tls = connect(port, &client).await;
        let (got, _) = until_closed(&mut tls).await;
        assert_eq!(got, "");
    }

    #[tokio::test]
    async fn requests_go_to_their_host_and_others_are_answered_in_azure_shape() {
        use tokio::io::AsyncWriteExt;
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let (port, client) = server(Duration::from_secs(5)).await;
        let ask = |request: &'static [u8]| {
            let client = client.clone();
            async move {
                let mut tls = connect(port, &client).await;
                tls.write_all(request).await.unwrap();
                until_closed(&mut tls).await.0
            }
        };
        let served =
            ask(b"GET / HTTP/1.1\r\nHost: LocalHost:8443\r\nConnection: close\r\n\r\n").await;
        assert!(served.starts_with("HTTP/1.1 200 OK\r\n"), "{served}");
        assert!(served.ends_with("\r\n\r\nok"), "{served}");
        let unknown =
            ask(b"GET / HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n").await;
        assert!(
            unknown.starts_with("HTTP/1.1 404 Not Found\r\n"),
            "{unknown}"
        );
        assert!(
            unknown.ends_with(
                r#"{"error":{"code":"HostNotFound","message":"Skybridge serves no service at host 'other.example'."}}"#
            ),
            "{unknown}"
        );
        // A direct handler gets the request and the peer; its buffered body leaves with its
        // length, an empty one too.
        let direct = ask(
            b"POST /x?y=1 HTTP/1.1\r\nHost: Direct.Test\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
        )
        .await;
        assert!(direct.starts_with("HTTP/1.1 200 OK\r\n"), "{direct}");
        assert!(direct.contains("\r\ncontent-length: 26\r\n"), "{direct}");
        assert!(
            direct.ends_with("\r\n\r\nPOST /x?y=1 from 127.0.0.1"),
            "{direct}"
        );
        let empty =
            ask(b"GET /empty HTTP/1.1\r\nHost: direct.test\r\nConnection: close\r\n\r\n").await;
        assert!(empty.contains("\r\ncontent-length: 0\r\n"), "{empty}");
        assert!(empty.ends_with("\r\n\r\n"), "{empty}");
        let hostless = ask(b"GET / HTTP/1.0\r\n\r\n").await;
        assert!(
            hostless.starts_with("HTTP/1.0 400 Bad Request\r\n"),
            "{hostless}"
        );
        assert!(
            hostless.ends_with("a Host header is required"),
            "{hostless}"
        );
    }

    #[tokio::test]
    async fn keep_alive_serves_requests_then_idles_out() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let (port, client) = server(TIMEOUT).await;
        let mut tls = connect(port, &client).await;
        // Requests that keep coming, each well within the timeout, share the connection for
        // longer than the timeout in total.
        for _ in 0..4 {
            tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .await
                .unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            while !got.ends_with(b"\r\n\r\nok") {
                let n = tls.read(&mut buf).await.unwrap();
                assert_ne!(n, 0, "closed mid-response: {got:?}");
                got.extend_from_slice(&buf[..n]);
            }
            assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
            tokio::time::sleep(TIMEOUT / 2).await;
        }
        // hyper's header read timer also runs while waiting for the next request: an idle
        // keep-alive connection is closed after the same time, without a response.
        let (got, waited) = until_closed(&mut tls).await;
        assert_eq!(got, "");
        assert!(waited < TIMEOUT * 3, "{waited:?}");
    }
}
