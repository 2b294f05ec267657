//! Tolerant JSON access as the runtime does it: property names match exactly, then ignoring
//! case; numbers may arrive as strings.

use serde_json::{Map, Value};

/// `obj[key]`, exact match first, then ignoring ASCII case.
pub(crate) fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// `value[key]` when `value` is an object.
pub(crate) fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_object().and_then(|o| get(o, key))
}

/// A non-negative integer given as a number or a numeric string (`"interval": "1"`).
pub(crate) fn lenient_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A string, or a string list separated by commas (`operationOptions`).
pub(crate) fn option_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s
            .split(',')
            .map(|p| p.trim().to_ascii_lowercase())
            .filter(|p| !p.is_empty())
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_ascii_lowercase())
            .collect(),
        _ => Vec::new(),
    }
}

/// `base.key`, bracketed when the key is not a plain identifier. A key made of identifier
/// characters, dots and brackets is taken as a relative path (`inputs.variables[0]`).
pub(crate) fn join_path(base: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | '.' | '[' | ']'));
    match (base.is_empty(), plain) {
        (true, true) => key.to_string(),
        (true, false) => format!("['{key}']"),
        (false, true) => format!("{base}.{key}"),
        (false, false) => format!("{base}['{key}']"),
    }
}

/// The runtime's name for a JSON value's type.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "Float",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

/// serde_json's message without its own position suffix.
pub(crate) fn describe_serde_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// A u16 given as a number or a numeric string (status codes).
pub(crate) fn lenient_u16(v: &Value) -> Option<u16> {
    lenient_u64(v).and_then(|n| u16::try_from(n).ok())
}
