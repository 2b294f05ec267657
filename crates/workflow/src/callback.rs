//! Callback URLs of Request triggers and their shared-access signature.
//!
//! A callback URL is `…/api/{workflow}/triggers/{trigger}/invoke?api-version=2022-05-01&sp=
//! %2Ftriggers%2F{trigger}%2Frun&sv=1.0&sig=…`, as Logic Apps Standard issues. `sig` is an
//! HMAC-SHA256, keyed with the workflow's access key, over the invoke path (lower-cased, so the
//! case-insensitive names match), the permission `sp` and the version `sv`; it is checked in
//! constant time. The key is per workflow and persisted, so URLs survive restarts.

use aws_lc_rs::hmac;
use base64::Engine as _;
use serde_json::{Map, Value, json};

/// The api-version Standard callback URLs carry.
pub const API_VERSION: &str = "2022-05-01";
/// The signature version.
pub const SIGNATURE_VERSION: &str = "1.0";

/// The invoke path of a trigger (`/api/{workflow}/triggers/{trigger}/invoke`).
pub fn invoke_path(workflow: &str, trigger: &str) -> String {
    format!(
        "/api/{}/triggers/{}/invoke",
        encode_segment(workflow),
        encode_segment(trigger)
    )
}

/// The permission a callback URL grants (`/triggers/{trigger}/run`).
pub fn permission(trigger: &str) -> String {
    format!("/triggers/{trigger}/run")
}

fn message(workflow: &str, trigger: &str, sp: &str, sv: &str) -> String {
    format!(
        "{}\n{}\n{sv}",
        invoke_path(workflow, trigger).to_ascii_lowercase(),
        sp.to_ascii_lowercase()
    )
}

/// The `sig` of a trigger's callback URL.
pub fn sign(key: &[u8], workflow: &str, trigger: &str) -> String {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    let tag = hmac::sign(
        &k,
        message(workflow, trigger, &permission(trigger), SIGNATURE_VERSION).as_bytes(),
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref())
}

/// Verifies `sig` (constant time) for the permission `sp` and version `sv` a caller sent.
pub fn verify(key: &[u8], workflow: &str, trigger: &str, sp: &str, sv: &str, sig: &str) -> bool {
    if !sp.eq_ignore_ascii_case(&permission(trigger)) || sv != SIGNATURE_VERSION {
        return false;
    }
    let Ok(tag) =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig.trim_end_matches('='))
    else {
        return false;
    };
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::verify(&k, message(workflow, trigger, sp, sv).as_bytes(), &tag).is_ok()
}

/// Percent-encodes one path segment.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The callback URL of a trigger under `origin` (`https://app.workflows.example:8443`).
pub fn callback_url(
    origin: &str,
    key: &[u8],
    workflow: &str,
    trigger: &str,
    relative_path: Option<&str>,
) -> String {
    let mut base = format!(
        "{}{}",
        origin.trim_end_matches('/'),
        invoke_path(workflow, trigger)
    );
    if let Some(rp) = relative_path {
        base.push('/');
        base.push_str(rp.trim_matches('/'));
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("api-version", API_VERSION)
        .append_pair("sp", &permission(trigger))
        .append_pair("sv", SIGNATURE_VERSION)
        .append_pair("sig", &sign(key, workflow, trigger))
        .finish();
    format!("{base}?{query}")
}

/// The body of `listCallbackUrl`: `{value, method, basePath, queries, relativePath?}`.
pub fn callback_info(
    origin: &str,
    key: &[u8],
    workflow: &str,
    trigger: &str,
    method: Option<&str>,
    relative_path: Option<&str>,
) -> Value {
    let mut base = format!(
        "{}{}",
        origin.trim_end_matches('/'),
        invoke_path(workflow, trigger)
    );
    let mut v = Map::new();
    v.insert(
        "value".into(),
        json!(callback_url(origin, key, workflow, trigger, relative_path)),
    );
    v.insert("method".into(), json!(method.unwrap_or("POST")));
    if let Some(rp) = relative_path {
        base.push('/');
        base.push_str(rp.trim_matches('/'));
        v.insert("relativePath".into(), json!(rp));
        let params: Vec<Value> = rp
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|p| json!(p))
            .collect();
        if !params.is_empty() {
            v.insert("relativePathParameters".into(), Value::Array(params));
        }
    }
    v.insert("basePath".into(), json!(base));
    v.insert(
        "queries".into(),
        json!({
            "api-version": API_VERSION,
            "sp": permission(trigger),
            "sv": SIGNATURE_VERSION,
            "sig": sign(key, workflow, trigger),
        }),
    );
    Value::Object(v)
}

/// Matches a request's path remainder against a `relativePath` template (`orders/{id}`),
/// returning the parameters (percent-decoded).
pub fn match_relative_path(template: &str, actual: &str) -> Option<Vec<(String, String)>> {
    let t: Vec<&str> = template
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let a: Vec<&str> = actual
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    if t.len() != a.len() {
        return None;
    }
    let mut params = Vec::new();
    for (ts, asg) in t.iter().zip(&a) {
        let decoded = percent_decode(asg);
        match ts.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => params.push((name.to_string(), decoded)),
            None if ts.eq_ignore_ascii_case(&decoded) => {}
            None => return None,
        }
    }
    Some(params)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = b"0123456789abcdef0123456789abcdef";
        let sig = sign(key, "Orders", "manual");
        assert_eq!(sig.len(), 43);
        assert!(verify(
            key,
            "orders",
            "manual",
            "/triggers/manual/run",
            "1.0",
            &sig
        ));
        assert!(!verify(
            key,
            "orders",
            "manual",
            "/triggers/other/run",
            "1.0",
            &sig
        ));
        assert!(!verify(
            b"another key",
            "orders",
            "manual",
            "/triggers/manual/run",
            "1.0",
            &sig
        ));
        assert!(!verify(
            key,
            "orders",
            "manual",
            "/triggers/manual/run",
            "1.0",
            "not-base64!"
        ));
        let url = callback_url("https://a.example", key, "orders", "manual", None);
        assert!(url.starts_with("https://a.example/api/orders/triggers/manual/invoke?api-version=2022-05-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig="), "{url}");
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            match_relative_path("boom/{bang}/pow/{whack}", "boom/1/pow/%5B%5D"),
            Some(vec![
                ("bang".into(), "1".into()),
                ("whack".into(), "[]".into())
            ])
        );
        assert_eq!(match_relative_path("a/{b}", "a"), None);
        assert_eq!(match_relative_path("a/{b}", "x/1"), None);
        assert_eq!(percent_decode("%4"), "%4");
    }
}
