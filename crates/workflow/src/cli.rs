//! What the `skybridge expr` and `skybridge runs` commands print. The binary only parses
//! arguments and opens the store; formatting lives here so it is tested with the engine.

use serde_json::Value;
use skybridge_wdl::MapContext;

use crate::history::{StoredAction, StoredRun};
use crate::time::parse_time;

/// Evaluates an expression (without its leading `@`) or, with `template`, a template: the
/// content of a JSON string value (`Hello @{variables('x')}`), or a whole JSON document when
/// the text is a JSON object or array. Returns compact JSON, or the runtime-style
/// `InvalidTemplate` message.
pub fn evaluate(text: &str, context: Option<Value>, template: bool) -> Result<String, String> {
    let ctx = MapContext::from_json(context.unwrap_or_else(|| Value::Object(Default::default())))
        .map_err(|e| format!("InvalidContext: {e}"))?;
    let result = if template {
        let trimmed = text.trim_start();
        match serde_json::from_str::<Value>(text) {
            Ok(doc) if trimmed.starts_with('{') || trimmed.starts_with('[') => {
                skybridge_wdl::evaluate_template(&doc, &ctx)
            }
            _ => skybridge_wdl::eval_template_str(text, &ctx),
        }
    } else {
        skybridge_wdl::eval_expression_str(text, &ctx)
    };
    result
        .map(|v| v.to_string())
        .map_err(|e| format!("InvalidTemplate: {e}"))
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `1.234s`, `2m 3s` between two timestamps.
fn duration(start: &str, end: &str) -> String {
    let (Some(s), Some(e)) = (parse_time(start), parse_time(end)) else {
        return "-".into();
    };
    let d = e.duration_since(s).unwrap_or_default();
    if d.as_secs() >= 60 {
        format!("{}m {}s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{:.3}s", d.as_secs_f64())
    }
}

/// The `runs list` table.
pub fn format_run_list(runs: &[StoredRun]) -> String {
    let mut out = format!(
        "{:<36} {:<10} {:<30} {:>10}\n",
        "RUN", "STATUS", "START", "DURATION"
    );
    for r in runs {
        let d = &r.document;
        out.push_str(&format!(
            "{:<36} {:<10} {:<30} {:>10}\n",
            r.run_id,
            text(d, "status"),
            text(d, "startTime"),
            duration(text(d, "startTime"), text(d, "endTime"))
        ));
    }
    out
}

fn compact(v: &Value, max: usize) -> String {
    let s = v.to_string();
    if s.chars().count() > max {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}… ({} bytes)", s.len())
    } else {
        s
    }
}

/// The `runs show` report: the run, its trigger, and each action execution with status,
/// code, duration, error, inputs and outputs (secured content is not shown).
pub fn format_run(run: &StoredRun, actions: &[StoredAction], width: usize) -> String {
    let d = &run.document;
    let mut out = format!(
        "run {}  {}  {}  {}\n",
        run.run_id,
        text(d, "status"),
        text(d, "startTime"),
        duration(text(d, "startTime"), text(d, "endTime"))
    );
    if let Some(e) = d.get("error") {
        out.push_str(&format!(
            "  error: {} {}\n",
            text(e, "code"),
            text(e, "message")
        ));
    }
    if let Some(t) = d.get("trigger") {
        out.push_str(&format!(
            "trigger {}  {}\n",
            text(t, "name"),
            text(t, "status")
        ));
        if let Some(o) = t.get("outputs") {
            out.push_str(&format!("  outputs: {}\n", compact(o, width)));
        } else if t.get("secureOutputs").is_some() {
            out.push_str("  outputs: (content not shown due to security configuration)\n");
        }
    }
    if let Some(Value::Object(o)) = d.get("outputs")
        && !o.is_empty()
    {
        out.push_str(&format!(
            "outputs: {}\n",
            compact(&Value::Object(o.clone()), width)
        ));
    }
    for a in actions {
        let ad = &a.document;
        let rep = if a.repetition.is_empty() {
            String::new()
        } else {
            format!(" [{}]", a.repetition)
        };
        out.push_str(&format!(
            "- {}{}  {}  {}  {}\n",
            a.name,
            rep,
            text(ad, "status"),
            text(ad, "code"),
            duration(text(ad, "startTime"), text(ad, "endTime"))
        ));
        if let Some(e) = ad.get("error") {
            out.push_str(&format!(
                "    error: {}: {}\n",
                text(e, "code"),
                text(e, "message")
            ));
        }
        for (key, secure) in [("inputs", "secureInputs"), ("outputs", "secureOutputs")] {
            if ad.get(secure).is_some() {
                out.push_str(&format!(
                    "    {key}: (content not shown due to security configuration)\n"
                ));
            } else if let Some(v) = ad.get(key) {
                out.push_str(&format!("    {key}: {}\n", compact(v, width)));
            }
        }
        if let Some(Value::Array(h)) = ad.get("retryHistory") {
            out.push_str(&format!("    retries: {}\n", h.len()));
        }
        if let Some(Value::Array(steps)) = ad.get("authenticationSteps") {
            for s in steps {
                out.push_str(&format!(
                    "    token step: {} {:.1} ms  {}  [{}]\n",
                    text(s, "step"),
                    s.get("durationMs").and_then(Value::as_f64).unwrap_or(0.0),
                    text(s, "detail"),
                    text(s, "target")
                ));
            }
        }
        if let Some(n) = ad.get("repetitionCount") {
            out.push_str(&format!("    repetitions: {n}\n"));
        }
    }
    out
}
