//! A run's life: start (trigger object, conditions, client tracking id, the Response channel,
//! the Running record), drive (the top-level container under the run timeout), and the end
//! (status, code and error, run outputs, persistence in one transaction).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::{Map, Value, json};
use tokio::sync::{oneshot, watch};

use super::run::{EvalCtx, Frame, RunState, lock};
use super::{EngineInner, RunHandle, TriggerRequest, actions, outcome, scheduler};
use crate::definition::{Trigger, TriggerKind, WorkflowKind};
use crate::error::WorkflowError;
use crate::history::{RunSummary, StoredAction, StoredRun, action_records};
use crate::status::Status;
use crate::time::format_time;

pub(super) fn live_key(workflow: &str, run_id: &str) -> String {
    format!("{}/{run_id}", workflow.to_ascii_lowercase())
}

/// A running run as history documents.
pub(super) fn live_snapshot(run: &RunState) -> (StoredRun, Vec<StoredAction>) {
    let summary = summary_of(run, Status::Running, None, None, None, json!({}));
    let actions = lock(&run.records)
        .iter()
        .map(|a| StoredAction {
            name: a.name.clone(),
            repetition: a.repetition_name(),
            document: a.document(&run.client_tracking_id),
        })
        .collect();
    (
        StoredRun {
            workflow: run.workflow.name.clone(),
            run_id: run.run_id.clone(),
            document: summary.document(),
        },
        actions,
    )
}

fn summary_of(
    run: &RunState,
    status: Status,
    code: Option<String>,
    error: Option<Value>,
    end: Option<SystemTime>,
    outputs: Value,
) -> RunSummary {
    let mut outputs = outputs;
    crate::history::redact_secrets(&mut outputs, &run.secrets);
    RunSummary {
        workflow: run.workflow.name.clone(),
        run_id: run.run_id.clone(),
        status,
        code,
        error,
        start: run.start,
        end,
        client_tracking_id: run.client_tracking_id.clone(),
        correlation_id: run.correlation_id.clone(),
        trigger: trigger_record(run),
        outputs,
    }
}

/// The trigger's history record, with secured parts left out.
fn trigger_record(run: &RunState) -> Value {
    let mut t = run.trigger.as_object().cloned().unwrap_or_default();
    let trig = run
        .trigger
        .get("name")
        .and_then(Value::as_str)
        .and_then(|n| run.workflow.definition.trigger(n));
    if let Some(trig) = trig {
        if trig.secure_inputs && t.remove("inputs").is_some() {
            t.insert("secureInputs".into(), json!(true));
        }
        if trig.secure_outputs && t.remove("outputs").is_some() {
            t.insert("secureOutputs".into(), json!(true));
        }
    }
    t.remove("trackingId");
    t.remove("clientTrackingId");
    Value::Object(t)
}

impl EngineInner {
    pub(crate) async fn start_nested(
        self: &Arc<Self>,
        workflow: &str,
        trigger_name: &str,
        request: TriggerRequest,
        depth: usize,
    ) -> Result<RunHandle, WorkflowError> {
        let wf = self
            .workflow(workflow)
            .ok_or_else(|| WorkflowError::WorkflowNotFound(workflow.into()))?;
        let trigger = wf
            .definition
            .trigger(trigger_name)
            .ok_or_else(|| WorkflowError::TriggerNotFound {
                workflow: wf.name.clone(),
                trigger: trigger_name.into(),
            })?
            .clone();
        let run_id = self.new_run_id();
        let now = self.clock.now();
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let trigger_object = trigger_object(&trigger, &request, now, &run_id, &correlation_id);
        let expects_response = request.wait_for_response && wf.definition.has_response;
        let (response_tx, response_rx) = if expects_response {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let header_tracking = request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-ms-client-tracking-id"))
            .map(|(_, v)| v.clone());
        let (cancel_tx, _) = watch::channel(false);
        let mut state = RunState {
            engine: self.clone(),
            workflow: wf.clone(),
            run_id: run_id.clone(),
            correlation_id: correlation_id.clone(),
            client_tracking_id: header_tracking.clone().unwrap_or_else(|| run_id.clone()),
            start: now,
            trigger: trigger_object,
            variables: Mutex::new(HashMap::new()),
            records: Mutex::new(Vec::new()),
            cancel_tx,
            terminated: Mutex::new(None),
            response: Mutex::new(response_tx),
            response_expected: expects_response,
            response_sent: AtomicBool::new(false),
            executions: AtomicU64::new(0),
            depth,
            secrets: wf.secret_values(),
        };
        // Trigger conditions and a clientTrackingId template see trigger() only.
        {
            let root = Frame::root();
            let ctx = EvalCtx::new(&state, &root);
            for cond in &trigger.conditions {
                match skybridge_wdl::evaluate_template(cond, &ctx) {
                    Ok(Value::Bool(true)) => {}
                    Ok(_) => {
                        return Err(WorkflowError::BadRequest {
                            code: "TriggerConditionNotMet".into(),
                            message: format!(
                                "The trigger '{}' was skipped: its conditions were not met.",
                                trigger.name
                            ),
                        });
                    }
                    Err(e) => {
                        return Err(WorkflowError::BadRequest {
                            code: "InvalidTemplate".into(),
                            message: format!(
                                "Unable to process template language expressions in trigger '{}' conditions: '{e}'.",
                                trigger.name
                            ),
                        });
                    }
                }
            }
            if header_tracking.is_none()
                && let Some(template) = &trigger.client_tracking_id
                && let Ok(v) = skybridge_wdl::evaluate_template(template, &ctx)
            {
                let text = actions::text_of(&v);
                if !text.is_empty() {
                    state.client_tracking_id = text;
                }
            }
        }
        if let Some(t) = state.trigger.as_object_mut() {
            t.insert("clientTrackingId".into(), json!(state.client_tracking_id));
        }
        let run = Arc::new(state);
        lock(&self.live).insert(live_key(&wf.name, &run_id), run.clone());
        if wf.kind == WorkflowKind::Stateful
            && let Some(store) = &self.store
        {
            let summary = summary_of(&run, Status::Running, None, None, None, json!({}));
            if let Err(e) = store.put_workflow_run(&summary.to_record()).await {
                tracing::warn!(error = %e, run = %run_id, "recording the run start failed");
            }
        }
        let (done_tx, done_rx) = oneshot::channel();
        let client_tracking_id = run.client_tracking_id.clone();
        let engine = self.clone();
        tokio::spawn(async move {
            let summary = engine.drive(run).await;
            let _ = done_tx.send(summary);
        });
        Ok(RunHandle {
            run_id,
            response: response_rx,
            completion: done_rx,
            client_tracking_id,
            correlation_id,
        })
    }

    /// Runs the top-level container and records the outcome.
    async fn drive(self: Arc<Self>, run: Arc<RunState>) -> RunSummary {
        let root = Frame::root();
        let limit = match run.workflow.kind {
            WorkflowKind::Stateful => self.config.stateful_run_timeout,
            WorkflowKind::Stateless => self.config.stateless_run_timeout,
        };
        let body = scheduler::run_container(
            run.clone(),
            root.clone(),
            run.workflow.definition.actions.clone(),
        );
        let status = match tokio::time::timeout(limit, body).await {
            Ok(s) => s,
            Err(_) => {
                run.cancel();
                Status::TimedOut
            }
        };
        let termination = lock(&run.terminated).clone();
        let (status, code, error) = match (termination, status) {
            (Some(t), _) => (t.status, Some("Terminated".to_string()), t.error),
            (None, Status::Failed) => (
                Status::Failed,
                Some("ActionFailed".into()),
                Some(outcome::error("ActionFailed", outcome::ACTION_FAILED)),
            ),
            (None, Status::TimedOut) => (
                Status::TimedOut,
                Some("RunTimedOut".into()),
                Some(outcome::error(
                    "RunTimedOut",
                    "The run exceeded its maximum duration.",
                )),
            ),
            (None, s) => (s, None, None),
        };
        let outputs = run_outputs(&run, &root);
        // Nobody answered a waiting caller: dropping the sender tells the HTTP edge.
        lock(&run.response).take();
        let summary = summary_of(&run, status, code, error, Some(run.now()), outputs);
        if run.workflow.kind == WorkflowKind::Stateful
            && let Some(store) = &self.store
        {
            let records = action_records(&lock(&run.records), &run.client_tracking_id);
            if let Err(e) = store
                .put_workflow_run_with_actions(&summary.to_record(), &records)
                .await
            {
                tracing::warn!(error = %e, run = %run.run_id, "recording the run history failed");
            }
        }
        lock(&self.live).remove(&live_key(&run.workflow.name, &run.run_id));
        summary
    }
}

/// Evaluates the definition's `outputs` at the end of the run.
fn run_outputs(run: &RunState, root: &Frame) -> Value {
    let mut out = Map::new();
    let ctx = EvalCtx::new(run, root);
    for o in &run.workflow.definition.outputs {
        let entry = match skybridge_wdl::evaluate_template(&o.value, &ctx) {
            Ok(v) => json!({"type": o.ty, "value": v}),
            Err(e) => {
                json!({"type": o.ty, "error": {"code": "InvalidTemplate", "message": e.to_string()}})
            }
        };
        out.insert(o.name.clone(), entry);
    }
    Value::Object(out)
}

/// The trigger's result object (`trigger()`).
fn trigger_object(
    trigger: &Trigger,
    request: &TriggerRequest,
    now: SystemTime,
    run_id: &str,
    correlation_id: &str,
) -> Value {
    let mut t = Map::new();
    t.insert("name".into(), json!(trigger.name));
    let mut outputs = Map::new();
    match &trigger.kind {
        TriggerKind::Request { .. } => {
            if !trigger.inputs.is_null() {
                t.insert("inputs".into(), trigger.inputs.clone());
            }
            let mut headers = Map::new();
            for (k, v) in &request.headers {
                headers.insert(k.clone(), json!(v));
            }
            outputs.insert("headers".into(), Value::Object(headers));
            if !request.queries.is_empty() {
                let q: Map<String, Value> = request
                    .queries
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect();
                outputs.insert("queries".into(), Value::Object(q));
            }
            if !request.relative_path_parameters.is_empty() {
                let p: Map<String, Value> = request
                    .relative_path_parameters
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect();
                outputs.insert("relativePathParameters".into(), Value::Object(p));
            }
            if let Some(b) = &request.body {
                outputs.insert("body".into(), b.clone());
            }
            t.insert("outputs".into(), Value::Object(outputs));
        }
        TriggerKind::Recurrence(_) => {
            if let Some(b) = &request.body {
                outputs.insert("body".into(), b.clone());
                t.insert("outputs".into(), Value::Object(outputs));
            }
        }
    }
    if let Some(s) = request.scheduled_time {
        t.insert("scheduledTime".into(), json!(format_time(s)));
    }
    t.insert("startTime".into(), json!(format_time(now)));
    t.insert("endTime".into(), json!(format_time(now)));
    t.insert("trackingId".into(), json!(correlation_id));
    t.insert("clientTrackingId".into(), json!(run_id));
    t.insert("originHistoryName".into(), json!(run_id));
    t.insert("code".into(), json!("OK"));
    t.insert("status".into(), json!("Succeeded"));
    Value::Object(t)
}
