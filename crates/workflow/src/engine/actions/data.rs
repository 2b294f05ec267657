//! Data operations: ParseJson, Query (Filter array), Select, Join and Table (CSV, HTML).
//! Query, Select and Table evaluate their per-row templates once per item with `item()` bound
//! to the row, so they are not evaluated as a whole up front.

use serde_json::{Map, Value, json};

use crate::definition::{Action, field_ci, json_type_name};
use crate::engine::outcome::Outcome;
use crate::engine::run::{EvalCtx, Frame, RunState};

/// Calls a function of the expression language on literal values (reusing its exact text and
/// conversion rules instead of re-implementing them).
pub(crate) fn call_wdl(
    function: &str,
    args: Vec<Value>,
) -> Result<Value, skybridge_wdl::ExprError> {
    struct Args(Vec<Value>);
    impl skybridge_wdl::Context for Args {
        fn parameter(&self, name: &str) -> Option<Value> {
            name.parse::<usize>()
                .ok()
                .and_then(|i| self.0.get(i).cloned())
        }
    }
    let list = (0..args.len())
        .map(|i| format!("parameters('{i}')"))
        .collect::<Vec<_>>()
        .join(", ");
    skybridge_wdl::eval_expression_str(&format!("{function}({list})"), &Args(args))
}

/// The text form of a value as the runtime writes it into strings.
pub(crate) fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => match call_wdl("string", vec![other.clone()]) {
            Ok(Value::String(s)) => s,
            _ => other.to_string(),
        },
    }
}

/// Evaluates `inputs.<key>` (must exist).
fn input(run: &RunState, frame: &Frame, action: &Action, key: &str) -> Result<Value, Box<Outcome>> {
    let raw = field_ci(&action.inputs, key).ok_or_else(|| {
        Box::new(Outcome::bad_request(
            "InvalidTemplate",
            format!(
                "The action '{}' of type '{}' requires 'inputs.{key}'.",
                action.name, action.type_name
            ),
        ))
    })?;
    skybridge_wdl::evaluate_template(raw, &EvalCtx::new(run, frame))
        .map_err(|e| Box::new(Outcome::template_error(&action.name, &e)))
}

fn from_array(run: &RunState, frame: &Frame, action: &Action) -> Result<Vec<Value>, Box<Outcome>> {
    match input(run, frame, action, "from")? {
        Value::Array(a) => Ok(a),
        other => Err(Box::new(Outcome::bad_request(
            "InvalidTemplate",
            format!(
                "The 'from' property value in the '{}' action inputs is of type '{}'. The value must be an array.",
                action.type_name.to_ascii_lowercase(),
                json_type_name(&other)
            ),
        ))),
    }
}

fn per_row(
    run: &RunState,
    frame: &Frame,
    action: &Action,
    template: &Value,
    row: &Value,
) -> Result<Value, Box<Outcome>> {
    let mut ctx = EvalCtx::new(run, frame);
    ctx.row = Some(row.clone());
    skybridge_wdl::evaluate_template(template, &ctx)
        .map_err(|e| Box::new(Outcome::template_error(&action.name, &e)))
}

pub(crate) fn parse_json(action: &Action, inputs: Value) -> Outcome {
    let content = field_ci(&inputs, "content").cloned().unwrap_or(Value::Null);
    let body = match &content {
        Value::String(s) => match serde_json::from_str::<Value>(s.trim_start_matches('\u{feff}')) {
            Ok(v) => v,
            Err(e) => {
                return Outcome::bad_request(
                    "InvalidJSON",
                    format!("The 'content' property of actions of type 'ParseJson' must be valid JSON. The provided value cannot be parsed: '{e}'."),
                )
                .with_inputs(inputs);
            }
        },
        other => other.clone(),
    };
    let schema = field_ci(&inputs, "schema").cloned().unwrap_or(json!({}));
    let errors = crate::schema::validate(&schema, &body);
    if errors.is_empty() {
        return Outcome::ok(Some(inputs), Some(json!({"body": body})));
    }
    let _ = &action.name;
    Outcome {
        inputs: Some(inputs),
        outputs: Some(
            json!({"body": body, "errors": errors.iter().map(|e| e.to_json()).collect::<Vec<_>>()}),
        ),
        ..Outcome::bad_request("ValidationFailed", "The schema validation failed.")
    }
}

pub(crate) fn query(run: &RunState, frame: &Frame, action: &Action) -> Outcome {
    let items = match from_array(run, frame, action) {
        Ok(a) => a,
        Err(o) => return *o,
    };
    let Some(cond) = field_ci(&action.inputs, "where") else {
        return Outcome::bad_request(
            "InvalidTemplate",
            format!(
                "The Query action '{}' requires 'inputs.where'.",
                action.name
            ),
        );
    };
    let mut kept = Vec::new();
    for item in &items {
        match per_row(run, frame, action, cond, item) {
            Ok(Value::Bool(true)) => kept.push(item.clone()),
            Ok(Value::Bool(false)) => {}
            Ok(other) => {
                return Outcome::bad_request(
                    "InvalidTemplate",
                    format!(
                        "The 'where' expression of the Query action '{}' must evaluate to a boolean; it gave a value of type '{}'.",
                        action.name,
                        json_type_name(&other)
                    ),
                );
            }
            Err(o) => return *o,
        }
    }
    let inputs = json!({"from": items, "where": cond});
    Outcome::ok(Some(inputs), Some(json!({"body": kept})))
}

pub(crate) fn select(run: &RunState, frame: &Frame, action: &Action) -> Outcome {
    let items = match from_array(run, frame, action) {
        Ok(a) => a,
        Err(o) => return *o,
    };
    let Some(map) = field_ci(&action.inputs, "select") else {
        return Outcome::bad_request(
            "InvalidTemplate",
            format!(
                "The Select action '{}' requires 'inputs.select'.",
                action.name
            ),
        );
    };
    let mut out = Vec::with_capacity(items.len());
    for item in &items {
        match per_row(run, frame, action, map, item) {
            Ok(v) => out.push(v),
            Err(o) => return *o,
        }
    }
    let inputs = json!({"from": items, "select": map});
    Outcome::ok(Some(inputs), Some(json!({"body": out})))
}

pub(crate) fn join(action: &Action, inputs: Value) -> Outcome {
    let from = field_ci(&inputs, "from").cloned().unwrap_or(Value::Null);
    let with = field_ci(&inputs, "joinWith").cloned().unwrap_or(json!(""));
    if !from.is_array() {
        return Outcome::bad_request(
            "InvalidTemplate",
            format!("The 'from' property value in the 'join' action '{}' inputs is of type '{}'. The value must be an array.", action.name, json_type_name(&from)),
        )
        .with_inputs(inputs);
    }
    match call_wdl("join", vec![from, with]) {
        Ok(s) => Outcome::ok(Some(inputs), Some(json!({"body": s}))),
        Err(e) => Outcome::template_error(&action.name, &e).with_inputs(inputs),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn table(run: &RunState, frame: &Frame, action: &Action) -> Outcome {
    let items = match from_array(run, frame, action) {
        Ok(a) => a,
        Err(o) => return *o,
    };
    let format = match input(run, frame, action, "format") {
        Ok(Value::String(f)) => f.to_ascii_uppercase(),
        Ok(_) => String::new(),
        Err(o) => return *o,
    };
    if format != "CSV" && format != "HTML" {
        return Outcome::bad_request(
            "InvalidTemplate",
            format!(
                "The 'format' of the Table action '{}' must be 'CSV' or 'HTML'.",
                action.name
            ),
        );
    }
    let mut headers = Vec::new();
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(items.len());
    match field_ci(&action.inputs, "columns") {
        Some(Value::Array(cols)) => {
            for c in cols {
                headers.push(field_ci(c, "header").map(text_of).unwrap_or_default());
            }
            for item in &items {
                let mut row = Vec::with_capacity(cols.len());
                for c in cols {
                    let v = match field_ci(c, "value") {
                        Some(t) => match per_row(run, frame, action, t, item) {
                            Ok(v) => v,
                            Err(o) => return *o,
                        },
                        None => Value::Null,
                    };
                    row.push(text_of(&v));
                }
                rows.push(row);
            }
        }
        _ => {
            // Automatic columns: the keys of the first row, in order.
            if let Some(Value::Object(first)) = items.first() {
                headers = first.keys().cloned().collect();
            }
            for item in &items {
                let obj = item.as_object().cloned().unwrap_or_else(Map::new);
                rows.push(
                    headers
                        .iter()
                        .map(|h| obj.get(h).map(text_of).unwrap_or_default())
                        .collect(),
                );
            }
        }
    }
    let body = if format == "CSV" {
        let mut out = headers
            .iter()
            .map(|h| csv_field(h))
            .collect::<Vec<_>>()
            .join(",");
        for r in &rows {
            out.push('\n');
            out.push_str(&r.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
        }
        out
    } else {
        let mut out = String::from("<table><thead><tr>");
        for h in &headers {
            out.push_str(&format!("<th>{}</th>", html_escape(h)));
        }
        out.push_str("</tr></thead><tbody>");
        for r in &rows {
            out.push_str("<tr>");
            for c in r {
                out.push_str(&format!("<td>{}</td>", html_escape(c)));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        out
    };
    let inputs = json!({"from": items, "format": format});
    Outcome::ok(Some(inputs), Some(json!({"body": body})))
}
