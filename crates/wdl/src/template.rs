//! Template evaluation: deciding which JSON strings are expressions.
//!
//! Rules (WDL schema doc and research note §7.1, confirmed by IllogicApps'
//! tests against the runtime):
//!
//! * A string starting with `@@` is literal text minus the first `@`
//!   (`"@@{x}"` → `"@{x}"`); nothing in it is evaluated.
//! * A string starting with `@` but not `@{` is one expression over the rest
//!   of the string; its result keeps its JSON type (`"@parameters('age')"`
//!   → `42`). A lone `"@"` is literal.
//! * Otherwise every `@{expr}` in the string is replaced by the display form
//!   of its value and the result is **always a string** — including a string
//!   that is exactly one `@{…}` (`"@{parameters('age')}"` → `"42"`, as the
//!   WDL schema doc shows). Inside such text `@@{` stays a literal `@{`.
//! * Non-string values are walked recursively; object keys are never
//!   evaluated.

use crate::context::Context;
use crate::error::ExprError;
use crate::eval::eval;
use crate::parser::{parse, parse_prefix};
use crate::text::to_text;
use crate::value::{MAX_VALUE_DEPTH, Obj, Val};

/// Evaluates one expression text (without the leading `@`).
pub(crate) fn eval_expression(text: &str, ctx: &dyn Context) -> Result<Val, ExprError> {
    let expr = parse(text).map_err(|e| ExprError::Parse {
        expression: text.to_owned(),
        position: e.position,
        message: e.message,
    })?;
    eval(&expr, ctx).map_err(|e| e.with_expression(text))
}

/// Evaluates one template string.
pub(crate) fn eval_string(s: &str, ctx: &dyn Context) -> Result<Val, ExprError> {
    if let Some(rest) = s.strip_prefix("@@") {
        return Ok(Val::Str(format!("@{rest}")));
    }
    if let Some(rest) = s.strip_prefix('@')
        && !rest.is_empty()
        && !rest.starts_with('{')
    {
        return eval_expression(rest, ctx);
    }
    if !s.contains("@{") {
        return Ok(Val::Str(s.to_owned()));
    }
    interpolate(s, ctx).map(Val::Str)
}

fn interpolate(s: &str, ctx: &dyn Context) -> Result<String, ExprError> {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with("@@{") {
            out.push_str("@{");
            i += 3;
            continue;
        }
        if rest.starts_with("@{") {
            let start = i + 2;
            let (expr, end) = parse_prefix(s, start).map_err(|e| ExprError::Parse {
                expression: s[start..].to_owned(),
                position: e.position.saturating_sub(start),
                message: e.message,
            })?;
            if !s[end..].starts_with('}') {
                return Err(ExprError::Template {
                    template: s.to_owned(),
                    message: format!(
                        "expected '}}' at offset {end} to close the '@{{' at offset {i}"
                    ),
                });
            }
            let text = &s[start..end];
            let v = eval(&expr, ctx).map_err(|e| e.with_expression(text.trim()))?;
            out.push_str(&to_text(&v));
            crate::functions::check_string_size(out.len())?;
            i = end + 1;
            continue;
        }
        let c = rest.chars().next().unwrap_or('\0');
        out.push(c);
        i += c.len_utf8().max(1);
    }
    Ok(out)
}

/// Walks a JSON value, evaluating every string in it.
pub(crate) fn eval_value(
    v: &serde_json::Value,
    ctx: &dyn Context,
    depth: usize,
) -> Result<Val, ExprError> {
    if depth > MAX_VALUE_DEPTH {
        return Err(ExprError::limit(format!(
            "templates nested deeper than {MAX_VALUE_DEPTH} levels are not supported"
        )));
    }
    Ok(match v {
        serde_json::Value::String(s) => eval_string(s, ctx)?,
        serde_json::Value::Array(items) => Val::Array(
            items
                .iter()
                .map(|i| eval_value(i, ctx, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(map) => {
            let mut obj = Obj::default();
            for (k, item) in map {
                obj.0.push((k.clone(), eval_value(item, ctx, depth + 1)?));
            }
            Val::Object(obj)
        }
        other => Val::from_json(other)?,
    })
}
