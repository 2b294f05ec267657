//! Run history: what the engine records per run and per action execution, how it is stored
//! (one opaque JSON document per record, see [`skybridge_store::WorkflowRunStore`]) and how it
//! is shown ([`view`]: the runtime's management API shapes).
//!
//! Secure inputs and outputs (`runtimeConfiguration.secureData`) are never stored: the record
//! keeps only the fact that they were hidden, as the runtime shows "content not shown due to
//! security configuration". Secrets in Http authentication are replaced by `*sanitized*`
//! before they are recorded.

mod memory;
pub mod view;

pub use memory::MemoryRunStore;

use std::time::SystemTime;

use serde_json::{Map, Value, json};
use skybridge_store::{WorkflowActionRecord, WorkflowRunRecord};

use crate::status::Status;
use crate::time::format_time;

/// One execution of one action (per repetition inside loops).
#[derive(Debug, Clone)]
pub struct ActionExecution {
    /// Action name.
    pub name: String,
    /// Action type as written.
    pub type_name: String,
    /// `(loop name, index)` from the outermost loop; empty outside loops.
    pub repetition: Vec<(String, usize)>,
    /// Final status.
    pub status: Status,
    /// Code (`OK`, `NotSpecified`, `ActionFailed`, HTTP status names...).
    pub code: String,
    /// `{code, message}`.
    pub error: Option<Value>,
    /// Start.
    pub start: SystemTime,
    /// End.
    pub end: SystemTime,
    /// Inputs (None when absent or secured).
    pub inputs: Option<Value>,
    /// Outputs (None when absent or secured).
    pub outputs: Option<Value>,
    /// Inputs were hidden by `secureData`.
    pub secure_inputs: bool,
    /// Outputs were hidden by `secureData`.
    pub secure_outputs: bool,
    /// Evaluated `trackedProperties`.
    pub tracked_properties: Option<Value>,
    /// `retryHistory` entries.
    pub retry_history: Vec<Value>,
    /// Skybridge extension: how an Http action got its token, step by step, without any token
    /// value (which identity, which vault key, which tenant).
    pub authentication_steps: Vec<Value>,
    /// Iterations of a Foreach or Until.
    pub iterations: Option<usize>,
    /// `trackingId`.
    pub tracking_id: String,
}

impl ActionExecution {
    /// The repetition name (`000003`, `000001-000002`), "" outside loops.
    pub fn repetition_name(&self) -> String {
        repetition_name(&self.repetition)
    }

    /// The stored JSON document.
    pub fn document(&self, client_tracking_id: &str) -> Value {
        let mut d = Map::new();
        d.insert("name".into(), json!(self.name));
        d.insert("type".into(), json!(self.type_name));
        d.insert("status".into(), json!(self.status.as_str()));
        d.insert("code".into(), json!(self.code));
        if let Some(e) = &self.error {
            d.insert("error".into(), e.clone());
        }
        d.insert("startTime".into(), json!(format_time(self.start)));
        d.insert("endTime".into(), json!(format_time(self.end)));
        d.insert("trackingId".into(), json!(self.tracking_id));
        d.insert("clientTrackingId".into(), json!(client_tracking_id));
        if let Some(i) = &self.inputs {
            d.insert("inputs".into(), i.clone());
        }
        if let Some(o) = &self.outputs {
            d.insert("outputs".into(), o.clone());
        }
        if self.secure_inputs {
            d.insert("secureInputs".into(), json!(true));
        }
        if self.secure_outputs {
            d.insert("secureOutputs".into(), json!(true));
        }
        if let Some(t) = &self.tracked_properties {
            d.insert("trackedProperties".into(), t.clone());
        }
        if !self.retry_history.is_empty() {
            d.insert("retryHistory".into(), json!(self.retry_history));
        }
        if !self.authentication_steps.is_empty() {
            d.insert(
                "authenticationSteps".into(),
                json!(self.authentication_steps),
            );
        }
        if !self.repetition.is_empty() {
            d.insert(
                "repetitionIndexes".into(),
                Value::Array(
                    self.repetition
                        .iter()
                        .map(|(s, i)| json!({"scopeName": s, "itemIndex": i}))
                        .collect(),
                ),
            );
        }
        if let Some(n) = self.iterations {
            d.insert("repetitionCount".into(), json!(n));
        }
        Value::Object(d)
    }
}

/// `000003`, `000001-000002`.
pub fn repetition_name(rep: &[(String, usize)]) -> String {
    rep.iter()
        .map(|(_, i)| format!("{i:06}"))
        .collect::<Vec<_>>()
        .join("-")
}

/// A finished (or running) run, as the engine reports it.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// Workflow name.
    pub workflow: String,
    /// Run id.
    pub run_id: String,
    /// Status.
    pub status: Status,
    /// `Terminated`, `ActionFailed`, ...
    pub code: Option<String>,
    /// `{code, message}`.
    pub error: Option<Value>,
    /// Start.
    pub start: SystemTime,
    /// End (None while running).
    pub end: Option<SystemTime>,
    /// Correlation: the client tracking id.
    pub client_tracking_id: String,
    /// Correlation id.
    pub correlation_id: String,
    /// The trigger's record: `{name, inputs?, outputs?, startTime, endTime, status, code,
    /// scheduledTime?, secureInputs?, secureOutputs?}`.
    pub trigger: Value,
    /// Evaluated run outputs: `{name: {type, value}}`.
    pub outputs: Value,
}

impl RunSummary {
    /// The stored JSON document.
    pub fn document(&self) -> Value {
        let mut d = Map::new();
        d.insert("status".into(), json!(self.status.as_str()));
        if let Some(c) = &self.code {
            d.insert("code".into(), json!(c));
        }
        if let Some(e) = &self.error {
            d.insert("error".into(), e.clone());
        }
        d.insert("startTime".into(), json!(format_time(self.start)));
        if let Some(end) = self.end {
            d.insert("endTime".into(), json!(format_time(end)));
        }
        d.insert("correlationId".into(), json!(self.correlation_id));
        d.insert(
            "correlation".into(),
            json!({"clientTrackingId": self.client_tracking_id}),
        );
        d.insert("trigger".into(), self.trigger.clone());
        d.insert("outputs".into(), self.outputs.clone());
        Value::Object(d)
    }

    /// The store record.
    pub fn to_record(&self) -> WorkflowRunRecord {
        WorkflowRunRecord {
            workflow: self.workflow.clone(),
            run_id: self.run_id.clone(),
            status: self.status.as_str().to_string(),
            start_time: format_time(self.start),
            end_time: self.end.map(format_time),
            document: self.document().to_string(),
        }
    }
}

/// Store records of a run's action executions, in completion order.
pub fn action_records(
    executions: &[ActionExecution],
    client_tracking_id: &str,
) -> Vec<WorkflowActionRecord> {
    executions
        .iter()
        .enumerate()
        .map(|(seq, a)| WorkflowActionRecord {
            action: a.name.clone(),
            repetition: a.repetition_name(),
            seq: i64::try_from(seq).unwrap_or(i64::MAX),
            status: a.status.as_str().to_string(),
            start_time: Some(format_time(a.start)),
            end_time: Some(format_time(a.end)),
            document: a.document(client_tracking_id).to_string(),
        })
        .collect()
}

/// A stored record parsed back: the run document and its action documents.
#[derive(Debug, Clone)]
pub struct StoredRun {
    /// Workflow.
    pub workflow: String,
    /// Run id.
    pub run_id: String,
    /// The run document.
    pub document: Value,
}

/// A stored action execution.
#[derive(Debug, Clone)]
pub struct StoredAction {
    /// Action name.
    pub name: String,
    /// Repetition name ("" outside loops).
    pub repetition: String,
    /// The document.
    pub document: Value,
}

impl StoredRun {
    /// Parses a store record (a corrupt document becomes `{}` rather than an error: history is
    /// for reading).
    pub fn from_record(r: &WorkflowRunRecord) -> Self {
        Self {
            workflow: r.workflow.clone(),
            run_id: r.run_id.clone(),
            document: serde_json::from_str(&r.document)
                .unwrap_or_else(|_| json!({"status": r.status})),
        }
    }
}

impl StoredAction {
    /// Parses a store record.
    pub fn from_record(r: &WorkflowActionRecord) -> Self {
        Self {
            name: r.action.clone(),
            repetition: r.repetition.clone(),
            document: serde_json::from_str(&r.document)
                .unwrap_or_else(|_| json!({"status": r.status})),
        }
    }
}

/// Replaces credentials in an Http action's recorded `authentication` with `*sanitized*`, as
/// the runtime does in run history.
pub fn sanitize_authentication(inputs: &mut Value) {
    let Some(auth) = inputs
        .as_object_mut()
        .and_then(|o| {
            o.iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case("authentication"))
        })
        .map(|(_, v)| v)
    else {
        return;
    };
    if let Value::Object(map) = auth {
        for (k, v) in map.iter_mut() {
            let secret = [
                "password",
                "value",
                "secret",
                "pfx",
                "clientsecret",
                "parameter",
            ]
            .iter()
            .any(|s| k.eq_ignore_ascii_case(s));
            if secret && !v.is_null() {
                *v = json!("*sanitized*");
            }
        }
    } else if auth.is_string() {
        *auth = json!("*sanitized*");
    }
}

/// Replaces every occurrence of a secret (the values of `securestring` parameters) in recorded
/// content with `*sanitized*`, so secure parameters never reach run history.
pub fn redact_secrets(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => {
            for secret in secrets {
                if s.contains(secret.as_str()) {
                    *s = s.replace(secret.as_str(), "*sanitized*");
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_secrets(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| redact_secrets(v, secrets)),
        _ => {}
    }
}
