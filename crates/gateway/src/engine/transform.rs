//! Transformation policies: headers, query, URI rewriting, backend selection, method, status,
//! body, variables, return/mock responses, trace and basic authentication.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};

use super::errors::PolicyError;
use super::state::{BackendBase, Exec, ResponseState};
use crate::expr::Value;
use crate::expr::value::{decode_component, encode_component};
use crate::policy::ast::{
    ExistsAction, Meta, ReturnResponse, Section, SetHeader, SetStatus, Trace,
};

/// Headers APIM will not let policies change.
const PROTECTED: [&str; 4] = [
    "connection",
    "content-length",
    "keep-alive",
    "transfer-encoding",
];

/// Headers whose values may contain commas or dates: several values are sent as repeated
/// headers instead of one comma-joined header.
const REPEATED: [&str; 9] = [
    "user-agent",
    "www-authenticate",
    "cookie",
    "set-cookie",
    "date",
    "expires",
    "retry-after",
    "last-modified",
    "if-modified-since",
];

/// An evaluated set-header.
pub struct HeaderOp {
    /// Name.
    pub name: String,
    /// Action.
    pub action: ExistsAction,
    /// Values.
    pub values: Vec<String>,
}

/// Evaluates a set-header / set-query-parameter.
pub fn eval_header(x: &mut Exec<'_>, h: &SetHeader, source: &str) -> Result<HeaderOp, PolicyError> {
    let name = x.string(&h.name, source)?;
    let action_text = x.string(&h.action, source)?;
    let action = ExistsAction::parse(&action_text).ok_or_else(|| {
        PolicyError::expression(
            source,
            &format!("'{action_text}' is not a valid exists-action"),
        )
    })?;
    let mut values = Vec::with_capacity(h.values.len());
    for v in &h.values {
        values.push(x.string(v, source)?);
    }
    Ok(HeaderOp {
        name,
        action,
        values,
    })
}

/// Applies an evaluated set-header to a header map.
pub fn apply_header(map: &mut HeaderMap, op: &HeaderOp, source: &str) -> Result<(), PolicyError> {
    let invalid = |what: &str| {
        PolicyError::new(
            source,
            "InvalidHeader",
            format!(
                "{what} is not a valid HTTP header {}",
                if what == "name" { "name" } else { "value" }
            ),
        )
    };
    let name = HeaderName::from_bytes(op.name.trim().as_bytes()).map_err(|_| invalid("name"))?;
    if PROTECTED.contains(&name.as_str()) {
        tracing::debug!(header = %name, "set-header on a protected header ignored, as in APIM");
        return Ok(());
    }
    let exists = map.contains_key(&name);
    let values: Vec<String> = if REPEATED.contains(&name.as_str()) || op.values.len() <= 1 {
        if op.values.is_empty() {
            vec![String::new()]
        } else {
            op.values.clone()
        }
    } else {
        vec![op.values.join(",")]
    };
    let mut parsed = Vec::with_capacity(values.len());
    for v in &values {
        parsed.push(HeaderValue::from_str(v).map_err(|_| invalid("value"))?);
    }
    match op.action {
        ExistsAction::Delete => {
            map.remove(&name);
        }
        ExistsAction::Skip if exists => {}
        ExistsAction::Override | ExistsAction::Skip => {
            map.remove(&name);
            for v in parsed {
                map.append(name.clone(), v);
            }
        }
        ExistsAction::Append => {
            for v in parsed {
                map.append(name.clone(), v);
            }
        }
    }
    Ok(())
}

fn targets_request(section: Section) -> bool {
    matches!(section, Section::Inbound | Section::Backend)
}

/// `set-header`.
pub fn set_header(x: &mut Exec<'_>, h: &SetHeader, meta: &Meta) -> Result<(), PolicyError> {
    let op = eval_header(x, h, meta.name)?;
    let map = if targets_request(meta.section) {
        &mut x.request.headers
    } else {
        &mut x.response.headers
    };
    apply_header(map, &op, meta.name)
}

/// `set-query-parameter`.
pub fn set_query(x: &mut Exec<'_>, h: &SetHeader, meta: &Meta) -> Result<(), PolicyError> {
    let op = eval_header(x, h, meta.name)?;
    let q = &mut x.request.query;
    let exists = q.iter().any(|(k, _)| *k == op.name);
    match op.action {
        ExistsAction::Delete => q.retain(|(k, _)| *k != op.name),
        ExistsAction::Skip if exists => {}
        ExistsAction::Override | ExistsAction::Skip => {
            q.retain(|(k, _)| *k != op.name);
            q.extend(op.values.iter().map(|v| (op.name.clone(), v.clone())));
        }
        ExistsAction::Append => q.extend(op.values.iter().map(|v| (op.name.clone(), v.clone()))),
    }
    Ok(())
}

/// Replaces `{param}` with matched template parameters (encoded); unknown names stay.
fn expand(template: &str, params: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                    Some((_, v)) => out.push_str(&encode_component(v)),
                    None => out.push_str(&rest[start..start + end + 2]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses `a=b&c` into decoded pairs.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                decode_component(k, true).into_owned(),
                decode_component(v, true).into_owned(),
            )
        })
        .collect()
}

/// `rewrite-uri`.
pub fn rewrite_uri(
    x: &mut Exec<'_>,
    template: &crate::policy::ast::Param<String>,
    copy_unmatched: bool,
    meta: &Meta,
) -> Result<(), PolicyError> {
    let template = x.string(template, meta.name)?;
    let expanded = expand(template.trim(), &x.facts.matched);
    let (path, query) = expanded.split_once('?').unwrap_or((&expanded, ""));
    let mut new_query = parse_query(query);
    if copy_unmatched {
        let bound = &x.facts.template_query;
        let keep: Vec<(String, String)> = x
            .request
            .query
            .iter()
            .filter(|(k, _)| {
                !new_query.iter().any(|(n, _)| n == k)
                    && !bound.iter().any(|b| b.eq_ignore_ascii_case(k))
            })
            .cloned()
            .collect();
        new_query.extend(keep);
    }
    x.request.path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    x.request.query = new_query;
    Ok(())
}

/// `set-backend-service`.
pub fn set_backend(
    x: &mut Exec<'_>,
    url: &crate::policy::ast::Param<String>,
    meta: &Meta,
) -> Result<(), PolicyError> {
    let url = x.string(url, meta.name)?;
    let base = BackendBase::parse(&url).ok_or_else(|| {
        PolicyError::new(
            meta.name,
            "InvalidBackendUrl",
            format!("'{url}' is not an absolute http(s) URL"),
        )
    })?;
    x.request.backend = Some(Arc::new(base));
    Ok(())
}

/// Evaluates a set-status into (code, reason).
pub fn eval_status(
    x: &mut Exec<'_>,
    s: &SetStatus,
    source: &str,
) -> Result<(u16, Option<String>), PolicyError> {
    let code = x.int(&s.code, source)?;
    let code = u16::try_from(code)
        .ok()
        .filter(|c| (100..=599).contains(c))
        .ok_or_else(|| {
            PolicyError::expression(source, &format!("{code} is not an HTTP status code"))
        })?;
    let reason = match &s.reason {
        Some(r) => Some(x.string(r, source)?),
        None => None,
    };
    Ok((code, reason))
}

/// `set-status`.
pub fn set_status(x: &mut Exec<'_>, s: &SetStatus, meta: &Meta) -> Result<(), PolicyError> {
    let (code, reason) = eval_status(x, s, meta.name)?;
    x.response.status = code;
    x.response.reason = reason;
    Ok(())
}

/// `set-body`.
pub fn set_body(
    x: &mut Exec<'_>,
    body: &crate::policy::ast::Param<String>,
    meta: &Meta,
) -> Result<(), PolicyError> {
    let text = x.string(body, meta.name)?;
    let target = if targets_request(meta.section) {
        &mut x.request.body
    } else {
        &mut x.response.body
    };
    *target = Bytes::from(text.into_bytes());
    Ok(())
}

/// `set-variable`.
pub fn set_variable(
    x: &mut Exec<'_>,
    name: &str,
    value: &crate::policy::ast::Param<String>,
    meta: &Meta,
) -> Result<(), PolicyError> {
    let v = match value {
        crate::policy::ast::Param::Const(s) => Value::str(s.as_str()),
        crate::policy::ast::Param::Expr(e) => x.eval(e, meta.name)?,
    };
    x.vars.insert(name.to_owned(), v);
    Ok(())
}

/// `return-response`: builds the response that ends the pipeline.
pub fn return_response(
    x: &mut Exec<'_>,
    r: &ReturnResponse,
    meta: &Meta,
) -> Result<(), PolicyError> {
    let source = meta.name;
    let mut resp = match &r.response_var {
        None => ResponseState::ok(),
        Some(var) => match x.vars.get(var) {
            Some(Value::Response(m)) => {
                let mut headers = HeaderMap::new();
                for (k, v) in &m.headers {
                    if let (Ok(k), Ok(v)) = (
                        HeaderName::from_bytes(k.as_bytes()),
                        HeaderValue::from_str(v),
                    ) {
                        headers.append(k, v);
                    }
                }
                ResponseState {
                    status: m.status,
                    reason: None,
                    headers,
                    body: m.body.clone(),
                }
            }
            _ => {
                return Err(PolicyError::expression(
                    source,
                    &format!("variable '{var}' does not hold a response"),
                ));
            }
        },
    };
    if let Some(s) = &r.status {
        let (code, reason) = eval_status(x, s, source)?;
        resp.status = code;
        resp.reason = reason;
    }
    for h in &r.headers {
        let op = eval_header(x, h, source)?;
        apply_header(&mut resp.headers, &op, source)?;
    }
    if let Some(b) = &r.body {
        resp.body = Bytes::from(x.string(b, source)?.into_bytes());
    }
    x.response = resp;
    Ok(())
}

/// `mock-response`: no examples or schemas are modelled, so the body is empty.
pub fn mock_response(x: &mut Exec<'_>, status: u16, content_type: Option<&str>) {
    let mut resp = ResponseState {
        status,
        ..ResponseState::ok()
    };
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        resp.headers.insert(http::header::CONTENT_TYPE, ct);
    }
    x.response = resp;
}

/// `trace`.
pub fn trace(x: &mut Exec<'_>, t: &Trace, meta: &Meta) -> Result<(), PolicyError> {
    let mut message = x.string(&t.message, meta.name)?;
    for (name, value) in &t.metadata {
        let v = x.string(value, meta.name)?;
        message.push_str(&format!(" [{name}={v}]"));
    }
    let severity = match t.severity {
        crate::policy::ast::Severity::Verbose => "verbose",
        crate::policy::ast::Severity::Information => "information",
        crate::policy::ast::Severity::Error => "error",
    };
    x.trace(&t.source, severity, message);
    Ok(())
}

/// `Authorization: Basic base64(user:password)`.
pub fn basic_header(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// `authentication-basic`.
pub fn authentication_basic(
    x: &mut Exec<'_>,
    user: &crate::policy::ast::Param<String>,
    password: &crate::policy::ast::Param<String>,
    meta: &Meta,
) -> Result<(), PolicyError> {
    let (u, p) = (x.string(user, meta.name)?, x.string(password, meta.name)?);
    let value = HeaderValue::from_str(&basic_header(&u, &p)).map_err(|_| {
        PolicyError::new(
            meta.name,
            "InvalidHeader",
            "credentials are not a valid header value",
        )
    })?;
    x.request.headers.insert(http::header::AUTHORIZATION, value);
    Ok(())
}

/// An `IResponse` value from a buffered response.
pub fn response_value(status: u16, headers: &HeaderMap, body: Bytes) -> Value {
    let headers = headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_owned(), v.to_owned()))
        })
        .collect();
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
        .to_owned();
    Value::Response(Arc::new(crate::expr::HttpMessage {
        status,
        reason,
        headers,
        body,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, action: ExistsAction, values: &[&str]) -> HeaderOp {
        HeaderOp {
            name: name.into(),
            action,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn header_actions() {
        let mut m = HeaderMap::new();
        apply_header(&mut m, &op("X-A", ExistsAction::Override, &["1", "2"]), "t").unwrap();
        assert_eq!(m.get("x-a").unwrap(), "1,2");
        apply_header(&mut m, &op("X-A", ExistsAction::Skip, &["3"]), "t").unwrap();
        assert_eq!(m.get("x-a").unwrap(), "1,2");
        apply_header(&mut m, &op("X-A", ExistsAction::Append, &["3"]), "t").unwrap();
        assert_eq!(m.get_all("x-a").iter().count(), 2);
        apply_header(
            &mut m,
            &op("Set-Cookie", ExistsAction::Override, &["a=1", "b=2"]),
            "t",
        )
        .unwrap();
        assert_eq!(m.get_all("set-cookie").iter().count(), 2);
        apply_header(&mut m, &op("X-A", ExistsAction::Delete, &[]), "t").unwrap();
        assert!(m.get("x-a").is_none());
        apply_header(
            &mut m,
            &op("Content-Length", ExistsAction::Override, &["5"]),
            "t",
        )
        .unwrap();
        assert!(m.get("content-length").is_none());
        assert!(
            apply_header(&mut m, &op("bad name", ExistsAction::Override, &["x"]), "t").is_err()
        );
        assert!(apply_header(&mut m, &op("x", ExistsAction::Override, &["a\nb"]), "t").is_err());
    }

    #[test]
    fn template_expansion_and_queries() {
        let params = vec![("id".to_owned(), "a b".to_owned())];
        assert_eq!(expand("/v2/{id}/{other}&x", &params), "/v2/a%20b/{other}&x");
        assert_eq!(
            parse_query("a=1&b=x%20y&c"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), String::new())
            ]
        );
        assert_eq!(basic_header("u", "p"), "Basic dTpw");
    }
}
