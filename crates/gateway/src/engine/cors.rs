//! The `cors` policy: preflight answers (only cors is evaluated for a preflight) and the
//! headers added to actual cross-origin responses.

use http::HeaderMap;
use http::header::{HeaderValue, ORIGIN};

use super::state::{Exec, ResponseState};
use crate::policy::ast::{Cors, Kind, Policy};
use crate::policy::load::normalize_origin;

fn origin_allowed(c: &Cors, origin: &str) -> bool {
    c.origins.iter().any(|o| o == "*")
        || normalize_origin(origin).is_some_and(|n| c.origins.contains(&n))
}

fn method_allowed(c: &Cors, method: &str) -> bool {
    match &c.methods {
        None => matches!(method, "GET" | "POST"),
        Some(list) => list
            .iter()
            .any(|m| m == "*" || m.eq_ignore_ascii_case(method)),
    }
}

fn allow_origin_value(c: &Cors, origin: &str) -> String {
    // With credentials the origin must be echoed; `*` is not allowed by browsers then.
    if c.origins.iter().any(|o| o == "*") && !c.allow_credentials {
        "*".to_owned()
    } else {
        origin.to_owned()
    }
}

/// The first `cors` among the direct inbound policies (fragments included), as APIM
/// applies "generally only the first".
pub fn first_cors(inbound: &[Policy]) -> Option<&Cors> {
    inbound.iter().find_map(|p| match &p.kind {
        Kind::Cors(c) => Some(&**c),
        Kind::Fragment(ps) => first_cors(ps),
        _ => None,
    })
}

/// Whether a request is a CORS preflight.
pub fn is_preflight(method: &http::Method, headers: &HeaderMap) -> bool {
    method == http::Method::OPTIONS
        && headers.contains_key(ORIGIN)
        && headers.contains_key("access-control-request-method")
}

fn header(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}

/// Answers a preflight: 200 with CORS headers when it matches, an empty 200 otherwise.
pub fn preflight(c: &Cors, headers: &HeaderMap) -> ResponseState {
    let mut resp = ResponseState::ok();
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin = get("origin");
    let method = get("access-control-request-method");
    let requested: Vec<&str> = get("access-control-request-headers")
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let headers_ok = requested.iter().all(|r| {
        c.headers
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(r))
    });
    if !(origin_allowed(c, origin) && method_allowed(c, method) && headers_ok) {
        return resp;
    }
    let h = &mut resp.headers;
    header(
        h,
        "access-control-allow-origin",
        &allow_origin_value(c, origin),
    );
    if c.allow_credentials {
        header(h, "access-control-allow-credentials", "true");
    }
    header(h, "access-control-allow-methods", method);
    if !requested.is_empty() {
        header(h, "access-control-allow-headers", &requested.join(","));
    }
    if c.max_age > 0 {
        header(h, "access-control-max-age", &c.max_age.to_string());
    }
    header(h, "vary", "Origin");
    resp
}

/// For an actual request: records the response headers, or returns `true` when an
/// unmatched request must end with an empty 200 (`terminate-unmatched-request`).
pub fn actual(x: &mut Exec<'_>, c: &Cors) -> bool {
    let Some(origin) = x
        .request
        .headers
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return false;
    };
    if !(origin_allowed(c, &origin) && method_allowed(c, &x.request.method)) {
        if c.terminate_unmatched {
            x.response = ResponseState::ok();
            return true;
        }
        return false;
    }
    x.extra_headers.push((
        "Access-Control-Allow-Origin".into(),
        allow_origin_value(c, &origin),
    ));
    if c.allow_credentials {
        x.extra_headers
            .push(("Access-Control-Allow-Credentials".into(), "true".into()));
    }
    if !c.expose.is_empty() {
        x.extra_headers
            .push(("Access-Control-Expose-Headers".into(), c.expose.join(",")));
    }
    x.extra_headers.push(("Vary".into(), "Origin".into()));
    false
}
