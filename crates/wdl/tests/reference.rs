//! Every worked example of the official "Reference guide to functions in
//! expressions" (MicrosoftDocs/azure-docs,
//! `articles/logic-apps/expression-functions-reference.md`), plus the
//! template examples of the WDL schema doc, run from
//! `tests/data/reference_examples.json`.
//!
//! Cases whose documented result is wrong or unparseable carry a `note`
//! saying what we assert instead; README.md lists them.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::Value;
use skybridge_wdl::{MapContext, eval_expression_str, eval_template_str, function_names};

fn load() -> Value {
    let text = include_str!("data/reference_examples.json");
    serde_json::from_str(text).unwrap()
}

fn context_for(base: &Value, case: &Value) -> MapContext {
    let mut doc = base.clone();
    if let (Some(over), Some(obj)) = (
        case.get("context").and_then(Value::as_object),
        doc.as_object_mut(),
    ) {
        for (k, v) in over {
            obj.insert(k.clone(), v.clone());
        }
    }
    MapContext::from_json(doc).unwrap()
}

#[test]
fn reference_examples() {
    let data = load();
    let base = &data["context"];
    let cases = data["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let ctx = context_for(base, case);
        let approx = case.get("approx").and_then(Value::as_bool).unwrap_or(false);
        let (label, got) = match (case.get("expr"), case.get("template")) {
            (Some(Value::String(e)), _) => (e.clone(), eval_expression_str(e, &ctx)),
            (_, Some(Value::String(t))) => (t.clone(), eval_template_str(t, &ctx)),
            _ => panic!("case without expr or template: {case}"),
        };
        match (got, case.get("error")) {
            (Ok(v), None) => {
                if !common::same(&v, &case["result"], approx) {
                    failures.push(format!("{label}\n   got {v}\n  want {}", case["result"]));
                }
            }
            (Err(e), Some(frag)) if e.to_string().contains(frag.as_str().unwrap_or("")) => {}
            (Ok(v), Some(_)) => failures.push(format!("{label}\n   got {v}, expected an error")),
            (Err(e), _) => failures.push(format!("{label}\n   error {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} reference examples failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Every function of the reference has at least one example case (the
/// deprecated `decodeBase64` and the undocumented-by-example ones included).
#[test]
fn every_function_has_an_example() {
    let data = load();
    let covered: Vec<String> = data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["fn"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = function_names()
        .into_iter()
        .filter(|f| *f != "triggers" && !covered.contains(&f.to_ascii_lowercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "functions without a reference case: {missing:?}"
    );
}
