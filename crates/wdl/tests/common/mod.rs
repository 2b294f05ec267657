//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;
use skybridge_wdl::{EmptyContext, ExprError, MapContext, eval_expression_str, eval_template_str};

/// JSON equality where numbers compare by value (an integral double equals
/// the integer) and, with `approx`, within 1e-12 relative.
pub fn same(a: &Value, b: &Value, approx: bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if approx {
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q, approx))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same(v, w, approx)))
        }
        _ => a == b,
    }
}

/// Evaluates an expression (without `@`) with no context.
pub fn ev(expr: &str) -> Result<Value, ExprError> {
    eval_expression_str(expr, &EmptyContext)
}

/// Evaluates a template string with no context.
pub fn tpl(s: &str) -> Result<Value, ExprError> {
    eval_template_str(s, &EmptyContext)
}

/// Asserts an expression's value.
#[track_caller]
pub fn check(expr: &str, expected: Value) {
    match ev(expr) {
        Ok(v) => assert!(
            same(&v, &expected, false),
            "{expr}: got {v}, expected {expected}"
        ),
        Err(e) => panic!("{expr}: error {e}"),
    }
}

/// Asserts an expression fails with a message containing `fragment`.
#[track_caller]
pub fn check_err(expr: &str, fragment: &str) {
    match ev(expr) {
        Ok(v) => panic!("{expr}: expected an error containing {fragment:?}, got {v}"),
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains(fragment),
                "{expr}: message {msg:?} lacks {fragment:?}"
            );
        }
    }
}

/// Asserts a template's string result.
#[track_caller]
pub fn check_tpl(template: &str, expected: &str) {
    match tpl(template) {
        Ok(Value::String(s)) => assert_eq!(s, expected, "{template}"),
        other => panic!("{template}: got {other:?}"),
    }
}

/// Builds a MapContext from JSON.
pub fn ctx(v: Value) -> MapContext {
    MapContext::from_json(v).unwrap()
}
