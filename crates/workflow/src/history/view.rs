//! The management API's JSON shapes (ARM `WorkflowRun`, `WorkflowRunAction`,
//! `WorkflowRunActionRepetitionDefinition`), built from stored documents.
//!
//! Inputs and outputs are not inline in these shapes: the runtime gives `inputsLink` /
//! `outputsLink` content links that clients fetch. Ours point back at this API
//! (`.../contents/inputs`), so tooling that follows links works unchanged.

use serde_json::{Map, Value, json};

use super::{StoredAction, StoredRun};

/// A content link to `uri` for `content`.
fn link(uri: String, content: &Value) -> Value {
    json!({
        "uri": uri,
        "contentVersion": "1.0.0.0",
        "contentSize": content.to_string().len(),
    })
}

fn copy(from: &Value, to: &mut Map<String, Value>, keys: &[&str]) {
    for k in keys {
        if let Some(v) = from.get(*k) {
            to.insert((*k).to_string(), v.clone());
        }
    }
}

/// `WorkflowRun`: `{id, name, type, properties}`. `base` is the workflow's management URL
/// (`https://host/runtime/webhooks/workflow/api/management/workflows/{wf}`).
pub fn run_resource(run: &StoredRun, base: &str) -> Value {
    let d = &run.document;
    let mut p = Map::new();
    copy(
        d,
        &mut p,
        &[
            "startTime",
            "endTime",
            "status",
            "code",
            "error",
            "correlationId",
            "correlation",
        ],
    );
    if let Some(s) = d.get("startTime") {
        p.insert("waitEndTime".into(), s.clone());
    }
    p.insert(
        "workflow".into(),
        json!({
            "id": format!("/workflows/{}/versions/{}", run.workflow, version_of(d)),
            "name": version_of(d),
            "type": "workflows/versions",
        }),
    );
    if let Some(t) = d.get("trigger") {
        let mut tp = Map::new();
        copy(
            t,
            &mut tp,
            &[
                "name",
                "startTime",
                "endTime",
                "scheduledTime",
                "originHistoryName",
                "code",
                "status",
                "error",
                "trackedProperties",
            ],
        );
        tp.insert(
            "correlation".into(),
            d.get("correlation").cloned().unwrap_or(Value::Null),
        );
        let run_base = format!("{base}/runs/{}", run.run_id);
        if let Some(i) = t.get("inputs") {
            tp.insert(
                "inputsLink".into(),
                link(format!("{run_base}/contents/triggerInputs"), i),
            );
        }
        if let Some(o) = t.get("outputs") {
            tp.insert(
                "outputsLink".into(),
                link(format!("{run_base}/contents/triggerOutputs"), o),
            );
        }
        p.insert("trigger".into(), Value::Object(tp));
    }
    p.insert(
        "outputs".into(),
        d.get("outputs").cloned().unwrap_or_else(|| json!({})),
    );
    json!({
        "properties": p,
        "id": format!("/workflows/{}/runs/{}", run.workflow, run.run_id),
        "name": run.run_id,
        "type": "workflows/runs",
    })
}

fn version_of(d: &Value) -> String {
    d.get("workflowVersion")
        .and_then(Value::as_str)
        .unwrap_or("08585000000000000000")
        .to_string()
}

fn action_properties(d: &Value, content_base: &str) -> Map<String, Value> {
    let mut p = Map::new();
    copy(
        d,
        &mut p,
        &[
            "startTime",
            "endTime",
            "status",
            "code",
            "error",
            "trackedProperties",
            "retryHistory",
            "authenticationSteps",
            "repetitionIndexes",
            "repetitionCount",
        ],
    );
    p.insert(
        "correlation".into(),
        json!({
            "actionTrackingId": d.get("trackingId").cloned().unwrap_or(Value::Null),
            "clientTrackingId": d.get("clientTrackingId").cloned().unwrap_or(Value::Null),
        }),
    );
    if let Some(i) = d.get("inputs") {
        p.insert(
            "inputsLink".into(),
            link(format!("{content_base}/contents/inputs"), i),
        );
    }
    if let Some(o) = d.get("outputs") {
        p.insert(
            "outputsLink".into(),
            link(format!("{content_base}/contents/outputs"), o),
        );
    }
    if d.get("secureInputs").and_then(Value::as_bool) == Some(true) {
        p.insert("isInputsSecured".into(), json!(true));
    }
    if d.get("secureOutputs").and_then(Value::as_bool) == Some(true) {
        p.insert("isOutputsSecured".into(), json!(true));
    }
    p
}

/// `WorkflowRunAction` for an action's summary document.
pub fn action_resource(workflow: &str, run_id: &str, action: &StoredAction, base: &str) -> Value {
    let content_base = format!("{base}/runs/{run_id}/actions/{}", action.name);
    json!({
        "properties": action_properties(&action.document, &content_base),
        "id": format!("/workflows/{workflow}/runs/{run_id}/actions/{}", action.name),
        "name": action.name,
        "type": "workflows/runs/actions",
    })
}

/// `WorkflowRunActionRepetitionDefinition` for one repetition.
pub fn repetition_resource(
    workflow: &str,
    run_id: &str,
    action: &StoredAction,
    base: &str,
) -> Value {
    let content_base = format!(
        "{base}/runs/{run_id}/actions/{}/repetitions/{}",
        action.name, action.repetition
    );
    json!({
        "properties": action_properties(&action.document, &content_base),
        "id": format!("/workflows/{workflow}/runs/{run_id}/actions/{}/repetitions/{}", action.name, action.repetition),
        "name": action.repetition,
        "type": "workflows/runs/actions/repetitions",
    })
}

/// One entry per action of the run: its own record, or for an action that only ran inside
/// loops, its latest repetition with `repetitionCount` set to the number of repetitions.
pub fn action_summaries(actions: &[StoredAction]) -> Vec<StoredAction> {
    let mut order: Vec<String> = Vec::new();
    let mut by_name: std::collections::HashMap<
        String,
        (Option<StoredAction>, Option<StoredAction>, usize),
    > = std::collections::HashMap::new();
    for a in actions {
        let key = a.name.to_ascii_lowercase();
        let entry = by_name.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (None, None, 0)
        });
        if a.repetition.is_empty() {
            entry.0 = Some(a.clone());
        } else {
            entry.1 = Some(a.clone());
            entry.2 += 1;
        }
    }
    order
        .into_iter()
        .filter_map(|k| {
            let (own, last_rep, count) = by_name.remove(&k)?;
            match own {
                Some(a) => Some(a),
                None => {
                    let mut a = last_rep?;
                    if let Value::Object(m) = &mut a.document {
                        m.remove("repetitionIndexes");
                        m.insert("repetitionCount".into(), json!(count));
                    }
                    a.repetition = String::new();
                    Some(a)
                }
            }
        })
        .collect()
}

/// Which content of a record a `contents/...` link names.
pub fn content<'a>(document: &'a Value, which: &str) -> Option<&'a Value> {
    match which.to_ascii_lowercase().as_str() {
        "inputs" => document.get("inputs"),
        "outputs" => document.get("outputs"),
        "triggerinputs" => document.get("trigger")?.get("inputs"),
        "triggeroutputs" => document.get("trigger")?.get("outputs"),
        _ => None,
    }
}
