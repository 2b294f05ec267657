//! Control actions: If, Switch, Scope, Foreach, Until and Terminate.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use skybridge_wdl::{Context, Expr};
use tokio::task::JoinSet;

use crate::definition::{Action, ActionKind, field_ci, json_type_name, lenient_u64};
use crate::engine::outcome::{self, Outcome};
use crate::engine::run::{EvalCtx, Frame, RunState, Termination, lock};
use crate::engine::scheduler::{run_container, skip_branch};
use crate::status::{Status, fold_statuses};
use crate::time::parse_iso_duration;

/// A context that adds literal values (for the designer's object-form conditions) on top of
/// the run's.
struct Overlay<'a> {
    inner: &'a EvalCtx<'a>,
    values: Vec<Value>,
}

const LITERAL: &str = "\u{1}literal";

impl Context for Overlay<'_> {
    fn parameter(&self, name: &str) -> Option<Value> {
        match name.strip_prefix(LITERAL) {
            Some(i) => i
                .parse::<usize>()
                .ok()
                .and_then(|i| self.values.get(i).cloned()),
            None => self.inner.parameter(name),
        }
    }
    fn variable(&self, name: &str) -> Option<Value> {
        self.inner.variable(name)
    }
    fn app_setting(&self, name: &str) -> Option<String> {
        self.inner.app_setting(name)
    }
    fn trigger(&self) -> Option<Value> {
        self.inner.trigger()
    }
    fn action(&self, name: &str) -> Option<Value> {
        self.inner.action(name)
    }
    fn current_action(&self) -> Option<Value> {
        self.inner.current_action()
    }
    fn item(&self) -> Option<Value> {
        self.inner.item()
    }
    fn items(&self, loop_name: &str) -> Option<Value> {
        self.inner.items(loop_name)
    }
    fn iteration_index(&self, loop_name: &str) -> Option<i64> {
        self.inner.iteration_index(loop_name)
    }
    fn result(&self, scope_name: &str) -> Option<Value> {
        self.inner.result(scope_name)
    }
    fn workflow(&self) -> Option<Value> {
        self.inner.workflow()
    }
    fn now(&self) -> SystemTime {
        self.inner.now()
    }
}

fn is_function(name: &str) -> bool {
    skybridge_wdl::function_names()
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name))
}

/// Builds the expression of a designer object-form condition
/// (`{"and": [{"equals": [a, b]}, {"not": {"greater": [x, 0]}}]}`); literal arguments are
/// evaluated as templates and passed through [`Overlay`].
fn object_condition(
    v: &Value,
    ctx: &EvalCtx<'_>,
    values: &mut Vec<Value>,
    depth: usize,
) -> Result<Expr, String> {
    if depth > 64 {
        return Err("the condition is nested too deeply".into());
    }
    let Some((name, args)) = v
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
    else {
        return Err(
            "a condition object must have exactly one property: the function to call".into(),
        );
    };
    let args: Vec<&Value> = match args {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        let nested = a
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.iter().next())
            .is_some_and(|(k, v)| is_function(k) && (v.is_array() || v.is_object()));
        if nested {
            out.push(object_condition(a, ctx, values, depth + 1)?);
        } else {
            let literal = skybridge_wdl::evaluate_template(a, ctx).map_err(|e| e.to_string())?;
            values.push(literal);
            out.push(Expr::Call {
                name: "parameters".into(),
                args: vec![Expr::Str(format!("{LITERAL}{}", values.len() - 1))],
            });
        }
    }
    Ok(Expr::Call {
        name: name.clone(),
        args: out,
    })
}

/// Evaluates a condition (template string or object form) to a boolean.
fn condition(
    run: &RunState,
    frame: &Frame,
    action: &Action,
    expr: &Value,
) -> Result<bool, Box<Outcome>> {
    let ctx = EvalCtx::new(run, frame);
    let value = if expr.is_object() {
        let mut values = Vec::new();
        let built = object_condition(expr, &ctx, &mut values, 0).map_err(|m| {
            Box::new(Outcome::bad_request(
                "InvalidTemplate",
                format!(
                    "The condition of action '{}' is not valid: {m}.",
                    action.name
                ),
            ))
        })?;
        let overlay = Overlay {
            inner: &ctx,
            values,
        };
        skybridge_wdl::eval_parsed(&built, "condition", &overlay)
    } else {
        skybridge_wdl::evaluate_template(expr, &ctx)
    }
    .map_err(|e| Box::new(Outcome::condition_error(&action.name, &e)))?;
    match value {
        Value::Bool(b) => Ok(b),
        other => Err(Box::new(Outcome::bad_request(
            "InvalidTemplate",
            format!(
                "The execution of template action '{}' failed: the result of the evaluation of the condition expression is of type '{}'; it must be 'Boolean'.",
                action.name,
                json_type_name(&other)
            ),
        ))),
    }
}

pub(crate) async fn if_action(
    run: Arc<RunState>,
    frame: Arc<Frame>,
    action: Arc<Action>,
) -> Outcome {
    let ActionKind::If {
        expression,
        actions,
        else_actions,
    } = &action.kind
    else {
        return Outcome::bad_request("InvalidTemplate", "not an If");
    };
    let taken = match condition(&run, &frame, &action, expression) {
        Ok(b) => b,
        Err(o) => return *o,
    };
    let (run_it, skip_it) = if taken {
        (actions, else_actions)
    } else {
        (else_actions, actions)
    };
    skip_branch(&run, &frame, skip_it);
    let status = run_container(run.clone(), frame.clone(), run_it.clone()).await;
    set_scope_result(&frame, &action, run_it);
    Outcome::from_container(status).with_inputs(json!({"expressionResult": taken}))
}

pub(crate) async fn switch(run: Arc<RunState>, frame: Arc<Frame>, action: Arc<Action>) -> Outcome {
    let ActionKind::Switch {
        expression,
        cases,
        default,
    } = &action.kind
    else {
        return Outcome::bad_request("InvalidTemplate", "not a Switch");
    };
    let value = match skybridge_wdl::evaluate_template(expression, &EvalCtx::new(&run, &frame)) {
        Ok(v) => v,
        Err(e) => return Outcome::condition_error(&action.name, &e),
    };
    let is_int = value.as_i64().is_some();
    if !value.is_string() && !is_int {
        return Outcome::failed(
            "ExpressionEvaluationFailed",
            "ExpressionEvaluationFailed",
            format!(
                "The execution of template action '{}' failed: The result of the evaluation of 'scope' action expression '{}' is not valid. It is of type '{}' but is expected to be a value of type 'String, Integer'.",
                action.name,
                expression.as_str().unwrap_or_default(),
                json_type_name(&value)
            ),
        );
    }
    let chosen = cases
        .iter()
        .find(|c| {
            c.value == value
                || (is_int && c.value.as_i64() == value.as_i64() && c.value.is_number())
        })
        .map(|c| &c.actions)
        .unwrap_or(default);
    for c in cases
        .iter()
        .map(|c| &c.actions)
        .chain(std::iter::once(default))
    {
        if !Arc::ptr_eq(c, chosen) {
            skip_branch(&run, &frame, c);
        }
    }
    let status = run_container(run.clone(), frame.clone(), chosen.clone()).await;
    set_scope_result(&frame, &action, chosen);
    Outcome::from_container(status).with_inputs(json!({"expressionResult": value}))
}

pub(crate) async fn scope(run: Arc<RunState>, frame: Arc<Frame>, action: Arc<Action>) -> Outcome {
    let ActionKind::Scope { actions } = &action.kind else {
        return Outcome::bad_request("InvalidTemplate", "not a Scope");
    };
    let status = run_container(run.clone(), frame.clone(), actions.clone()).await;
    set_scope_result(&frame, &action, actions);
    Outcome::from_container(status)
}

/// `result('Scope')`: the result objects of the container's top-level actions.
fn set_scope_result(frame: &Frame, action: &Action, container: &crate::definition::Container) {
    let results: Vec<Value> = container
        .actions
        .iter()
        .filter_map(|a| frame.own_result(&a.name))
        .collect();
    frame.set_scope_result(&action.name, Value::Array(results));
}

pub(crate) async fn foreach(run: Arc<RunState>, frame: Arc<Frame>, action: Arc<Action>) -> Outcome {
    let ActionKind::Foreach {
        items,
        actions,
        concurrency,
    } = &action.kind
    else {
        return Outcome::bad_request("InvalidTemplate", "not a Foreach");
    };
    let list = match skybridge_wdl::evaluate_template(items, &EvalCtx::new(&run, &frame)) {
        Ok(Value::Array(a)) => a,
        Ok(Value::Null) => Vec::new(),
        Ok(other) => {
            return Outcome::bad_request(
                "InvalidTemplate",
                format!(
                    "The execution of template action '{}' failed: the result of the evaluation of 'foreach' expression '{}' is of type '{}'. The result must be a valid array.",
                    action.name,
                    items.as_str().unwrap_or_default(),
                    json_type_name(&other)
                ),
            );
        }
        Err(e) => return Outcome::condition_error(&action.name, &e),
    };
    let limit = run.engine.limits_for(&run.workflow).max_foreach_items;
    if list.len() > limit {
        return Outcome::bad_request(
            "InvalidTemplate",
            format!(
                "The execution of template action '{}' failed: the 'foreach' array has {} items; at most {limit} are allowed.",
                action.name,
                list.len()
            ),
        );
    }
    let n = list.len();
    let mut frames: Vec<Option<Arc<Frame>>> = vec![None; n];
    let mut statuses: Vec<Status> = Vec::with_capacity(n);
    let mut set: JoinSet<(usize, Status, Arc<Frame>)> = JoinSet::new();
    let mut next = 0;
    let mut pending = list.into_iter();
    while next < n || !set.is_empty() {
        while set.len() < (*concurrency).max(1) && next < n && !run.is_cancelled() {
            let Some(item) = pending.next() else { break };
            let iteration = Frame::foreach_iteration(&frame, &action.name, next, item);
            let (run, body, idx) = (run.clone(), actions.clone(), next);
            set.spawn(async move {
                let st = run_container(run, iteration.clone(), body).await;
                (idx, st, iteration)
            });
            next += 1;
        }
        if run.is_cancelled() && set.is_empty() {
            break;
        }
        match set.join_next().await {
            Some(Ok((i, st, f))) => {
                statuses.push(st);
                frames[i] = Some(f);
            }
            Some(Err(e)) => {
                tracing::error!(error = %e, "a Foreach iteration ended abnormally");
                statuses.push(Status::Failed);
            }
            None => break,
        }
    }
    // Outside the loop, `result('Loop')` lists each top-level inner action with its
    // per-iteration results, and `outputs('Inner')` gives the array of iteration outputs.
    let frames: Vec<Arc<Frame>> = frames.into_iter().flatten().collect();
    let mut result = Vec::new();
    for inner in &actions.actions {
        let per_iteration: Vec<Value> = frames
            .iter()
            .filter_map(|f| f.own_result(&inner.name))
            .collect();
        let outputs: Vec<Value> = per_iteration
            .iter()
            .map(|r| r.get("outputs").cloned().unwrap_or(Value::Null))
            .collect();
        frame.set_result(
            &inner.name,
            json!({"name": inner.name, "outputs": outputs, "status": "Succeeded"}),
        );
        result.push(json!({"name": inner.name, "outputs": per_iteration}));
    }
    frame.set_scope_result(&action.name, Value::Array(result));
    let mut o = Outcome::from_container(fold_statuses(statuses));
    o.iterations = Some(n);
    o
}

pub(crate) async fn until(run: Arc<RunState>, frame: Arc<Frame>, action: Arc<Action>) -> Outcome {
    let ActionKind::Until {
        expression,
        actions,
        count,
        timeout,
    } = &action.kind
    else {
        return Outcome::bad_request("InvalidTemplate", "not an Until");
    };
    let ctx_eval = |v: &Value| skybridge_wdl::evaluate_template(v, &EvalCtx::new(&run, &frame));
    let max = run.engine.limits_for(&run.workflow).max_until_count;
    let count = match count {
        None => 60.min(max),
        Some(c) => match ctx_eval(c).map(|v| lenient_u64(&v)) {
            Ok(Some(n)) if n >= 1 && n <= max as u64 => n as usize,
            Ok(_) => {
                return Outcome::bad_request(
                    "InvalidTemplate",
                    format!(
                        "The 'limit.count' of the Until action '{}' must be an integer from 1 to {max}.",
                        action.name
                    ),
                );
            }
            Err(e) => return Outcome::condition_error(&action.name, &e),
        },
    };
    let limit = match timeout {
        None => Duration::from_secs(3600),
        Some(t) => match ctx_eval(t) {
            Ok(Value::String(s)) => match parse_iso_duration(&s) {
                Some(d) => d,
                None => {
                    return Outcome::bad_request(
                        "InvalidTemplate",
                        format!(
                            "The 'limit.timeout' '{s}' of the Until action '{}' is not an ISO 8601 duration.",
                            action.name
                        ),
                    );
                }
            },
            Ok(_) => {
                return Outcome::bad_request(
                    "InvalidTemplate",
                    format!(
                        "The 'limit.timeout' of the Until action '{}' must be a string.",
                        action.name
                    ),
                );
            }
            Err(e) => return Outcome::condition_error(&action.name, &e),
        },
    };
    let started = tokio::time::Instant::now();
    let mut last = Status::Succeeded;
    let mut iterations = 0;
    loop {
        if run.is_cancelled() {
            break;
        }
        let iteration = Frame::until_iteration(&frame, &action.name, iterations);
        last = run_container(run.clone(), iteration.clone(), actions.clone()).await;
        iterations += 1;
        iteration.publish_to_parent();
        let mut ctx = EvalCtx::new(&run, &iteration);
        ctx.current = frame.own_result(&action.name);
        let done = match skybridge_wdl::evaluate_template(expression, &ctx) {
            Ok(Value::Bool(b)) => b,
            Ok(other) => {
                return Outcome::bad_request(
                    "InvalidTemplate",
                    format!(
                        "The Until condition of action '{}' must evaluate to a boolean; it gave a value of type '{}'.",
                        action.name,
                        json_type_name(&other)
                    ),
                );
            }
            Err(e) => return Outcome::condition_error(&action.name, &e),
        };
        if done || iterations >= count || started.elapsed() >= limit {
            break;
        }
    }
    set_scope_result(&frame, &action, actions);
    let mut o = Outcome::from_container(last);
    o.iterations = Some(iterations);
    o
}

pub(crate) fn terminate(run: &RunState, inputs: Value) -> Outcome {
    let status = field_ci(&inputs, "runStatus")
        .and_then(Value::as_str)
        .and_then(Status::parse)
        .filter(|s| matches!(s, Status::Failed | Status::Cancelled | Status::Succeeded));
    let Some(status) = status else {
        return Outcome::bad_request(
            "InvalidTemplate",
            "The Terminate action's 'runStatus' must be 'Failed', 'Cancelled' or 'Succeeded'.",
        )
        .with_inputs(inputs);
    };
    let error = match (status, field_ci(&inputs, "runError")) {
        (Status::Failed, Some(e)) => Some(json!({
            "code": field_ci(e, "code").cloned().unwrap_or(json!("Terminated")),
            "message": field_ci(e, "message").cloned().unwrap_or(json!("")),
        })),
        (Status::Failed, None) => Some(outcome::error(
            "Terminated",
            "The run was terminated with status 'Failed'.",
        )),
        _ => None,
    };
    *lock(&run.terminated) = Some(Termination { status, error });
    run.cancel();
    Outcome {
        inputs: Some(inputs),
        ..Outcome::not_specified()
    }
}
