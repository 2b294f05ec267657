//! How outbound requests leave the engine. The default sends with reqwest (the workspace's
//! rustls client from `skybridge-net`); tests install a scripted transport so retries and
//! polling run on tokio's paused clock without sockets.

use async_trait::async_trait;
use bytes::Bytes;

/// One outbound request.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// Method (upper case).
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

/// One response.
#[derive(Debug, Clone)]
pub struct OutboundResponse {
    /// Status code.
    pub status: u16,
    /// Headers (a repeated header appears once per value).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl OutboundResponse {
    /// A header value, ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends requests.
#[async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends `request`, through `client` when an authenticator supplied one. Errors are
    /// connection-level failures (DNS, refused, TLS, timeout, body over `max_body`).
    async fn send(
        &self,
        request: OutboundRequest,
        client: Option<&reqwest::Client>,
        max_body: usize,
    ) -> Result<OutboundResponse, String>;
}

/// The reqwest transport.
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// Sends through `client`.
    pub fn new(client: reqwest::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl HttpTransport for ReqwestTransport {
    async fn send(
        &self,
        request: OutboundRequest,
        client: Option<&reqwest::Client>,
        max_body: usize,
    ) -> Result<OutboundResponse, String> {
        let client = client.unwrap_or(&self.client);
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| format!("the method '{}' is not valid", request.method))?;
        let mut builder = client.request(method, &request.url);
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body);
        }
        let mut response = builder.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        if response
            .content_length()
            .is_some_and(|n| n > max_body as u64)
        {
            return Err(format!(
                "the response content is larger than the limit of {max_body} bytes"
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if body.len() + chunk.len() > max_body {
                return Err(format!(
                    "the response content is larger than the limit of {max_body} bytes"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(OutboundResponse {
            status,
            headers,
            body: Bytes::from(body),
        })
    }
}

/// reqwest's error with its causes (its own Display omits them).
fn describe(e: reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "the server did not respond within the timeout limit".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
