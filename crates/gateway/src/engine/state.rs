//! The state of one request moving through the pipeline, and the `context` object model that
//! expressions read through [`Host`].

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::HeaderMap;
use http::header::{HOST, HeaderValue};
use uuid::Uuid;

use super::Services;
use super::errors::PolicyError;
use crate::expr::{Expression, UrlValue, Value};
use crate::policy::ast::Param;

/// `context.Api`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiInfo {
    /// Id (the configured name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// URL suffix.
    pub path: String,
    /// Backend base URL.
    pub service_url: Option<UrlValue>,
    /// Version.
    pub version: String,
    /// Revision.
    pub revision: String,
}

/// `context.Operation`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationInfo {
    /// Id (the configured name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Method.
    pub method: String,
    /// URL template.
    pub url_template: String,
}

/// `context.Product`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductInfo {
    /// Id (the configured name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether keys are required.
    pub subscription_required: bool,
}

/// `context.Subscription`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionInfo {
    /// Id (the configured name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The key the caller used.
    pub key: String,
    /// Primary key.
    pub primary_key: String,
    /// Secondary key.
    pub secondary_key: String,
}

/// `context.User`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// Id.
    pub id: String,
    /// Email.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
}

/// What is known about a request before policies run.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// The API.
    pub api: Arc<ApiInfo>,
    /// The operation.
    pub operation: Arc<OperationInfo>,
    /// The product context.
    pub product: Option<Arc<ProductInfo>>,
    /// The subscription.
    pub subscription: Option<Arc<SubscriptionInfo>>,
    /// The subscription's owner.
    pub user: Option<Arc<UserInfo>>,
    /// Template parameters (path and template query parameters).
    pub matched: Vec<(String, String)>,
    /// Names of query parameters that the operation template binds.
    pub template_query: Vec<String>,
}

/// `context.LastError`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastError {
    /// Source.
    pub source: String,
    /// Reason.
    pub reason: String,
    /// Message.
    pub message: String,
    /// Scope.
    pub scope: String,
    /// Section.
    pub section: String,
    /// Path.
    pub path: String,
    /// Policy id.
    pub policy_id: String,
}

/// Where the backend call goes: scheme, host, port and base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendBase {
    /// `http` / `https`.
    pub scheme: String,
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Base path without a trailing `/`.
    pub path: String,
}

impl BackendBase {
    /// Parses `scheme://host[:port][/path]`.
    pub fn parse(url: &str) -> Option<Self> {
        let (scheme, rest) = url.trim().split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], rest[i..].split('?').next().unwrap_or("")),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (h, p.parse().ok()?),
            _ => (authority, default),
        };
        Some(Self {
            scheme,
            host: host.to_owned(),
            port,
            path: path.trim_end_matches('/').to_owned(),
        })
    }
}

/// The request as policies see and change it.
#[derive(Debug, Clone)]
pub struct RequestState {
    /// Method.
    pub method: String,
    /// Backend base (`None` when the API has no service URL and none was set); shared with
    /// the API's, so a request does not copy it.
    pub backend: Option<Arc<BackendBase>>,
    /// Path relative to the backend base (the operation part), starting with `/`.
    pub path: String,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body (emptied when read without `preserveContent`).
    pub body: Bytes,
    /// `context.Request.OriginalUrl`.
    pub original: OriginalUrl,
    /// The caller's address.
    pub client_ip: IpAddr,
}

impl RequestState {
    /// The backend URL as a string: what [`RequestState::url`] renders, without building the
    /// intermediate value (forward-request does this on every request).
    pub fn url_string(&self) -> String {
        match &self.backend {
            Some(b) => crate::expr::value::url_string_joined(
                &b.scheme,
                &b.host,
                b.port,
                &b.path,
                &self.path,
                &self.query,
            ),
            None => self.url().to_url_string(),
        }
    }

    /// `context.Request.Url`: the backend URL being built.
    pub fn url(&self) -> UrlValue {
        match &self.backend {
            Some(b) => UrlValue {
                scheme: b.scheme.clone(),
                host: b.host.clone(),
                port: b.port,
                path: join_path(&b.path, &self.path),
                query: self.query.clone(),
            },
            None => {
                let original = self.original.get();
                UrlValue {
                    scheme: original.scheme.clone(),
                    host: original.host.clone(),
                    port: original.port,
                    path: self.path.clone(),
                    query: self.query.clone(),
                }
            }
        }
    }
}

/// `context.Request.OriginalUrl`, built on first read. Most requests never read it, and
/// building it copies the scheme, host, path and query; what it is built from is kept as
/// received (cheap reference-counted clones), so later policy changes to the headers do not
/// change it.
#[derive(Debug, Clone, Default)]
pub struct OriginalUrl {
    uri: http::Uri,
    host: Option<HeaderValue>,
    forwarded_proto: Option<HeaderValue>,
    built: OnceLock<Arc<UrlValue>>,
}

impl OriginalUrl {
    /// The URL of a request with this target and these headers.
    pub fn new(uri: &http::Uri, headers: &HeaderMap) -> Self {
        Self {
            uri: uri.clone(),
            host: headers.get(HOST).cloned(),
            forwarded_proto: headers.get("x-forwarded-proto").cloned(),
            built: OnceLock::new(),
        }
    }

    /// The URL.
    pub fn get(&self) -> &Arc<UrlValue> {
        self.built.get_or_init(|| Arc::new(self.build()))
    }

    fn build(&self) -> UrlValue {
        fn text(v: &Option<HeaderValue>) -> Option<&str> {
            v.as_ref().and_then(|h| h.to_str().ok())
        }
        let authority = self
            .uri
            .authority()
            .map(|a| a.as_str())
            .or_else(|| text(&self.host))
            .unwrap_or_default();
        // TLS is terminated by the binary in front of the gateway, so the public scheme is
        // https unless the request says otherwise.
        let scheme = self
            .uri
            .scheme_str()
            .or_else(|| text(&self.forwarded_proto))
            .unwrap_or("https")
            .to_ascii_lowercase();
        let default_port = if scheme == "http" { 80 } else { 443 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (h, p.parse().unwrap_or(default_port)),
            _ => (authority, default_port),
        };
        UrlValue {
            scheme,
            host: host.to_owned(),
            port,
            path: self.uri.path().to_owned(),
            query: super::transform::parse_query(self.uri.query().unwrap_or("")),
        }
    }
}

/// Joins a base path and a relative path with exactly one `/`.
pub fn join_path(base: &str, rel: &str) -> String {
    let mut out = String::with_capacity(base.len() + rel.len() + 1);
    crate::expr::value::push_joined_path(&mut out, base, rel);
    out
}

/// The response as policies see and change it.
#[derive(Debug, Clone, Default)]
pub struct ResponseState {
    /// Status code.
    pub status: u16,
    /// Reason phrase override.
    pub reason: Option<String>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl ResponseState {
    /// An empty 200.
    pub fn ok() -> Self {
        Self {
            status: 200,
            ..Self::default()
        }
    }
}

/// Work deferred to the end of the pipeline (increments whose condition reads the response).
#[derive(Debug, Clone)]
pub enum Deferred {
    /// A rate-limit-by-key increment.
    Rate {
        /// Counter key.
        key: String,
        /// Increment.
        count: i64,
        /// Condition to evaluate after the response.
        condition: Option<Param<bool>>,
    },
    /// A quota increment.
    Quota {
        /// Counter key.
        key: String,
        /// Window start, ms.
        window: i64,
        /// Window end, ms (`i64::MAX` for lifetime quotas).
        window_end: i64,
        /// Calls increment.
        count: i64,
        /// Whether bandwidth is metered.
        bandwidth: bool,
        /// Condition to evaluate after the response.
        condition: Option<Param<bool>>,
    },
}

/// A `trace` record or a `context.Trace` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEntry {
    /// Source.
    pub source: String,
    /// Severity.
    pub severity: String,
    /// Message.
    pub message: String,
}

/// One request in flight.
pub struct Exec<'r> {
    /// Shared services.
    pub services: &'r Services,
    /// Facts established before the pipeline.
    pub facts: &'r RequestFacts,
    /// The request.
    pub request: RequestState,
    /// The response (an empty 200 until something sets it).
    pub response: ResponseState,
    /// `context.Variables`.
    pub vars: HashMap<String, Value>,
    /// `context.LastError`.
    pub last_error: Option<LastError>,
    /// `context.RequestId`.
    pub request_id: Uuid,
    /// `context.Timestamp`, ms.
    pub started_ms: i64,
    /// Trace records.
    pub traces: Vec<TraceEntry>,
    /// Headers added to the final response (rate-limit counters, CORS).
    pub extra_headers: Vec<(String, String)>,
    /// Deferred counter increments.
    pub deferred: Vec<Deferred>,
    /// Quota keys already counted in this request (APIM counts each once).
    pub quota_keys: HashSet<String>,
}

impl<'r> Exec<'r> {
    /// Starts a request whose `context.RequestId` is `request_id`.
    pub fn new(
        services: &'r Services,
        facts: &'r RequestFacts,
        request: RequestState,
        request_id: Uuid,
    ) -> Self {
        Self {
            services,
            facts,
            request,
            response: ResponseState::ok(),
            vars: HashMap::new(),
            last_error: None,
            request_id,
            started_ms: services.clock.now_ms(),
            traces: Vec::new(),
            extra_headers: Vec::new(),
            deferred: Vec::new(),
            quota_keys: HashSet::new(),
        }
    }

    /// Evaluates an expression for `source`.
    pub fn eval(&mut self, e: &Expression, source: &str) -> Result<Value, PolicyError> {
        e.eval(self)
            .map_err(|err| PolicyError::expression(source, &err.0))
    }

    /// A string parameter.
    pub fn string(&mut self, p: &Param<String>, source: &str) -> Result<String, PolicyError> {
        match p {
            Param::Const(s) => Ok(s.clone()),
            Param::Expr(e) => Ok(self.eval(e, source)?.to_dotnet_string()),
        }
    }

    /// A string parameter, borrowed when it is a constant (most are: header names, schemes,
    /// audiences).
    pub fn str<'p>(
        &mut self,
        p: &'p Param<String>,
        source: &str,
    ) -> Result<Cow<'p, str>, PolicyError> {
        match p {
            Param::Const(s) => Ok(Cow::Borrowed(s)),
            Param::Expr(e) => Ok(Cow::Owned(self.eval(e, source)?.to_dotnet_string())),
        }
    }

    /// An integer parameter.
    pub fn int(&mut self, p: &Param<i64>, source: &str) -> Result<i64, PolicyError> {
        match p {
            Param::Const(i) => Ok(*i),
            Param::Expr(e) => match self.eval(e, source)? {
                Value::Int(i) => Ok(i),
                Value::Double(d) => Ok(d as i64),
                other => other.to_dotnet_string().trim().parse().map_err(|_| {
                    PolicyError::expression(source, "Input string was not in a correct format.")
                }),
            },
        }
    }

    /// A boolean parameter.
    pub fn boolean(&mut self, p: &Param<bool>, source: &str) -> Result<bool, PolicyError> {
        match p {
            Param::Const(b) => Ok(*b),
            Param::Expr(e) => match self.eval(e, source)? {
                Value::Bool(b) => Ok(b),
                other => crate::expr::ops::parse_bool(&other.to_dotnet_string()).ok_or_else(|| {
                    PolicyError::expression(source, "String was not recognized as a valid Boolean.")
                }),
            },
        }
    }

    /// Records a trace entry (also logged at debug level; secrets are the author's concern).
    pub fn trace(&mut self, source: &str, severity: &str, message: String) {
        tracing::debug!(target: "skybridge_gateway::trace", request_id = %self.request_id, source, severity, %message);
        self.traces.push(TraceEntry {
            source: source.to_owned(),
            severity: severity.to_owned(),
            message,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_urls_parse_and_join() {
        let b = BackendBase::parse("https://api.example.com:8443/v1/").unwrap();
        assert_eq!(
            (b.host.as_str(), b.port, b.path.as_str()),
            ("api.example.com", 8443, "/v1")
        );
        let b = BackendBase::parse("http://h").unwrap();
        assert_eq!((b.port, b.path.as_str()), (80, ""));
        assert!(BackendBase::parse("ftp://h").is_none());
        assert!(BackendBase::parse("http://u@h").is_none());
        assert_eq!(join_path("/v1", "/orders/1"), "/v1/orders/1");
        assert_eq!(join_path("", ""), "/");
        assert_eq!(join_path("/v1/", ""), "/v1");
    }

    #[test]
    fn backend_url_strings() {
        use crate::expr::value::url_string;
        let q = vec![
            ("a b".to_owned(), "1&2".to_owned()),
            ("c".to_owned(), String::new()),
        ];
        assert_eq!(
            url_string("http", "h", 8080, "/v1/x", &q),
            "http://h:8080/v1/x?a%20b=1%262&c="
        );
        assert_eq!(url_string("https", "h", 443, "/", &[]), "https://h/");
        assert_eq!(url_string("http", "h", 80, "/", &[]), "http://h/");
        assert_eq!(url_string("https", "h", 80, "", &[]), "https://h:80");
        assert_eq!(url_string("http", "h", 65535, "", &[]), "http://h:65535");
        assert_eq!(url_string("http", "h", 0, "", &[]), "http://h:0");
        // The backend URL joins the base path as join_path does, in every combination.
        use crate::expr::value::url_string_joined;
        for base in ["", "/", "/v1", "/v1/"] {
            for rel in ["", "/", "/x", "x", "/x/"] {
                assert_eq!(
                    url_string_joined("http", "h", 80, base, rel, &q),
                    url_string("http", "h", 80, &join_path(base, rel), &q),
                    "{base:?} + {rel:?}"
                );
            }
        }
    }
}
