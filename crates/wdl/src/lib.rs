//! The Logic Apps Workflow Definition Language (WDL) expression language:
//! parser, evaluator and the complete function library. No I/O.
//!
//! A workflow engine uses it in two ways:
//!
//! * [`evaluate_template`] walks any JSON value (an action's `inputs`, a
//!   condition's `expression`, …) and evaluates every string in it by the
//!   runtime's template rules: `"@expr"` keeps the value's JSON type,
//!   `"text @{expr} text"` always produces a string (even when the whole
//!   string is one `@{expr}`), and a leading `@@` escapes. The module
//!   `template.rs` lists the exact cases with their sources.
//! * [`eval_expression_str`] evaluates one expression text (without `@`).
//!
//! Run-time state (parameters, variables, action results, loop items, the
//! clock, GUIDs) comes from a [`Context`] the engine implements;
//! [`MapContext`] is a JSON-backed one for tests and tooling, and
//! [`EmptyContext`] provides nothing.
//!
//! ## Values
//!
//! Results are `serde_json::Value`s. Internally integers (i64), doubles and
//! .NET decimals are kept apart as the runtime does; on output a decimal
//! becomes a double and NaN/±Infinity become the strings `"NaN"`,
//! `"Infinity"`, `"-Infinity"` (Newtonsoft's default). Binary and XML data
//! are content envelopes `{"$content-type": …, "$content": "<base64>"}`
//! exactly as the runtime represents them (`binary()`, `xml()`,
//! `base64ToBinary()` …); interpolating one yields its decoded text.
//!
//! ## Errors
//!
//! [`ExprError`]'s `Display` reproduces the runtime's `InvalidTemplate`
//! wording where it is known, e.g. `The template language expression 'x'
//! cannot be evaluated because property 'y' doesn't exist, available
//! properties are 'a, b'.` Parsing and evaluation never panic; nesting depth
//! and result sizes are bounded.

#![warn(missing_docs)]

mod ast;
mod context;
mod culture;
mod datetime;
mod decimal;
mod error;
mod eval;
mod functions;
mod json_parse;
mod numfmt;
mod parser;
mod template;
mod text;
mod value;
mod xml;

use serde_json::Value;

pub use ast::{Accessor, Expr};
pub use context::{Context, ContextError, EmptyContext, MapContext};
pub use culture::supported_cultures;
pub use error::{ExprError, ParseError};
pub use functions::{LAZY_FUNCTIONS, function_names};
pub use parser::{MAX_DEPTH, parse};

/// Evaluates every string in `template` by the runtime's template rules and
/// returns the resulting JSON value. Object keys are not evaluated;
/// non-string scalars are returned unchanged.
pub fn evaluate_template(template: &Value, ctx: &dyn Context) -> Result<Value, ExprError> {
    template::eval_value(template, ctx, 0).map(|v| v.to_json())
}

/// Evaluates one expression given without its leading `@`, e.g.
/// `"add(1, 2)"` → `3`.
pub fn eval_expression_str(expr_without_at: &str, ctx: &dyn Context) -> Result<Value, ExprError> {
    template::eval_expression(expr_without_at, ctx).map(|v| v.to_json())
}

/// Evaluates one template string, i.e. the *content* of a JSON string value
/// such as `"@concat('a', 'b')"` or `"Hello @{variables('name')}"`.
pub fn eval_template_str(json_string_value: &str, ctx: &dyn Context) -> Result<Value, ExprError> {
    template::eval_string(json_string_value, ctx).map(|v| v.to_json())
}

/// Evaluates an already parsed expression (for engines that parse once and
/// evaluate many times, e.g. per loop iteration). `source` is the text the
/// expression was parsed from; error messages quote it.
pub fn eval_parsed(expr: &Expr, source: &str, ctx: &dyn Context) -> Result<Value, ExprError> {
    eval::eval(expr, ctx)
        .map(|v| v.to_json())
        .map_err(|e| e.with_expression(source))
}

/// True when template evaluation may change this JSON string value: it
/// starts with `@` (an expression, or the `@@` escape) or contains `@{`.
/// Engines can use this to skip work on plain strings.
pub fn is_template_string(s: &str) -> bool {
    (s.starts_with('@') && s.len() > 1) || s.contains("@{")
}
