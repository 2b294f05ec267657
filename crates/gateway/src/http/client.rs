//! The production backend client: hyper-util's pooled legacy client over a small connector
//! of our own (TCP, plus rustls via tokio-rustls for `https://`), so no other TLS stack or
//! crypto provider enters the build. HTTPS needs a `rustls::ClientConfig` from the binary
//! (it trusts the Skybridge dev CA); without one, `https://` backends fail cleanly.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use bytes::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::engine::forward::strip_hop_by_hop;
use crate::engine::{
    ClientError, FetchError, HttpClient, InboundResponse, MetadataFetcher, OutboundRequest,
};

/// Largest backend response body buffered.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// A plain or TLS stream.
pub enum Stream {
    /// `http://`
    Plain(TcpStream),
    /// `https://`
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
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

/// A connection as hyper sees it.
pub struct Conn(TokioIo<Stream>);

impl hyper::rt::Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// Connects by URI scheme; `overrides` pins host names to addresses (for `*.localhost`-style
/// names that the system resolver may not know).
#[derive(Clone)]
pub struct Connector {
    tls: Option<TlsConnector>,
    overrides: Arc<HashMap<String, SocketAddr>>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower::Service<http::Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let https = match uri.scheme_str() {
                Some("https") => true,
                Some("http") => false,
                other => return Err(format!("unsupported scheme {other:?}").into()),
            };
            let host = uri
                .host()
                .ok_or("URI has no host")?
                .trim_matches(['[', ']'])
                .to_owned();
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
            let tcp = match this.overrides.get(&host.to_ascii_lowercase()) {
                Some(addr) => TcpStream::connect(SocketAddr::new(addr.ip(), port)).await?,
                None => TcpStream::connect((host.as_str(), port)).await?,
            };
            tcp.set_nodelay(true)?;
            let stream = if https {
                let tls = this
                    .tls
                    .as_ref()
                    .ok_or("https backends need a TLS client configuration")?;
                let name = ServerName::try_from(host.clone())
                    .map_err(|_| format!("{host:?} is not a valid TLS server name"))?;
                Stream::Tls(Box::new(tls.connect(name, tcp).await?))
            } else {
                Stream::Plain(tcp)
            };
            Ok(Conn(TokioIo::new(stream)))
        })
    }
}

/// The hyper-based [`HttpClient`].
#[derive(Clone)]
pub struct HyperClient {
    client: Client<Connector, Body>,
}

impl HyperClient {
    /// A pooled client; `tls` enables `https://` backends.
    pub fn new(
        tls: Option<Arc<rustls::ClientConfig>>,
        overrides: HashMap<String, SocketAddr>,
    ) -> Self {
        let connector = Connector {
            tls: tls.map(TlsConnector::from),
            overrides: Arc::new(
                overrides
                    .into_iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v))
                    .collect(),
            ),
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Self { client }
    }
}

fn describe(e: &hyper_util::client::legacy::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

#[async_trait]
impl HttpClient for HyperClient {
    async fn send(
        &self,
        req: OutboundRequest,
        timeout: Duration,
    ) -> Result<InboundResponse, ClientError> {
        let uri: http::Uri = req
            .url
            .parse()
            .map_err(|_| ClientError::Connection(format!("invalid URL {:?}", req.url)))?;
        let mut builder = http::Request::builder().method(req.method).uri(uri);
        if let Some(h) = builder.headers_mut() {
            *h = req.headers;
        }
        let request = builder
            .body(Body::from(req.body))
            .map_err(|e| ClientError::Connection(e.to_string()))?;
        let response = match tokio::time::timeout(timeout, self.client.request(request)).await {
            Err(_) => return Err(ClientError::Timeout),
            Ok(Err(e)) => return Err(ClientError::Connection(describe(&e))),
            Ok(Ok(r)) => r,
        };
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(Body::new(body), MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| ClientError::Connection(format!("reading the response body: {e}")))?;
        let mut headers = parts.headers;
        strip_hop_by_hop(&mut headers);
        Ok(InboundResponse {
            status: parts.status.as_u16(),
            headers,
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
            method: http::Method::GET,
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
