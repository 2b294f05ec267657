//! Runtime values of policy expressions: the .NET objects APIM hands to C# (strings, ints,
//! `Jwt`, `IResponse`, `JObject`, dictionaries, the `context` graph) as one dynamic enum.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value as Json;
use uuid::Uuid;

pub use super::datetime::{format_datetime, format_timespan, parse_datetime};

/// Which message a body or headers reference belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `context.Request`.
    Request,
    /// `context.Response`.
    Response,
}

/// A live object of the `context` graph; its members are read from the host on access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obj {
    /// `context`
    Context,
    /// `context.Request`
    Request,
    /// `context.Response`
    Response,
    /// `context.Request.Body` / `context.Response.Body`
    Body(Side),
    /// `context.Variables`
    Variables,
    /// `context.Subscription`
    Subscription,
    /// `context.User`
    User,
    /// `context.LastError`
    LastError,
    /// `context.Api`
    Api,
    /// `context.Operation`
    Operation,
    /// `context.Product`
    Product,
    /// `context.Deployment`
    Deployment,
}

/// Static classes usable by name (`String.Format`, `DateTime.UtcNow`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `String` / `string`
    String,
    /// `DateTime`
    DateTime,
    /// `TimeSpan`
    TimeSpan,
    /// `Guid`
    Guid,
    /// `Convert`
    Convert,
    /// `Encoding`
    Encoding,
    /// `StringComparison`
    StringComparison,
    /// `int` / `Int32` / `long` / `Int64`
    Int,
    /// `bool` / `Boolean`
    Bool,
    /// `JObject` / `JToken` / `JArray`
    Json,
    /// `Uri` / `WebUtility`
    Uri,
    /// `Math`
    Math,
}

impl Class {
    /// The class a name refers to.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "String" | "string" => Self::String,
            "DateTime" => Self::DateTime,
            "TimeSpan" => Self::TimeSpan,
            "Guid" => Self::Guid,
            "Convert" => Self::Convert,
            "Encoding" => Self::Encoding,
            "StringComparison" => Self::StringComparison,
            "int" | "Int32" | "long" | "Int64" => Self::Int,
            "bool" | "Boolean" => Self::Bool,
            "JObject" | "JToken" | "JArray" => Self::Json,
            "Uri" | "WebUtility" => Self::Uri,
            "Math" => Self::Math,
            _ => return None,
        })
    }
}

/// A string-keyed dictionary: headers, query, claims (`string[]` values) or matched
/// parameters (single values).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dict {
    /// Entries in order.
    pub entries: Vec<(String, Vec<String>)>,
    /// Whether keys compare case-insensitively (headers).
    pub ignore_case: bool,
    /// Whether the indexer returns one string (MatchedParameters) instead of `string[]`.
    pub single: bool,
}

impl Dict {
    /// The values under `key`.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(k, _)| {
                if self.ignore_case {
                    k.eq_ignore_ascii_case(key)
                } else {
                    k == key
                }
            })
            .map(|(_, v)| v.as_slice())
    }
}

/// A parsed (not necessarily validated) JWT, as `AsJwt()` and validate-jwt produce it.
#[derive(Debug, Clone, PartialEq)]
pub struct JwtValue {
    /// `alg`
    pub algorithm: String,
    /// `typ`
    pub typ: String,
    /// Claims as APIM exposes them: each value as strings.
    pub claims: Vec<(String, Vec<String>)>,
    /// The raw payload, for typed reads.
    pub payload: serde_json::Map<String, Json>,
}

impl JwtValue {
    /// Builds the APIM view of a header `alg`/`typ` and a payload.
    pub fn new(algorithm: &str, typ: Option<&str>, payload: serde_json::Map<String, Json>) -> Self {
        let claims = payload
            .iter()
            .map(|(k, v)| {
                let values = match v {
                    Json::Array(items) => items.iter().map(json_scalar_string).collect(),
                    other => vec![json_scalar_string(other)],
                };
                (k.clone(), values)
            })
            .collect();
        Self {
            algorithm: algorithm.to_owned(),
            typ: typ.unwrap_or_default().to_owned(),
            claims,
            payload,
        }
    }

    /// A string claim.
    pub fn claim_str(&self, name: &str) -> Option<String> {
        self.claims
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.first().cloned())
    }
}

fn json_scalar_string(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// A buffered HTTP message: an `IResponse` from send-request, or a response variable.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpMessage {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Bytes,
}

/// A URL as `IUrl` exposes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlValue {
    /// `http` / `https`.
    pub scheme: String,
    /// Host name.
    pub host: String,
    /// Port (default ports filled in).
    pub port: u16,
    /// Path, starting with `/`.
    pub path: String,
    /// Decoded query parameters in order.
    pub query: Vec<(String, String)>,
}

impl UrlValue {
    /// `?a=b&c=d` (empty when there is no query), percent-encoded.
    pub fn query_string(&self) -> String {
        let mut out = String::new();
        push_query(&mut out, &self.query);
        out
    }

    /// The whole URL; default ports are omitted.
    pub fn to_url_string(&self) -> String {
        url_string(&self.scheme, &self.host, self.port, &self.path, &self.query)
    }

    /// The query as a multi-valued dictionary.
    pub fn query_dict(&self) -> Dict {
        let mut d = Dict::default();
        for (k, v) in &self.query {
            match d.entries.iter_mut().find(|(key, _)| key == k) {
                Some((_, values)) => values.push(v.clone()),
                None => d.entries.push((k.clone(), vec![v.clone()])),
            }
        }
        d
    }
}

/// `?k=v&…` with both sides percent-encoded (nothing for an empty query).
fn push_query(out: &mut String, query: &[(String, String)]) {
    for (i, (k, v)) in query.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        push_encoded(out, k);
        out.push('=');
        push_encoded(out, v);
    }
}

/// `scheme://host[:port]path?query`, default ports omitted, built in one string.
pub fn url_string(
    scheme: &str,
    host: &str,
    port: u16,
    path: &str,
    query: &[(String, String)],
) -> String {
    build_url(
        scheme,
        host,
        port,
        path.len(),
        |out| out.push_str(path),
        query,
    )
}

/// [`url_string`] whose path is `base` joined to `rel` as `join_path` joins them, written in
/// place: the backend URL of every forwarded request, in one allocation.
pub fn url_string_joined(
    scheme: &str,
    host: &str,
    port: u16,
    base: &str,
    rel: &str,
    query: &[(String, String)],
) -> String {
    let path_len = base.len() + rel.len() + 1;
    build_url(
        scheme,
        host,
        port,
        path_len,
        |out| push_joined_path(out, base, rel),
        query,
    )
}

fn build_url(
    scheme: &str,
    host: &str,
    port: u16,
    path_len: usize,
    push_path: impl FnOnce(&mut String),
    query: &[(String, String)],
) -> String {
    let query_len: usize = query.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = String::with_capacity(scheme.len() + host.len() + path_len + query_len + 16);
    out.push_str(scheme);
    out.push_str("://");
    out.push_str(host);
    if !matches!((scheme, port), ("http", 80) | ("https", 443)) {
        let _ = write!(out, ":{port}");
    }
    push_path(&mut out);
    push_query(&mut out, query);
    out
}

/// Appends `base` and `rel` joined with exactly one `/` (`/` when both are empty).
pub fn push_joined_path(out: &mut String, base: &str, rel: &str) {
    let base = base.trim_end_matches('/');
    out.push_str(base);
    if rel.is_empty() {
        if base.is_empty() {
            out.push('/');
        }
        return;
    }
    if !rel.starts_with('/') {
        out.push('/');
    }
    out.push_str(rel);
}

/// Percent-encodes a query component (RFC 3986 unreserved characters pass through).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_encoded(&mut out, s);
    out
}

/// [`encode_component`] appended to `out`.
pub fn push_encoded(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// Decodes `%XX` escapes (and `+` as space when `plus` is set); invalid escapes stay as-is.
/// Borrowed when there is nothing to decode, as in most path segments (routing decodes each
/// segment of every request).
pub fn decode_component(s: &str, plus: bool) -> Cow<'_, str> {
    if !s.bytes().any(|c| c == b'%' || (plus && c == b'+')) {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// `StringComparison` members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Ordinal / culture-sensitive (treated as ordinal).
    Exact,
    /// Any `*IgnoreCase` member.
    IgnoreCase,
}

/// A dynamic value.
#[derive(Debug, Clone)]
pub enum Value {
    /// `null`
    Null,
    /// `bool`
    Bool(bool),
    /// `int` / `long`
    Int(i64),
    /// `double` / `decimal`
    Double(f64),
    /// `char`
    Char(char),
    /// `string`
    Str(Arc<str>),
    /// `string[]`
    StrArray(Arc<Vec<String>>),
    /// `byte[]`
    Bytes(Bytes),
    /// `DateTime` (always UTC), Unix milliseconds.
    DateTime(i64),
    /// `TimeSpan`, milliseconds.
    TimeSpan(i64),
    /// `Guid`
    Guid(Uuid),
    /// `JObject` / `JArray` / `JToken`
    Json(Arc<Json>),
    /// `Jwt`
    Jwt(Arc<JwtValue>),
    /// Basic credentials from `AsBasic()`: user id and password.
    Basic(Arc<(String, String)>),
    /// `IResponse` held in a variable.
    Response(Arc<HttpMessage>),
    /// Body of an `IResponse` held in a variable.
    OwnedBody(Arc<HttpMessage>),
    /// `IUrl`
    Url(Arc<UrlValue>),
    /// A dictionary snapshot.
    Dict(Arc<Dict>),
    /// A live `context` object.
    Obj(Obj),
    /// A static class.
    Static(Class),
    /// A `StringComparison` member.
    Comparison(Comparison),
    /// `Encoding.UTF8` / `Encoding.ASCII`.
    Encoding,
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<Arc<str>>) -> Self {
        Self::Str(s.into())
    }

    /// The .NET type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Double(_) => "double",
            Value::Char(_) => "char",
            Value::Str(_) => "string",
            Value::StrArray(_) => "string[]",
            Value::Bytes(_) => "byte[]",
            Value::DateTime(_) => "DateTime",
            Value::TimeSpan(_) => "TimeSpan",
            Value::Guid(_) => "Guid",
            Value::Json(j) => match **j {
                Json::Object(_) => "JObject",
                Json::Array(_) => "JArray",
                _ => "JValue",
            },
            Value::Jwt(_) => "Jwt",
            Value::Basic(_) => "BasicAuthCredentials",
            Value::Response(_) => "IResponse",
            Value::OwnedBody(_) | Value::Obj(Obj::Body(_)) => "IMessageBody",
            Value::Url(_) => "IUrl",
            Value::Dict(_) => "IReadOnlyDictionary",
            Value::Obj(_) => "context object",
            Value::Static(_) => "type",
            Value::Comparison(_) => "StringComparison",
            Value::Encoding => "Encoding",
        }
    }

    /// `ToString()` with .NET's invariant-culture rendering.
    pub fn to_dotnet_string(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::Double(d) => d.to_string(),
            Value::Char(c) => c.to_string(),
            Value::Str(s) => s.to_string(),
            Value::StrArray(_) => "System.String[]".into(),
            Value::Bytes(_) => "System.Byte[]".into(),
            Value::DateTime(ms) => format_datetime(*ms, "G").unwrap_or_default(),
            Value::TimeSpan(ms) => format_timespan(*ms),
            Value::Guid(g) => g.hyphenated().to_string(),
            Value::Json(j) => json_to_string(j),
            Value::Comparison(Comparison::Exact) => "Ordinal".into(),
            Value::Comparison(Comparison::IgnoreCase) => "OrdinalIgnoreCase".into(),
            Value::Url(u) => u.to_url_string(),
            other => other.type_name().to_owned(),
        }
    }
}

/// Newtonsoft's `JToken.ToString()`: scalars bare, containers indented.
pub fn json_to_string(j: &Json) -> String {
    match j {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Number(n) => n.to_string(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotnet_strings() {
        assert_eq!(Value::Bool(true).to_dotnet_string(), "True");
        assert_eq!(Value::Double(2.0).to_dotnet_string(), "2");
        let j = Value::Json(Arc::new(serde_json::json!({"a": 1})));
        assert_eq!(j.to_dotnet_string(), "{\n  \"a\": 1\n}");
        assert_eq!(
            Value::Json(Arc::new(serde_json::json!("s"))).to_dotnet_string(),
            "s"
        );
    }

    #[test]
    fn urls_and_components() {
        let u = UrlValue {
            scheme: "https".into(),
            host: "h".into(),
            port: 443,
            path: "/a b".into(),
            query: vec![("x".into(), "1&2".into()), ("x".into(), "3".into())],
        };
        assert_eq!(u.query_string(), "?x=1%262&x=3");
        assert_eq!(u.query_dict().get("x").unwrap(), ["1&2", "3"]);
        assert_eq!(decode_component("a%20b+c%zz", true), "a b c%zz");
    }
}
