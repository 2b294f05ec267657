//! Turning values into text the way the runtime does.
//!
//! Two forms exist: the *display* form used by `@{…}` interpolation,
//! `string()`, `concat()` and `join()` (booleans `True`/`False`, null empty,
//! doubles without a trailing `.0`), and the *JSON* form used when an array
//! or object is stringified (Newtonsoft.Json's compact output, where an
//! integral double keeps `.0`).

use crate::numfmt::double;
use crate::value::Val;

/// The display form of a value.
pub(crate) fn to_text(v: &Val) -> String {
    match v {
        Val::Null => String::new(),
        Val::Bool(true) => "True".to_owned(),
        Val::Bool(false) => "False".to_owned(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => double::format_r(*f),
        Val::Decimal(d) => d.to_string(),
        Val::Str(s) => s.clone(),
        Val::Array(_) => to_json_text(v),
        Val::Object(_) => match v.as_content() {
            // Binary and XML envelopes interpolate as their decoded content.
            Some(content) => content.text(),
            None => to_json_text(v),
        },
    }
}

/// The compact JSON form of a value.
pub(crate) fn to_json_text(v: &Val) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Val, out: &mut String) {
    match v {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Int(i) => out.push_str(&i.to_string()),
        Val::Float(f) => {
            if f.is_finite() {
                out.push_str(&double::format_json(*f));
            } else {
                write_json_string(double::non_finite_name(*f), out);
            }
        }
        Val::Decimal(d) => {
            let s = d.to_string();
            out.push_str(&s);
            if !s.contains('.') {
                out.push_str(".0");
            }
        }
        Val::Str(s) => write_json_string(s, out),
        Val::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Val::Object(obj) => {
            out.push('{');
            for (i, (k, item)) in obj.0.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal with Newtonsoft's default escaping (quote,
/// backslash and control characters only).
pub(crate) fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
