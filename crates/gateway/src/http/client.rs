//! The production backend client: HTTP/1.1 over pooled keep-alive connections, TCP plus rustls
//! (tokio-rustls) for `https://`, so no other TLS stack or crypto provider enters the build.
//! HTTPS needs a `rustls::ClientConfig` from the binary (it trusts the Skybridge dev CA);
//! without one, `https://` backends fail cleanly.
//!
//! Each exchange runs in the task of the request that needs it: the connection is taken from
//! the pool, written, read and put back by that task. hyper-util's pooled client drove every
//! connection from a task of its own and handed requests and responses over channels, two
//! task wake-ups and two hand-offs per request; that and its pool were about a tenth of a
//! proxied request's CPU (docs/benchmarks.md). The framing is [`super::h1`]'s.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use http::Method;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::h1::{self, Chunked, Framing, ResponseHead};
use super::target::{self, TargetError};
use crate::engine::{
    ClientError, FetchError, HttpClient, InboundResponse, MetadataFetcher, OutboundRequest,
};

/// Largest backend response body buffered.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Largest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Most idle connections kept per backend origin.
const MAX_IDLE_PER_ORIGIN: usize = 256;
/// Most origins with idle connections (`send-request` URLs may come from requests).
const MAX_ORIGINS: usize = 1024;
/// Bodies up to this size are copied behind the head, so the request leaves in one write.
const COALESCE_BODY_BYTES: usize = 16 * 1024;

/// A plain or TLS stream.
pub enum Stream {
    /// `http://`
    Plain(TcpStream),
    /// `https://`
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    /// The TCP socket under it.
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }

    /// Whether an idle connection can still be used: nothing arrived on it. An HTTP/1 server
    /// sends nothing unasked, so readable bytes mean it closed (FIN, or a TLS close_notify
    /// before it) or misbehaved; either way the connection is dropped, not reused.
    fn is_quiet(&self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        let mut probe = [0u8; 1];
        let mut buf = ReadBuf::new(&mut probe);
        matches!(self.tcp().poll_peek(&mut cx, &mut buf), Poll::Pending)
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Where connections go: scheme, host (lowercase) and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Origin {
    https: bool,
    host: String,
    port: u16,
}

struct Idle {
    stream: Stream,
    since: Instant,
}

/// The backend [`HttpClient`]: HTTP/1.1 with a keep-alive pool per origin.
#[derive(Clone)]
pub struct BackendClient {
    tls: Option<TlsConnector>,
    /// Host names pinned to addresses (for `*.localhost`-style names that the system resolver
    /// may not know).
    overrides: Arc<HashMap<String, SocketAddr>>,
    /// foldhash (randomly seeded), not SipHash: two lookups per request, and at most
    /// `MAX_ORIGINS` keys.
    idle: Arc<Mutex<foldhash::HashMap<Origin, Vec<Idle>>>>,
}

/// What went wrong in one exchange, and whether the request may have reached the backend.
enum Failure {
    /// Nothing came back on a reused connection: it was closed under us, and a replayable
    /// request is sent again on a new one.
    Stale(String),
    /// Anything else.
    Other(ClientError),
}

fn conn_err(msg: impl Into<String>) -> Failure {
    Failure::Other(ClientError::Connection(msg.into()))
}

impl BackendClient {
    /// A pooled client; `tls` enables `https://` backends; `overrides` pins host names to
    /// addresses.
    pub fn new(
        tls: Option<Arc<rustls::ClientConfig>>,
        overrides: HashMap<String, SocketAddr>,
    ) -> Self {
        // This client speaks HTTP/1.1 only, so it offers only that in ALPN: a server that
        // would pick h2 from a wider list must not get HTTP/1.1 bytes on an h2 connection.
        let tls = tls.map(|config| {
            let mut config = (*config).clone();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            TlsConnector::from(Arc::new(config))
        });
        Self {
            tls,
            overrides: Arc::new(
                overrides
                    .into_iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v))
                    .collect(),
            ),
            idle: Arc::default(),
        }
    }

    /// An idle connection to `origin` still usable, most recently used first.
    fn checkout(&self, origin: &Origin) -> Option<Stream> {
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let conns = idle.get_mut(origin)?;
        while let Some(c) = conns.pop() {
            if now.duration_since(c.since) >= IDLE_TIMEOUT {
                conns.clear(); // the newest expired, so did every older one
                return None;
            }
            if c.stream.is_quiet() {
                return Some(c.stream);
            }
        }
        None
    }

    fn checkin(&self, origin: Origin, stream: Stream) {
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() >= MAX_ORIGINS && !idle.contains_key(&origin) {
            idle.retain(|_, conns| !conns.is_empty());
            if idle.len() >= MAX_ORIGINS {
                return; // not pooled: closed when dropped
            }
        }
        let conns = idle.entry(origin).or_default();
        // Oldest first: drop the ones that expired while others were in use.
        let expired = conns
            .iter()
            .take_while(|c| now.duration_since(c.since) >= IDLE_TIMEOUT)
            .count();
        conns.drain(..expired);
        if conns.len() < MAX_IDLE_PER_ORIGIN {
            conns.push(Idle { stream, since: now });
        }
    }

    async fn connect(&self, origin: &Origin) -> Result<Stream, ClientError> {
        let failed = |e: io::Error| {
            ClientError::Connection(format!(
                "connecting to {}:{}: {e}",
                origin.host, origin.port
            ))
        };
        let tls = match (&self.tls, origin.https) {
            (_, false) => None,
            (Some(tls), true) => Some(tls),
            (None, true) => {
                return Err(ClientError::Connection(
                    "https backends need a TLS client configuration".into(),
                ));
            }
        };
        let tcp = match self.overrides.get(&origin.host) {
            Some(addr) => TcpStream::connect(SocketAddr::new(addr.ip(), origin.port)).await,
            None => TcpStream::connect((origin.host.as_str(), origin.port)).await,
        }
        .map_err(failed)?;
        tcp.set_nodelay(true).map_err(failed)?;
        let Some(tls) = tls else {
            return Ok(Stream::Plain(tcp));
        };
        let name = ServerName::try_from(origin.host.clone()).map_err(|_| {
            ClientError::Connection(format!("{:?} is not a valid TLS server name", origin.host))
        })?;
        let stream = tls.connect(name, tcp).await.map_err(|e| {
            ClientError::Connection(format!("TLS with {}:{}: {e}", origin.host, origin.port))
        })?;
        Ok(Stream::Tls(Box::new(stream)))
    }
}

/// Writes the request and reads up to the end of the final response head; returns the head
/// and the bytes that followed it. A failure before any byte of a response arrived is
/// [`Failure::Stale`] on a reused connection.
async fn exchange_head(
    stream: &mut Stream,
    wire: &[u8],
    body: &[u8],
    method: &Method,
    reused: bool,
) -> Result<(Bytes, ResponseHead), Failure> {
    let lost = |what: &str, e: &dyn std::fmt::Display| {
        let msg = format!("{what}: {e}");
        if reused {
            Failure::Stale(msg)
        } else {
            conn_err(msg)
        }
    };
    stream
        .write_all(wire)
        .await
        .map_err(|e| lost("sending the request", &e))?;
    if !body.is_empty() {
        stream
            .write_all(body)
            .await
            .map_err(|e| lost("sending the request body", &e))?;
    }
    stream
        .flush()
        .await
        .map_err(|e| lost("sending the request", &e))?;
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut received = false;
    loop {
        // Parsed as shared bytes, so header values (and a body that came with the head) are
        // slices of this one buffer rather than copies. Frozen only once the head can be
        // complete; should it still not be, the buffer is unique and becomes the read buffer
        // again without a copy.
        if h1::has_blank_line(&buf) {
            let frozen = std::mem::take(&mut buf).freeze();
            let parsed = h1::parse_response_head(&frozen, method)
                .map_err(|e| conn_err(format!("the backend's response: {e}")))?;
            match parsed {
                Some((len, head)) if (100..200).contains(&head.status) => {
                    // An interim response; the final one follows.
                    buf = BytesMut::from(&frozen[len..]);
                    continue;
                }
                Some((len, head)) => return Ok((frozen.slice(len..), head)),
                None => buf = BytesMut::from(frozen),
            }
        }
        if buf.len() >= MAX_HEAD_BYTES {
            return Err(conn_err(format!(
                "the backend's response head is over {MAX_HEAD_BYTES} bytes"
            )));
        }
        let n = match stream.read_buf(&mut buf).await {
            Ok(n) => n,
            Err(e) if !received => return Err(lost("reading the response", &e)),
            Err(e) => return Err(conn_err(format!("reading the response: {e}"))),
        };
        if n == 0 {
            let msg = "the connection closed before a complete response";
            return Err(if received || !reused {
                conn_err(msg)
            } else {
                Failure::Stale(msg.into())
            });
        }
        received = true;
    }
}

/// Reads the body `head` announces; `received` holds what already arrived. Returns the body
/// and whether the connection ended cleanly at its end (nothing more arrived).
async fn read_body(
    stream: &mut Stream,
    received: Bytes,
    head: &ResponseHead,
) -> Result<(Bytes, bool), ClientError> {
    let closed_early = || {
        ClientError::Connection("the connection closed in the middle of the response body".into())
    };
    let read_err =
        |e: io::Error| ClientError::Connection(format!("reading the response body: {e}"));
    match head.framing {
        Framing::Empty => Ok((Bytes::new(), received.is_empty())),
        Framing::Length(n) => {
            let n = usize::try_from(n)
                .ok()
                .filter(|n| *n <= MAX_RESPONSE_BYTES)
                .ok_or_else(|| {
                    ClientError::Connection(format!(
                        "response body over {MAX_RESPONSE_BYTES} bytes"
                    ))
                })?;
            if received.len() >= n {
                // The common case for small bodies: it came with the head.
                return Ok((received.slice(..n), received.len() == n));
            }
            let mut buf = BytesMut::with_capacity(n);
            buf.extend_from_slice(&received);
            while buf.len() < n {
                if stream.read_buf(&mut buf).await.map_err(read_err)? == 0 {
                    return Err(closed_early());
                }
            }
            let body = buf.split_to(n).freeze();
            Ok((body, buf.is_empty()))
        }
        Framing::Chunked => {
            let mut buf = BytesMut::from(&received[..]);
            let mut decoder = Chunked::default();
            let mut out = Vec::new();
            loop {
                let used = decoder
                    .decode(&buf, &mut out, MAX_RESPONSE_BYTES)
                    .map_err(|e| ClientError::Connection(format!("the backend's response: {e}")))?;
                let _ = buf.split_to(used);
                if decoder.done() {
                    return Ok((Bytes::from(out), buf.is_empty()));
                }
                if buf.len() > MAX_RESPONSE_BYTES.saturating_add(MAX_HEAD_BYTES) {
                    return Err(ClientError::Connection(
                        "the backend's chunked body is malformed".into(),
                    ));
                }
                if stream.read_buf(&mut buf).await.map_err(read_err)? == 0 {
                    return Err(closed_early());
                }
            }
        }
        Framing::UntilClose => {
            let mut buf = BytesMut::from(&received[..]);
            while stream.read_buf(&mut buf).await.map_err(read_err)? != 0 {
                if buf.len() > MAX_RESPONSE_BYTES {
                    return Err(ClientError::Connection(format!(
                        "response body over {MAX_RESPONSE_BYTES} bytes"
                    )));
                }
            }
            Ok((buf.freeze(), false))
        }
    }
}

#[async_trait]
impl HttpClient for BackendClient {
    async fn send(
        &self,
        req: OutboundRequest,
        timeout: Duration,
    ) -> Result<InboundResponse, ClientError> {
        let target = match target::parse(&req.url) {
            Ok(t) => t,
            Err(TargetError::Invalid) => {
                return Err(ClientError::Connection(format!(
                    "invalid URL {:?}",
                    req.url
                )));
            }
            Err(TargetError::UnsupportedScheme(s)) => {
                return Err(ClientError::Connection(format!("unsupported scheme {s:?}")));
            }
        };
        let origin = Origin {
            https: target.https,
            host: target.host.to_ascii_lowercase(),
            port: target.port,
        };
        let host_header = target.host_header;
        let small = req.body.len() <= COALESCE_BODY_BYTES;
        let mut wire = Vec::with_capacity(
            h1::request_head_len(&req.method, &target.path, host_header, &req.headers)
                + if small { req.body.len() } else { 0 },
        );
        h1::encode_request(
            &req.method,
            &target.path,
            host_header,
            &req.headers,
            &req.body,
            &mut wire,
        );
        let rest: &[u8] = if small {
            wire.extend_from_slice(&req.body);
            &[]
        } else {
            &req.body
        };
        // A request the backend may see twice without harm (RFC 9110 §9.2.2, and no body
        // that could be a non-idempotent payload).
        let replayable = req.body.is_empty()
            && matches!(
                req.method,
                Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
            );
        let exchange = async {
            let mut retried = false;
            loop {
                let (mut stream, reused) = match self.checkout(&origin) {
                    Some(s) => (s, true),
                    // Boxed: the TLS handshake's state is large, and every request's future
                    // would otherwise carry (and move) room for it.
                    None => (Box::pin(self.connect(&origin)).await?, false),
                };
                match exchange_head(&mut stream, &wire, rest, &req.method, reused).await {
                    Ok((buf, head)) => return Ok((stream, buf, head)),
                    Err(Failure::Stale(_)) if replayable && !retried => retried = true,
                    Err(Failure::Stale(m)) => return Err(ClientError::Connection(m)),
                    Err(Failure::Other(e)) => return Err(e),
                }
            }
        };
        let (mut stream, buf, head) = match tokio::time::timeout(timeout, exchange).await {
            Err(_) => return Err(ClientError::Timeout),
            Ok(r) => r?,
        };
        let (body, clean_end) = read_body(&mut stream, buf, &head).await?;
        if head.keep_alive && clean_end && !h1::request_closes(&req.headers) {
            self.checkin(origin, stream);
        }
        // The head comes without hop-by-hop fields (`h1::parse_response_head`).
        Ok(InboundResponse {
            status: head.status,
            headers: head.headers,
            body,
        })
    }
}

/// The production [`MetadataFetcher`]: a GET through an [`HttpClient`] with a 10 s timeout.
pub struct HttpFetcher {
    client: Arc<dyn HttpClient>,
}

impl HttpFetcher {
    /// Fetches through `client`.
    pub fn new(client: Arc<dyn HttpClient>) -> Self {
        Self { client }
    }
}

#[async_trait]
impl MetadataFetcher for HttpFetcher {
    async fn get(&self, url: &str) -> Result<Bytes, FetchError> {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        let req = OutboundRequest {
            method: Method::GET,
            url: url.to_owned(),
            headers,
            body: Bytes::new(),
        };
        let resp = self
            .client
            .send(req, Duration::from_secs(10))
            .await
            .map_err(|e| FetchError(format!("GET {url}: {e}")))?;
        if !(200..300).contains(&resp.status) {
            return Err(FetchError(format!("GET {url}: status {}", resp.status)));
        }
        Ok(resp.body)
    }
}
