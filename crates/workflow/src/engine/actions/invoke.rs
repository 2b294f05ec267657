//! Actions that talk to the outside of the run: Response (answers the waiting Request
//! caller), Wait (Delay / Delay until) and Workflow (calls a child workflow).

use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::definition::{Action, TriggerKind, field_ci, lenient_u16, lenient_u64};
use crate::engine::TriggerRequest;
use crate::engine::outcome::{self, Outcome};
use crate::engine::run::{ResponseMessage, RunState, lock};
use crate::status::Status;
use crate::time::parse_time;

/// Turns a body value into bytes and a default content type, as Response and Http do: strings
/// as text, content envelopes decoded, everything else as JSON.
pub(crate) fn encode_body(body: &Value) -> Result<(bytes::Bytes, Option<String>), String> {
    match body {
        Value::Null => Ok((bytes::Bytes::new(), None)),
        Value::String(s) => Ok((
            bytes::Bytes::from(s.clone()),
            Some("text/plain; charset=utf-8".into()),
        )),
        Value::Object(o) if field_ci(body, "$content").is_some() => {
            let content = field_ci(body, "$content")
                .and_then(Value::as_str)
                .unwrap_or("");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(content)
                .map_err(|e| format!("the '$content' of the body is not base64: {e}"))?;
            let ct = o
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("$content-type"))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_string);
            Ok((bytes::Bytes::from(bytes), ct))
        }
        other => Ok((
            bytes::Bytes::from(other.to_string()),
            Some("application/json; charset=utf-8".into()),
        )),
    }
}

/// Header objects as (name, text) pairs.
pub(crate) fn header_pairs(headers: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Object(map)) = headers else {
        return Vec::new();
    };
    map.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => crate::engine::actions::data::text_of(other),
            };
            (k.clone(), text)
        })
        .collect()
}

pub(crate) fn response(run: &RunState, action: &Action, inputs: Value) -> Outcome {
    let status = match field_ci(&inputs, "statusCode") {
        None => 200,
        Some(v) => match lenient_u16(v) {
            Some(s) if (200..600).contains(&s) && !(300..400).contains(&s) => s,
            _ => {
                return Outcome::bad_request(
                    "InvalidTemplate",
                    format!("The response status code {v} of action '{}' is not valid; use a 2xx, 4xx or 5xx code.", action.name),
                )
                .with_inputs(inputs);
            }
        },
    };
    let mut headers = header_pairs(field_ci(&inputs, "headers"));
    let (body, content_type) = match encode_body(field_ci(&inputs, "body").unwrap_or(&Value::Null))
    {
        Ok(b) => b,
        Err(m) => return Outcome::bad_request("InvalidTemplate", m).with_inputs(inputs),
    };
    if let Some(ct) = content_type
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), ct));
    }
    let sender = lock(&run.response).take();
    let Some(sender) = sender else {
        if !run.response_expected {
            return Outcome {
                inputs: Some(inputs),
                error: Some(outcome::error(
                    "ActionResponseSkipped",
                    format!(
                        "The execution of template action '{}' is skipped: the client application is not waiting for a response from service.",
                        action.name
                    ),
                )),
                ..Outcome::new(Status::Skipped, "ActionResponseSkipped")
            };
        }
        return Outcome::failed(
            "ActionResponseAlreadySent",
            "ActionResponseAlreadySent",
            format!("The execution of template action '{}' failed: a response was already sent for this request.", action.name),
        )
        .with_inputs(inputs);
    };
    if sender
        .send(ResponseMessage {
            status,
            headers,
            body,
        })
        .is_err()
    {
        return Outcome::failed(
            "ActionResponseTimedOut",
            "ActionResponseTimedOut",
            format!("The execution of template action '{}' failed: the client application timed out waiting for a response from service. This means that workflow took longer to respond than the alloted timeout value. The connection maintained between the client application and service will be closed and client application can get an HTTP status code 504 Gateway Timeout.", action.name),
        )
        .with_inputs(inputs);
    }
    run.response_sent.store(true, Ordering::SeqCst);
    Outcome::ok(Some(inputs), None)
}

fn unit_seconds(unit: &str) -> Option<u64> {
    Some(match unit.trim().to_ascii_lowercase().as_str() {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        "week" => 604_800,
        "month" => 2_592_000,
        _ => return None,
    })
}

pub(crate) async fn wait(run: &RunState, action: &Action, inputs: Value) -> Outcome {
    let delay = if let Some(interval) = field_ci(&inputs, "interval") {
        let count = field_ci(interval, "count").and_then(lenient_u64);
        let unit = field_ci(interval, "unit")
            .and_then(Value::as_str)
            .and_then(unit_seconds);
        match (count, unit) {
            (Some(c), Some(u)) => Duration::from_secs(c.saturating_mul(u)),
            _ => {
                return Outcome::bad_request(
                    "InvalidTemplate",
                    format!("The Wait action '{}' needs 'interval.count' (an integer) and 'interval.unit' (Second, Minute, Hour, Day, Week or Month).", action.name),
                )
                .with_inputs(inputs);
            }
        }
    } else if let Some(until) = field_ci(&inputs, "until") {
        let at = field_ci(until, "timestamp")
            .and_then(Value::as_str)
            .and_then(parse_time);
        let Some(at) = at else {
            return Outcome::bad_request(
                "InvalidTemplate",
                format!(
                    "The Wait action '{}' needs 'until.timestamp' as an ISO 8601 date and time.",
                    action.name
                ),
            )
            .with_inputs(inputs);
        };
        at.duration_since(run.now()).unwrap_or_default()
    } else {
        return Outcome::bad_request(
            "InvalidTemplate",
            format!(
                "The Wait action '{}' needs 'interval' or 'until'.",
                action.name
            ),
        )
        .with_inputs(inputs);
    };
    tokio::time::sleep(delay).await;
    Outcome::ok(Some(inputs), None)
}

/// Reads a response body as the runtime exposes it: JSON when the content is JSON, else text,
/// else a content envelope.
pub(crate) fn decode_body(bytes: &[u8], content_type: Option<&str>) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if (ct.contains("json") || ct.is_empty())
        && let Ok(v) = serde_json::from_slice::<Value>(bytes)
    {
        return Some(v);
    }
    let textual = ct.is_empty()
        || ct.starts_with("text/")
        || ct.contains("xml")
        || ct.contains("json")
        || ct.contains("javascript")
        || ct.contains("x-www-form-urlencoded");
    match std::str::from_utf8(bytes) {
        Ok(s) if textual => Some(Value::String(s.to_string())),
        _ => Some(json!({
            "$content-type": if ct.is_empty() { "application/octet-stream".to_string() } else { content_type.unwrap_or_default().to_string() },
            "$content": base64::engine::general_purpose::STANDARD.encode(bytes),
        })),
    }
}

pub(crate) async fn child_workflow(run: &RunState, action: &Action, inputs: Value) -> Outcome {
    let host = field_ci(&inputs, "host");
    let id = host
        .and_then(|h| field_ci(h, "workflow"))
        .and_then(|w| field_ci(w, "id"))
        .and_then(Value::as_str);
    let Some(id) = id else {
        return Outcome::bad_request(
            "InvalidTemplate",
            format!(
                "The Workflow action '{}' needs 'inputs.host.workflow.id'.",
                action.name
            ),
        )
        .with_inputs(inputs);
    };
    // Standard uses the workflow's name; Consumption a resource id ending in /workflows/<name>.
    let name = id
        .rsplit_once("/workflows/")
        .map_or(id, |(_, n)| n)
        .trim_matches('/')
        .to_string();
    let engine = run.engine.clone();
    let Some(child) = engine.workflow(&name) else {
        return Outcome::bad_request(
            "WorkflowNotFound",
            format!(
                "The workflow '{name}' called by action '{}' could not be found.",
                action.name
            ),
        )
        .with_inputs(inputs);
    };
    let trigger = host
        .and_then(|h| field_ci(h, "triggerName"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| child.definition.triggers.first().map(|t| t.name.clone()))
        .unwrap_or_default();
    let is_request = child
        .definition
        .trigger(&trigger)
        .is_some_and(|t| matches!(t.kind, TriggerKind::Request { .. }));
    if !is_request {
        return Outcome::bad_request(
            "WorkflowTriggerIsNotRequest",
            format!("The workflow '{name}' cannot be called by action '{}': its trigger '{trigger}' is not a Request trigger.", action.name),
        )
        .with_inputs(inputs);
    }
    if run.depth + 1 > run.engine.config.limits.max_child_depth {
        return Outcome::bad_request(
            "WorkflowNestingLimitExceeded",
            format!(
                "The Workflow action '{}' would nest child workflows deeper than {} levels.",
                action.name, run.engine.config.limits.max_child_depth
            ),
        )
        .with_inputs(inputs);
    }
    let mut headers = header_pairs(field_ci(&inputs, "headers"));
    let body = field_ci(&inputs, "body").cloned();
    if body.as_ref().is_some_and(|b| !b.is_string())
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    let request = TriggerRequest {
        method: "POST".into(),
        headers,
        body,
        wait_for_response: true,
        ..TriggerRequest::default()
    };
    let handle = match engine
        .start_nested(&name, &trigger, request, run.depth + 1)
        .await
    {
        Ok(h) => h,
        Err(e) => return Outcome::bad_request(e.code(), e.to_string()).with_inputs(inputs),
    };
    let run_header = json!({"x-ms-workflow-run-id": handle.run_id});
    let Some(rx) = handle.response else {
        return Outcome {
            inputs: Some(inputs),
            outputs: Some(json!({"statusCode": 202, "headers": run_header})),
            ..Outcome::new(Status::Succeeded, "Accepted")
        };
    };
    match rx.await {
        Ok(msg) => {
            let mut h = Map::new();
            for (k, v) in &msg.headers {
                h.insert(k.clone(), json!(v));
            }
            h.insert("x-ms-workflow-run-id".into(), json!(handle.run_id));
            let ct = msg
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.as_str());
            let mut outputs = json!({"statusCode": msg.status, "headers": h});
            if let Some(b) = decode_body(&msg.body, ct) {
                outputs["body"] = b;
            }
            let status = if msg.status >= 400 {
                Status::Failed
            } else {
                Status::Succeeded
            };
            Outcome {
                inputs: Some(inputs),
                outputs: Some(outputs),
                ..Outcome::new(status, &outcome::http_status_name(msg.status))
            }
        }
        Err(_) => Outcome::failed(
            "BadGateway",
            "NoResponse",
            format!(
                "The child workflow '{name}' run '{}' ended without sending a response.",
                handle.run_id
            ),
        )
        .with_inputs(inputs),
    }
}
