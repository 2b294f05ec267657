//! The policy engine: runs a composed [`Program`](crate::policy::compose::Program) against
//! one request with APIM's flow — inbound, backend, outbound, and a jump to on-error with
//! `context.LastError` filled in when anything fails.
//!
//! I/O goes through small traits so tests run in-process: [`HttpClient`] for backend calls
//! and send-request, [`MetadataFetcher`] for OpenID configuration, [`TokenProvider`] for
//! managed-identity tokens, and [`Clock`] for time.

pub mod access;
pub mod clock;
pub mod cors;
pub mod errors;
pub mod forward;
mod host;
pub mod identity;
pub mod jwt;
pub mod limits;
pub mod openid;
pub mod run;
pub mod state;
pub mod token_cache;
pub mod transform;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::HeaderMap;

pub use clock::{Clock, ManualClock, SystemClock};
pub use identity::{AccessToken, TokenError, TokenProvider};
pub use openid::{FetchError, MetadataFetcher};

/// A request to a backend or a send-request target.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// Method.
    pub method: http::Method,
    /// Absolute URL.
    pub url: String,
    /// Headers to send (the client adds `Host` and `Content-Length`).
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

/// A buffered response from a backend.
#[derive(Debug, Clone)]
pub struct InboundResponse {
    /// Status code.
    pub status: u16,
    /// Headers (hop-by-hop headers already removed).
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

/// Why a backend call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// No response headers within the timeout.
    #[error("the backend did not respond within the timeout")]
    Timeout,
    /// Connection, TLS or protocol failure.
    #[error("{0}")]
    Connection(String),
}

/// Sends HTTP requests (forward-request, send-request). A response comes back without its
/// hop-by-hop headers (`forward::is_hop_by_hop`): they describe the client's connection, and
/// the client is where that connection ends. The production client never keeps them
/// (`http::h1::parse_response_head`); others may use `forward::strip_hop_by_hop`.
#[async_trait]
pub trait HttpClient: Send + Sync {
    /// Sends `req`, waiting at most `timeout` for the response headers.
    async fn send(
        &self,
        req: OutboundRequest,
        timeout: Duration,
    ) -> Result<InboundResponse, ClientError>;
}

/// `context.Deployment`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentInfo {
    /// Service (gateway) name.
    pub service_name: String,
    /// Region.
    pub region: String,
    /// `managed` for the cloud gateway.
    pub gateway_id: String,
    /// Service id.
    pub service_id: String,
}

/// Services shared by all requests of one gateway.
pub struct Services {
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Backend client.
    pub client: Arc<dyn HttpClient>,
    /// OpenID configuration and signing keys.
    pub keys: openid::KeyCache,
    /// Tokens whose signature `validate-jwt` already verified.
    pub verified: token_cache::VerifiedTokens,
    /// Rate-limit and quota counters.
    pub counters: limits::Counters,
    /// Managed-identity tokens.
    pub identity: identity::TokenCache,
    /// `context.Deployment`.
    pub deployment: DeploymentInfo,
}
