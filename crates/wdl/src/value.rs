//! The evaluator's value model.
//!
//! Expressions compute on [`Val`] rather than on `serde_json::Value` because
//! the runtime has types JSON lacks: integers and doubles are distinct (an
//! integral double still prints as `5.0` inside JSON), `decimal()` yields a
//! .NET `System.Decimal` that keeps its exact digits, and doubles may be NaN
//! or infinite. Objects keep insertion order and allow keys that differ only
//! by case, as the runtime's objects do.
//!
//! Binary and XML data are *not* separate variants: the runtime represents
//! them as ordinary objects `{"$content-type": …, "$content": "<base64>"}`
//! (observed: `addProperty(binary('test'),'x',1)` works and keeps both keys),
//! so they are objects here too and [`Val::as_content`] recognises them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Number, Value};

use crate::decimal::Decimal;
use crate::error::ExprError;

/// Deepest nesting accepted when converting values, so hostile inputs
/// cannot exhaust the stack.
pub(crate) const MAX_VALUE_DEPTH: usize = 256;

/// A runtime value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Decimal(Decimal),
    Str(String),
    Array(Vec<Val>),
    Object(Obj),
}

/// An insertion-ordered object whose lookups are case-insensitive the way the
/// runtime's are: an exact-case match wins, otherwise the first match
/// ignoring case.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Obj(pub(crate) Vec<(String, Val)>);

impl Obj {
    /// Index of the entry for `key` (exact case first, then ignoring case).
    pub(crate) fn position(&self, key: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|(k, _)| k == key)
            .or_else(|| self.0.iter().position(|(k, _)| eq_ignore_case(k, key)))
    }

    /// The value for `key`, looked up as [`Obj::position`] does.
    pub(crate) fn get(&self, key: &str) -> Option<&Val> {
        self.position(key).map(|i| &self.0[i].1)
    }

    /// Keeps the last value of duplicate exact-case keys in the first key's
    /// position (what `json()` does with `{"a":1,"b":2,"a":3}` — observed
    /// result `{"b":2,"a":3}` means the entry moves to the end).
    pub(crate) fn insert_json_key(&mut self, key: String, value: Val) {
        if let Some(i) = self.0.iter().position(|(k, _)| *k == key) {
            self.0.remove(i);
        }
        self.0.push((key, value));
    }

    /// Names of all keys, comma-separated, for error messages.
    pub(crate) fn key_list(&self) -> String {
        self.0
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Case-insensitive comparison using simple Unicode lowercasing.
pub(crate) fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.len() == b.len() && a.eq_ignore_ascii_case(b) {
        return true;
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// Decodes base64 the way .NET's `Convert.FromBase64String` does: white
/// space is ignored, padding is required.
pub(crate) fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    B64.decode(compact.as_bytes()).ok()
}

/// A decoded content envelope (`$content-type` + `$content`).
pub(crate) struct Content {
    pub(crate) content_type: String,
    pub(crate) bytes: Vec<u8>,
}

impl Content {
    /// True for XML content types (`application/xml`, `text/xml`, `…+xml`).
    pub(crate) fn is_xml(&self) -> bool {
        let ct = self.content_type.to_ascii_lowercase();
        let media = ct.split(';').next().unwrap_or("").trim();
        media == "application/xml" || media == "text/xml" || media.ends_with("+xml")
    }

    /// The bytes as text, replacing invalid UTF-8 like .NET does.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

impl Val {
    /// The runtime's name for this value's type, used in error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "Null",
            Val::Bool(_) => "Boolean",
            Val::Int(_) => "Integer",
            Val::Float(_) | Val::Decimal(_) => "Float",
            Val::Str(_) => "String",
            Val::Array(_) => "Array",
            Val::Object(_) => "Object",
        }
    }

    /// Builds a content envelope object.
    pub(crate) fn content(content_type: &str, bytes: &[u8]) -> Val {
        Val::Object(Obj(vec![
            (
                "$content-type".to_owned(),
                Val::Str(content_type.to_owned()),
            ),
            ("$content".to_owned(), Val::Str(B64.encode(bytes))),
        ]))
    }

    /// A binary envelope with `application/octet-stream`.
    pub(crate) fn binary(bytes: &[u8]) -> Val {
        Val::content("application/octet-stream", bytes)
    }

    /// An XML envelope holding serialised XML text.
    pub(crate) fn xml(text: &str) -> Val {
        Val::content("application/xml;charset=utf-8", text.as_bytes())
    }

    /// Recognises a content envelope and decodes its `$content`.
    pub(crate) fn as_content(&self) -> Option<Content> {
        let Val::Object(obj) = self else { return None };
        let Some(Val::Str(ct)) = obj.get("$content-type") else {
            return None;
        };
        let Some(Val::Str(content)) = obj.get("$content") else {
            return None;
        };
        let bytes = decode_b64(content)?;
        Some(Content {
            content_type: ct.clone(),
            bytes,
        })
    }

    /// Converts a JSON value, refusing nesting deeper than [`MAX_VALUE_DEPTH`].
    pub(crate) fn from_json(value: &Value) -> Result<Val, ExprError> {
        from_json_depth(value, 0)
    }

    /// Converts to JSON. Decimals become doubles (the runtime's documented
    /// behaviour when a decimal is "used as a number"); NaN and infinities
    /// become the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (Newtonsoft's
    /// default float handling).
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::Number(Number::from(*i)),
            Val::Float(f) => float_to_json(*f),
            Val::Decimal(d) => float_to_json(d.to_f64()),
            Val::Str(s) => Value::String(s.clone()),
            Val::Array(items) => Value::Array(items.iter().map(Val::to_json).collect()),
            Val::Object(obj) => {
                let mut map = Map::new();
                for (k, v) in &obj.0 {
                    map.insert(k.clone(), v.to_json());
                }
                Value::Object(map)
            }
        }
    }
}

fn float_to_json(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None => Value::String(crate::numfmt::double::non_finite_name(f).to_owned()),
    }
}

fn from_json_depth(value: &Value, depth: usize) -> Result<Val, ExprError> {
    if depth > MAX_VALUE_DEPTH {
        return Err(ExprError::limit(format!(
            "values nested deeper than {MAX_VALUE_DEPTH} levels are not supported"
        )));
    }
    Ok(match value {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => Val::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Val::Str(s.clone()),
        Value::Array(items) => Val::Array(
            items
                .iter()
                .map(|v| from_json_depth(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut obj = Obj::default();
            for (k, v) in map {
                obj.0.push((k.clone(), from_json_depth(v, depth + 1)?));
            }
            Val::Object(obj)
        }
    })
}
