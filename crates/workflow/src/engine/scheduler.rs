//! The graph scheduler: runs a container's actions as their `runAfter` predecessors finish,
//! concurrently (each action a tokio task), skipping those whose conditions fail, and resolves
//! the container's status. Also the per-action wrapper: budget, static results,
//! `limit.timeout`, cancellation, result objects, trackedProperties and history records.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::task::JoinSet;

use super::actions;
use super::outcome::{self, Outcome};
use super::run::{EvalCtx, Frame, RunState};
use crate::definition::{Action, Container};
use crate::history::ActionExecution;
use crate::status::{Status, resolve_container};
use crate::time::{format_iso_duration, format_time, parse_iso_duration};

/// A boxed, sendable future (containers recurse through control actions).
pub(crate) type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Runs every action of `container` in `frame` and returns the container's status.
pub(crate) fn run_container(
    run: Arc<RunState>,
    frame: Arc<Frame>,
    container: Arc<Container>,
) -> BoxFut<Status> {
    Box::pin(async move {
        let n = container.actions.len();
        let mut status: Vec<Option<Status>> = vec![None; n];
        let mut remaining: Vec<usize> = container.preds.iter().map(Vec::len).collect();
        let mut ready: Vec<usize> = (0..n).rev().filter(|&i| remaining[i] == 0).collect();
        let mut tasks: JoinSet<(usize, Status)> = JoinSet::new();
        loop {
            while let Some(i) = ready.pop() {
                if run.is_cancelled() {
                    ready.clear();
                    break;
                }
                let action = container.actions[i].clone();
                match unmet_condition(&container, i, &status) {
                    Some((pred, expected, actual)) => {
                        let o = outcome::skipped_by_run_after(
                            &action.name,
                            &container.actions[pred].name,
                            expected,
                            actual,
                        );
                        skip(&run, &frame, &action, o);
                        status[i] = Some(Status::Skipped);
                        for &s in &container.succs[i] {
                            remaining[s] -= 1;
                            if remaining[s] == 0 {
                                ready.push(s);
                            }
                        }
                    }
                    None => {
                        let (run, frame) = (run.clone(), frame.clone());
                        tasks.spawn(async move { (i, execute(run, frame, action).await) });
                    }
                }
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let (i, st) = match joined {
                Ok(pair) => pair,
                // A panicking action must not take the run down: it is reported as failed
                // (which slot it held is unknown, so its successors simply never run).
                Err(e) => {
                    tracing::error!(error = %e, run = %run.run_id, "an action task ended abnormally");
                    continue;
                }
            };
            status[i] = Some(st);
            for &s in &container.succs[i] {
                remaining[s] -= 1;
                if remaining[s] == 0 {
                    ready.push(s);
                }
            }
        }
        let preds = container.pred_indexes();
        if status.iter().any(Option::is_none) && !run.is_cancelled() {
            // Only a crashed action task leaves a gap outside cancellation.
            return Status::Failed;
        }
        resolve_container(&preds, &status)
    })
}

/// The first predecessor whose status the action does not accept.
fn unmet_condition<'a>(
    container: &'a Container,
    i: usize,
    status: &[Option<Status>],
) -> Option<(usize, &'a [Status], Status)> {
    container.preds[i].iter().find_map(|(j, accepted)| {
        let actual = status[*j].unwrap_or(Status::Skipped);
        (!accepted.contains(&actual)).then_some((*j, accepted.as_slice(), actual))
    })
}

/// The result object `actions('X')` returns.
fn result_object(
    run: &RunState,
    action: &Action,
    exec: &ActionExecution,
    inputs: Option<&Value>,
    outputs: Option<&Value>,
) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(action.name));
    if let Some(i) = inputs {
        m.insert("inputs".into(), i.clone());
    }
    if let Some(o) = outputs {
        m.insert("outputs".into(), o.clone());
    }
    m.insert("startTime".into(), json!(format_time(exec.start)));
    m.insert("endTime".into(), json!(format_time(exec.end)));
    m.insert("trackingId".into(), json!(exec.tracking_id));
    m.insert("clientTrackingId".into(), json!(run.client_tracking_id));
    m.insert("code".into(), json!(exec.code));
    m.insert("status".into(), json!(exec.status.as_str()));
    if let Some(e) = &exec.error {
        m.insert("error".into(), e.clone());
    }
    Value::Object(m)
}

/// Records an outcome for `action` in `frame` and in history.
pub(crate) fn finish(
    run: &RunState,
    frame: &Frame,
    action: &Action,
    o: Outcome,
    start: std::time::SystemTime,
) -> Status {
    let end = run.now();
    let mut exec = ActionExecution {
        name: action.name.clone(),
        type_name: action.type_name.clone(),
        repetition: frame.repetition.clone(),
        status: o.status,
        code: o.code,
        error: o.error,
        start,
        end,
        inputs: None,
        outputs: None,
        secure_inputs: action.secure_inputs && o.inputs.is_some(),
        secure_outputs: action.secure_outputs && o.outputs.is_some(),
        tracked_properties: None,
        retry_history: o.retry_history,
        authentication_steps: o.authentication_steps,
        iterations: o.iterations,
        tracking_id: run.engine.new_tracking_id(),
    };
    let result = result_object(run, action, &exec, o.inputs.as_ref(), o.outputs.as_ref());
    if let Some(tp) = &action.tracked_properties {
        let mut ctx = EvalCtx::new(run, frame);
        ctx.current = Some(result.clone());
        match skybridge_wdl::evaluate_template(tp, &ctx) {
            Ok(v) if v.to_string().len() <= 16_000 => exec.tracked_properties = Some(v),
            Ok(_) => {
                tracing::debug!(action = %action.name, "trackedProperties over 16,000 characters dropped")
            }
            // The runtime does not fail an action over its tracked properties.
            Err(e) => {
                tracing::debug!(action = %action.name, error = %e, "trackedProperties not evaluated")
            }
        }
    }
    frame.set_result(&action.name, result);
    if !action.secure_inputs {
        exec.inputs = o.inputs;
    }
    if !action.secure_outputs {
        exec.outputs = o.outputs;
    }
    let secrets = &run.secrets;
    if !secrets.is_empty() {
        for v in [
            &mut exec.inputs,
            &mut exec.outputs,
            &mut exec.tracked_properties,
        ]
        .into_iter()
        .flatten()
        {
            crate::history::redact_secrets(v, secrets);
        }
    }
    let status = exec.status;
    run.record(exec);
    status
}

/// Records `action` (and everything nested in it) as skipped.
pub(crate) fn skip(run: &RunState, frame: &Frame, action: &Action, o: Outcome) {
    let now = run.now();
    let code = o.code.clone();
    let status = o.status;
    finish(run, frame, action, o, now);
    skip_children(run, frame, action, status, &code);
}

/// Records every action nested in a control action that did not run them.
pub(crate) fn skip_children(
    run: &RunState,
    frame: &Frame,
    action: &Action,
    status: Status,
    code: &str,
) {
    for c in action.kind.children() {
        for inner in &c.actions {
            skip(
                run,
                frame,
                inner,
                outcome::skipped_by_parent(&inner.name, &action.name, status, code),
            );
        }
    }
}

/// Records every action of a branch that was not taken.
pub(crate) fn skip_branch(run: &RunState, frame: &Frame, container: &Container) {
    for a in &container.actions {
        skip(run, frame, a, outcome::skipped_by_branch(&a.name));
    }
}

/// The static result an action is mocked with.
fn static_outcome(run: &RunState, action: &Action, name: &str) -> Outcome {
    let def = crate::definition::get_ci(&run.workflow.definition.static_results, name)
        .cloned()
        .unwrap_or(Value::Null);
    let status = crate::definition::field_ci(&def, "status")
        .and_then(Value::as_str)
        .and_then(Status::parse)
        .unwrap_or(Status::Succeeded);
    let outputs = crate::definition::field_ci(&def, "outputs").cloned();
    let code = crate::definition::field_ci(&def, "code")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            outputs
                .as_ref()
                .and_then(|o| crate::definition::field_ci(o, "statusCode"))
                .and_then(crate::definition::lenient_u16)
                .map(outcome::http_status_name)
        })
        .unwrap_or_else(|| {
            if status == Status::Succeeded {
                "OK".into()
            } else {
                "BadRequest".into()
            }
        });
    let error = crate::definition::field_ci(&def, "error")
        .cloned()
        .or_else(|| {
            (status == Status::Failed).then(|| {
                outcome::error(
                    &code,
                    format!(
                        "The static result '{name}' of action '{}' failed.",
                        action.name
                    ),
                )
            })
        });
    Outcome {
        error,
        outputs,
        ..Outcome::new(status, &code)
    }
}

/// Executes one action whose `runAfter` condition holds, returning its final status.
pub(crate) async fn execute(run: Arc<RunState>, frame: Arc<Frame>, action: Arc<Action>) -> Status {
    let start = run.now();
    if !run.charge() {
        let max = run.engine.config.limits.max_action_executions;
        let o = Outcome::bad_request(
            "ActionExecutionLimitExceeded",
            format!(
                "The run exceeded the maximum of {max} action executions; check for runaway loops."
            ),
        );
        run.cancel();
        return finish(&run, &frame, &action, o, start);
    }
    if let Some(name) = &action.static_result {
        let o = static_outcome(&run, &action, name);
        let code = o.code.clone();
        let st = finish(&run, &frame, &action, o, start);
        skip_children(&run, &frame, &action, st, &code);
        return st;
    }
    let timeout = match &action.timeout {
        None => None,
        Some(t) => {
            let evaluated = skybridge_wdl::evaluate_template(t, &EvalCtx::new(&run, &frame));
            match evaluated {
                Ok(Value::String(s)) => match parse_iso_duration(&s) {
                    Some(d) => Some(d),
                    None => {
                        let o = Outcome::bad_request(
                            "InvalidTemplate",
                            format!(
                                "The 'limit.timeout' value '{s}' of action '{}' is not an ISO 8601 duration.",
                                action.name
                            ),
                        );
                        return finish(&run, &frame, &action, o, start);
                    }
                },
                Ok(other) => {
                    let o = Outcome::bad_request(
                        "InvalidTemplate",
                        format!(
                            "The 'limit.timeout' of action '{}' must be a string, not {other}.",
                            action.name
                        ),
                    );
                    return finish(&run, &frame, &action, o, start);
                }
                Err(e) => {
                    return finish(
                        &run,
                        &frame,
                        &action,
                        Outcome::template_error(&action.name, &e),
                        start,
                    );
                }
            }
        }
    };
    let work = actions::dispatch(run.clone(), frame.clone(), action.clone());
    let cancelled = run.cancelled();
    let o = tokio::select! {
        biased;
        o = with_timeout(work, timeout) => match o {
            Some(o) => o,
            None => timed_out(&action, timeout.unwrap_or_default()),
        },
        () = cancelled => Outcome {
            error: Some(outcome::error("Cancelled", format!("The execution of template action '{}' was cancelled because the run was terminated.", action.name))),
            ..Outcome::new(Status::Cancelled, "Terminated")
        },
    };
    finish(&run, &frame, &action, o, start)
}

async fn with_timeout(work: BoxFut<Outcome>, timeout: Option<Duration>) -> Option<Outcome> {
    match timeout {
        Some(d) => tokio::time::timeout(d, work).await.ok(),
        None => Some(work.await),
    }
}

fn timed_out(action: &Action, limit: Duration) -> Outcome {
    Outcome {
        error: Some(outcome::error(
            "ActionTimedOut",
            format!(
                "The execution of template action '{}' is beyond the duration limit of '{}' and has timed out.",
                action.name,
                format_iso_duration(limit)
            ),
        )),
        ..Outcome::new(Status::TimedOut, "ActionTimedOut")
    }
}
