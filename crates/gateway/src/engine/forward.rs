//! forward-request and send-request.
//!
//! Headers are controlled exactly: hop-by-hop headers (and any named in `Connection`) are
//! removed, the client sets `Host` from the backend URL, and the caller's address is appended
//! to `X-Forwarded-For`. Redirects are followed only when asked (at most 10).

use std::io::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http::header::{self, HeaderName, HeaderValue};

use super::errors::PolicyError;
use super::state::{Exec, ResponseState};
use super::transform::{apply_header, basic_header, eval_header, response_value};
use super::{ClientError, InboundResponse, OutboundRequest};
use crate::expr::Value;
use crate::policy::ast::{ForwardRequest, Meta, SendRequest};

/// Headers that describe one connection and must not be forwarded (RFC 9110 §7.6.1). Parsed
/// names: a removal by name then costs a hash, not a parse of the name as well.
static HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

const MAX_REDIRECTS: usize = 10;

/// Whether `name` is a hop-by-hop field (RFC 9110 §7.6.1), by length first: every field of
/// every message is tested.
pub fn is_hop_by_hop(name: &str) -> bool {
    let hop: &[&str] = match name.len() {
        2 => &["te"],
        7 => &["trailer", "upgrade"],
        10 => &["connection", "keep-alive"],
        17 => &["transfer-encoding"],
        18 => &["proxy-authenticate"],
        19 => &["proxy-authorization"],
        _ => return false,
    };
    hop.iter().any(|h| name.eq_ignore_ascii_case(h))
}

/// Removes hop-by-hop headers, including those listed in `Connection`.
pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    // One pass over the names notes which hop-by-hop headers are present; most messages carry
    // none. (Backend responses come without them: `h1::parse_response_head` leaves them out.)
    let mut present = 0u8;
    for name in h.keys().filter(|n| is_hop_by_hop(n.as_str())) {
        if let Some(i) = HOP_BY_HOP.iter().position(|hop| hop == name) {
            present |= 1 << i;
        }
    }
    if present == 0 {
        return;
    }
    let tokens = |v: &HeaderValue| -> Vec<String> {
        v.to_str()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty() && !is_hop_by_hop(t))
            .map(str::to_owned)
            .collect()
    };
    // Other fields named in `Connection` (rare: they cost a copy of the names).
    let named: Vec<String> = h
        .get_all(header::CONNECTION)
        .iter()
        .flat_map(tokens)
        .collect();
    for name in named {
        h.remove(name.as_str());
    }
    for (i, hop) in HOP_BY_HOP.iter().enumerate() {
        if present & (1 << i) != 0 {
            h.remove(hop);
        }
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The text of `ip`, written into `buf`. IPv4 digits are written directly: `Display` costs
/// about ten times as much, and every proxied request formats its caller's address.
fn ip_text(ip: IpAddr, buf: &mut [u8; 64]) -> Option<&[u8]> {
    let len = match ip {
        IpAddr::V4(v4) => {
            let mut len = 0;
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    buf[len] = b'.';
                    len += 1;
                }
                let digits = [octet / 100, octet / 10 % 10, octet % 10];
                let skip = if octet >= 100 {
                    0
                } else if octet >= 10 {
                    1
                } else {
                    2
                };
                for d in &digits[skip..] {
                    buf[len] = b'0' + d;
                    len += 1;
                }
            }
            len
        }
        IpAddr::V6(_) => {
            // The longest IPv6 text is 45 bytes.
            let mut cursor = std::io::Cursor::new(&mut buf[..]);
            write!(cursor, "{ip}").ok()?;
            usize::try_from(cursor.position()).ok()?
        }
    };
    buf.get(..len)
}

/// `X-Forwarded-For` with the caller appended. The address is formatted on the stack: the
/// header value is the only allocation.
fn forwarded_for(previous: Option<&HeaderValue>, client: IpAddr) -> Option<HeaderValue> {
    let mut buf = [0u8; 64];
    let ip = ip_text(client, &mut buf)?;
    match previous.map(HeaderValue::as_bytes) {
        Some(prev) if !prev.trim_ascii().is_empty() => {
            HeaderValue::from_bytes(&[prev, b", ", ip].concat()).ok()
        }
        _ => HeaderValue::from_bytes(ip).ok(),
    }
}

fn client_failure(source: &str, e: &ClientError) -> PolicyError {
    match e {
        ClientError::Timeout => PolicyError::new(
            source,
            "Timeout",
            format!("Request to the backend service timed out ({e})"),
        ),
        ClientError::Connection(m) => PolicyError::new(
            source,
            "BackendConnectionFailure",
            format!("Error occurred while calling the backend service: {m}"),
        ),
    }
}

/// Resolves a `Location` against the URL it came from.
fn resolve_location(base: &str, location: &str) -> Option<String> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return Some(location.to_owned());
    }
    let (scheme, rest) = base.split_once("://")?;
    let authority = rest.split(['/', '?']).next()?;
    if let Some(path) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{path}"));
    }
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let path = rest
        .get(authority.len()..)
        .unwrap_or("")
        .split('?')
        .next()
        .unwrap_or("");
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    Some(format!("{scheme}://{authority}{dir}{location}"))
}

async fn send(
    x: &Exec<'_>,
    mut req: OutboundRequest,
    timeout: Duration,
    follow: bool,
) -> Result<InboundResponse, ClientError> {
    if !follow {
        // The common case: one call, and the request is not copied for a possible redirect.
        return x.services.client.send(req, timeout).await;
    }
    let mut redirects = 0;
    loop {
        let resp = x.services.client.send(req.clone(), timeout).await?;
        let redirect = matches!(resp.status, 301 | 302 | 303 | 307 | 308);
        if !(follow && redirect) || redirects >= MAX_REDIRECTS {
            return Ok(resp);
        }
        let Some(next) = resp
            .headers
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| resolve_location(&req.url, l))
        else {
            return Ok(resp);
        };
        redirects += 1;
        // 303, and 301/302 after a POST, continue as a body-less GET (what browsers and .NET do).
        if resp.status == 303
            || (matches!(resp.status, 301 | 302) && req.method == http::Method::POST)
        {
            req.method = http::Method::GET;
            req.body = Bytes::new();
            req.headers.remove(header::CONTENT_TYPE);
        }
        req.url = next;
    }
}

/// `forward-request`.
pub async fn forward_request(
    x: &mut Exec<'_>,
    f: &ForwardRequest,
    meta: &Meta,
) -> Result<(), PolicyError> {
    let source = meta.name;
    let timeout = x.int(&f.timeout, source)?.max(0);
    let timeout_ms = if f.timeout_in_ms {
        timeout
    } else {
        timeout.saturating_mul(1000)
    };
    if x.request.backend.is_none() {
        return Err(PolicyError::new(
            source,
            "BackendConnectionFailure",
            "The API has no backend service URL and none was set.",
        ));
    }
    let method = http::Method::from_bytes(x.request.method.as_bytes()).map_err(|_| {
        PolicyError::new(
            source,
            "InvalidMethod",
            format!("'{}' is not an HTTP method", x.request.method),
        )
    })?;
    let mut headers = x.request.headers.clone();
    strip_hop_by_hop(&mut headers);
    headers.remove(header::HOST);
    headers.remove(header::CONTENT_LENGTH);
    if let Some(v) = forwarded_for(headers.get(X_FORWARDED_FOR), x.request.client_ip) {
        headers.insert(X_FORWARDED_FOR, v);
    }
    let req = OutboundRequest {
        method,
        url: x.request.url_string(),
        headers,
        body: x.request.body.clone(),
    };
    let timeout = Duration::from_millis(u64::try_from(timeout_ms.max(1)).unwrap_or(u64::MAX));
    let resp = send(x, req, timeout, f.follow_redirects)
        .await
        .map_err(|e| client_failure(source, &e))?;
    // The client hands responses over without hop-by-hop headers (the `HttpClient` contract).
    x.response = ResponseState {
        status: resp.status,
        reason: None,
        headers: resp.headers,
        body: resp.body,
    };
    if f.fail_on_error_status && (400..=599).contains(&resp.status) {
        let mut e = PolicyError::new(
            source,
            "BackendError",
            format!("The backend responded with status code {}.", resp.status),
        );
        e.keep_response = true;
        return Err(e);
    }
    Ok(())
}

/// `send-request`: stores an `IResponse` (or null with `ignore-error`).
pub async fn send_request(
    x: &mut Exec<'_>,
    s: &SendRequest,
    meta: &Meta,
) -> Result<(), PolicyError> {
    let source = meta.name;
    let (mut method, mut url, mut headers, mut body) = if s.copy {
        (
            x.request.method.clone(),
            x.request.url().to_url_string(),
            x.request.headers.clone(),
            x.request.body.clone(),
        )
    } else {
        (
            "GET".to_owned(),
            String::new(),
            HeaderMap::new(),
            Bytes::new(),
        )
    };
    if let Some(u) = &s.url {
        url = x.string(u, source)?.trim().to_owned();
    }
    if let Some(m) = &s.method {
        method = x.string(m, source)?.trim().to_ascii_uppercase();
    }
    for h in &s.headers {
        let op = eval_header(x, h, source)?;
        apply_header(&mut headers, &op, source)?;
    }
    if let Some(b) = &s.body {
        body = Bytes::from(x.string(b, source)?.into_bytes());
    }
    if let Some((user, password)) = &s.basic {
        let (u, p) = (x.string(user, source)?, x.string(password, source)?);
        if let Ok(v) = HeaderValue::from_str(&basic_header(&u, &p)) {
            headers.insert(header::AUTHORIZATION, v);
        }
    }
    let outcome = async {
        if let Some(mi) = &s.managed_identity {
            let resource = x.string(&mi.resource, source)?;
            let token = x
                .services
                .identity
                .get(&resource, mi.client_id.as_deref())
                .await
                .map_err(|e| PolicyError::new(source, "TokenAcquisitionFailed", e.0))?;
            if let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
                headers.insert(header::AUTHORIZATION, v);
            }
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(PolicyError::new(
                source,
                "InvalidUrl",
                format!("'{url}' is not an absolute http(s) URL"),
            ));
        }
        let method = http::Method::from_bytes(method.as_bytes()).map_err(|_| {
            PolicyError::new(
                source,
                "InvalidMethod",
                format!("'{method}' is not an HTTP method"),
            )
        })?;
        strip_hop_by_hop(&mut headers);
        headers.remove(header::HOST);
        headers.remove(header::CONTENT_LENGTH);
        let req = OutboundRequest {
            method,
            url: url.clone(),
            headers,
            body,
        };
        let timeout = Duration::from_secs(u64::try_from(s.timeout_secs.max(1)).unwrap_or(60));
        send(x, req, timeout, false)
            .await
            .map_err(|e| client_failure(source, &e))
    }
    .await;
    match outcome {
        Ok(resp) => {
            let value = response_value(resp.status, &resp.headers, resp.body);
            x.vars.insert(s.response_var.clone(), value);
            Ok(())
        }
        Err(_) if s.ignore_error => {
            x.vars.insert(s.response_var.clone(), Value::Null);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_appends_the_caller() {
        let v4: IpAddr = "10.1.2.3".parse().unwrap();
        let v6: IpAddr = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
            .parse()
            .unwrap();
        assert_eq!(forwarded_for(None, v4).unwrap(), "10.1.2.3");
        let mut buf = [0u8; 64];
        for ip in [
            "0.0.0.0",
            "255.255.255.255",
            "127.0.0.1",
            "10.99.100.9",
            "1.20.255.0",
        ] {
            let parsed: IpAddr = ip.parse().unwrap();
            assert_eq!(ip_text(parsed, &mut buf).unwrap(), ip.as_bytes());
        }
        let prev = HeaderValue::from_static("1.1.1.1, 2.2.2.2");
        assert_eq!(
            forwarded_for(Some(&prev), v4).unwrap(),
            "1.1.1.1, 2.2.2.2, 10.1.2.3"
        );
        let blank = HeaderValue::from_static("  ");
        assert_eq!(
            forwarded_for(Some(&blank), v6).unwrap(),
            v6.to_string().as_str()
        );
    }

    #[test]
    fn hop_by_hop_headers_go() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, X-Secret"),
        );
        h.append(
            "connection",
            HeaderValue::from_static(" , x-other,bad name"),
        );
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("x-other", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-kept"));
    }

    #[test]
    fn locations_resolve() {
        let base = "http://h:8080/a/b?q=1";
        assert_eq!(resolve_location(base, "/c").unwrap(), "http://h:8080/c");
        assert_eq!(resolve_location(base, "c").unwrap(), "http://h:8080/a/c");
        assert_eq!(
            resolve_location(base, "https://x/y").unwrap(),
            "https://x/y"
        );
        assert_eq!(resolve_location(base, "//o/p").unwrap(), "http://o/p");
    }
}
