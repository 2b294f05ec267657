//! The Standard runtime's management API: workflows, triggers (callback URLs, manual runs),
//! runs, run actions, loop repetitions and the content behind `inputsLink`/`outputsLink`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use skybridge_store::WorkflowRunQuery;

use super::{MANAGEMENT_PREFIX, WorkflowApi};
use crate::callback;
use crate::definition::{TriggerKind, Workflow};
use crate::engine::TriggerRequest;
use crate::error::WorkflowError;
use crate::history::view;
use crate::history::{StoredAction, StoredRun};

type Result<T> = std::result::Result<T, WorkflowError>;

fn base(api: &WorkflowApi, headers: &HeaderMap, workflow: &str) -> String {
    format!(
        "{}{MANAGEMENT_PREFIX}/workflows/{workflow}",
        api.origin(headers)
    )
}

fn workflow_resource(wf: &Workflow) -> Value {
    let triggers: serde_json::Map<String, Value> = wf
        .definition
        .triggers
        .iter()
        .map(|t| (t.name.clone(), json!({"type": t.type_name, "kind": if matches!(t.kind, TriggerKind::Request { .. }) { "Http" } else { "Recurrence" }})))
        .collect();
    json!({
        "id": format!("/workflows/{}", wf.name),
        "name": wf.name,
        "type": "workflows",
        "kind": wf.kind.as_str(),
        "triggers": triggers,
        "health": {"state": "Healthy"},
    })
}

pub(crate) async fn list_workflows(State(api): State<WorkflowApi>) -> Response {
    let value: Vec<Value> = api
        .engine
        .workflows()
        .iter()
        .filter(|w| {
            api.app
                .as_deref()
                .is_none_or(|a| w.app.eq_ignore_ascii_case(a))
        })
        .map(|w| workflow_resource(w))
        .collect();
    Json(json!({"value": value})).into_response()
}

pub(crate) async fn get_workflow(
    State(api): State<WorkflowApi>,
    Path(workflow): Path<String>,
) -> Result<Response> {
    let wf = api.workflow(&workflow)?;
    Ok(Json(workflow_resource(&wf)).into_response())
}

fn trigger_resource(wf: &Workflow, t: &crate::definition::Trigger) -> Value {
    json!({
        "id": format!("/workflows/{}/triggers/{}", wf.name, t.name),
        "name": t.name,
        "type": "workflows/triggers",
        "properties": {"state": "Enabled", "type": t.type_name},
    })
}

pub(crate) async fn list_triggers(
    State(api): State<WorkflowApi>,
    Path(workflow): Path<String>,
) -> Result<Response> {
    let wf = api.workflow(&workflow)?;
    let value: Vec<Value> = wf
        .definition
        .triggers
        .iter()
        .map(|t| trigger_resource(&wf, t))
        .collect();
    Ok(Json(json!({"value": value})).into_response())
}

pub(crate) async fn get_trigger(
    State(api): State<WorkflowApi>,
    Path((workflow, trigger)): Path<(String, String)>,
) -> Result<Response> {
    let wf = api.workflow(&workflow)?;
    let t = wf
        .definition
        .trigger(&trigger)
        .ok_or_else(|| WorkflowError::TriggerNotFound {
            workflow: wf.name.clone(),
            trigger,
        })?;
    Ok(Json(trigger_resource(&wf, t)).into_response())
}

pub(crate) async fn list_callback_url(
    State(api): State<WorkflowApi>,
    Path((workflow, trigger)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let wf = api.workflow(&workflow)?;
    let t = wf
        .definition
        .trigger(&trigger)
        .ok_or_else(|| WorkflowError::TriggerNotFound {
            workflow: wf.name.clone(),
            trigger: trigger.clone(),
        })?;
    let TriggerKind::Request {
        method,
        relative_path,
        ..
    } = &t.kind
    else {
        return Err(WorkflowError::BadRequest {
            code: "WorkflowTriggerDoesNotHaveCallback".into(),
            message: format!(
                "The trigger '{}' is not a Request trigger and has no callback URL.",
                t.name
            ),
        });
    };
    let key = api.engine.access_key(&wf.name).ok_or_else(|| {
        WorkflowError::Conflict(format!("The workflow '{}' has no access key.", wf.name))
    })?;
    let info = callback::callback_info(
        &api.origin(&headers),
        &key,
        &wf.name,
        &t.name,
        method.as_deref(),
        relative_path.as_deref(),
    );
    Ok(Json(info).into_response())
}

pub(crate) async fn run_trigger(
    State(api): State<WorkflowApi>,
    Path((workflow, trigger)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response> {
    let wf = api.workflow(&workflow)?;
    let t = wf
        .definition
        .trigger(&trigger)
        .ok_or_else(|| WorkflowError::TriggerNotFound {
            workflow: wf.name.clone(),
            trigger: trigger.clone(),
        })?;
    let body = if body.is_empty() {
        None
    } else {
        Some(
            serde_json::from_slice::<Value>(&body).map_err(|e| WorkflowError::BadRequest {
                code: "InvalidRequestContent".into(),
                message: format!("The request body must be JSON: {e}."),
            })?,
        )
    };
    let request = TriggerRequest {
        method: "POST".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body,
        ..TriggerRequest::default()
    };
    let trigger_name = t.name.clone();
    let handle = api.engine.start(&wf.name, &trigger_name, request).await?;
    let location = format!("{}/runs/{}", base(&api, &headers, &wf.name), handle.run_id);
    let mut r = StatusCode::ACCEPTED.into_response();
    if let Ok(v) = HeaderValue::from_str(&handle.run_id) {
        r.headers_mut().insert("x-ms-workflow-run-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(http::header::LOCATION, v);
    }
    Ok(r)
}

/// `$filter=status eq 'Failed'` (the one filter tooling uses).
fn status_filter(filter: Option<&String>) -> Result<Option<String>> {
    let Some(f) = filter else { return Ok(None) };
    let text = f.trim();
    let parsed = text
        .split_once(" eq ")
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("status"))
        .map(|(_, v)| v.trim().trim_matches('\'').to_string());
    match parsed {
        Some(s) => Ok(Some(s)),
        None => Err(WorkflowError::BadRequest {
            code: "InvalidFilter".into(),
            message: format!("The filter '{text}' is not supported; use \"status eq 'Failed'\"."),
        }),
    }
}

pub(crate) async fn list_runs(
    State(api): State<WorkflowApi>,
    Path(workflow): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response> {
    let wf = api.workflow(&workflow)?;
    let top = q
        .get("$top")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 250);
    let query = WorkflowRunQuery {
        status: status_filter(q.get("$filter"))?,
        after_run_id: q.get("$skiptoken").cloned(),
        top: top + 1,
    };
    let mut runs = api.engine.list_runs(&wf.name, &query).await?;
    let b = base(&api, &headers, &wf.name);
    let mut body = json!({});
    if runs.len() > top {
        runs.truncate(top);
        if let Some(last) = runs.last() {
            body["nextLink"] = json!(format!("{b}/runs?$top={top}&$skiptoken={}", last.run_id));
        }
    }
    body["value"] = Value::Array(runs.iter().map(|r| view::run_resource(r, &b)).collect());
    Ok(Json(body).into_response())
}

async fn load(
    api: &WorkflowApi,
    workflow: &str,
    run: &str,
) -> Result<(String, StoredRun, Vec<StoredAction>)> {
    let wf = api.workflow(workflow)?;
    let (r, actions) = api.engine.get_run(&wf.name, run).await?;
    Ok((wf.name.clone(), r, actions))
}

pub(crate) async fn get_run(
    State(api): State<WorkflowApi>,
    Path((workflow, run)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let (name, r, _) = load(&api, &workflow, &run).await?;
    Ok(Json(view::run_resource(&r, &base(&api, &headers, &name))).into_response())
}

pub(crate) async fn cancel_run(
    State(api): State<WorkflowApi>,
    Path((workflow, run)): Path<(String, String)>,
) -> Result<Response> {
    let wf = api.workflow(&workflow)?;
    api.engine.cancel_run(&wf.name, &run)?;
    Ok(StatusCode::OK.into_response())
}

fn content_response(content: Option<&Value>, what: &str) -> Result<Response> {
    content
        .map(|c| Json(c.clone()).into_response())
        .ok_or_else(|| {
            WorkflowError::ActionNotFound(format!("{what} (no such content, or it is secured)"))
        })
}

pub(crate) async fn run_content(
    State(api): State<WorkflowApi>,
    Path((workflow, run, which)): Path<(String, String, String)>,
) -> Result<Response> {
    let (_, r, _) = load(&api, &workflow, &run).await?;
    content_response(view::content(&r.document, &which), &which)
}

pub(crate) async fn list_actions(
    State(api): State<WorkflowApi>,
    Path((workflow, run)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let (name, _, actions) = load(&api, &workflow, &run).await?;
    let b = base(&api, &headers, &name);
    let value: Vec<Value> = view::action_summaries(&actions)
        .iter()
        .map(|a| view::action_resource(&name, &run, a, &b))
        .collect();
    Ok(Json(json!({"value": value})).into_response())
}

fn find_action(actions: &[StoredAction], action: &str) -> Result<StoredAction> {
    let matching: Vec<StoredAction> = actions
        .iter()
        .filter(|a| a.name.eq_ignore_ascii_case(action))
        .cloned()
        .collect();
    view::action_summaries(&matching)
        .into_iter()
        .next()
        .ok_or_else(|| WorkflowError::ActionNotFound(action.to_string()))
}

pub(crate) async fn get_action(
    State(api): State<WorkflowApi>,
    Path((workflow, run, action)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let (name, _, actions) = load(&api, &workflow, &run).await?;
    let a = find_action(&actions, &action)?;
    Ok(Json(view::action_resource(
        &name,
        &run,
        &a,
        &base(&api, &headers, &name),
    ))
    .into_response())
}

pub(crate) async fn action_content(
    State(api): State<WorkflowApi>,
    Path((workflow, run, action, which)): Path<(String, String, String, String)>,
) -> Result<Response> {
    let (_, _, actions) = load(&api, &workflow, &run).await?;
    let a = find_action(&actions, &action)?;
    content_response(view::content(&a.document, &which), &which)
}

pub(crate) async fn list_repetitions(
    State(api): State<WorkflowApi>,
    Path((workflow, run, action)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let (name, _, actions) = load(&api, &workflow, &run).await?;
    let b = base(&api, &headers, &name);
    let mut reps: Vec<&StoredAction> = actions
        .iter()
        .filter(|a| a.name.eq_ignore_ascii_case(&action) && !a.repetition.is_empty())
        .collect();
    reps.sort_by(|a, b| a.repetition.cmp(&b.repetition));
    let value: Vec<Value> = reps
        .iter()
        .map(|a| view::repetition_resource(&name, &run, a, &b))
        .collect();
    Ok(Json(json!({"value": value})).into_response())
}

fn find_repetition(actions: &[StoredAction], action: &str, rep: &str) -> Result<StoredAction> {
    actions
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(action) && a.repetition == rep)
        .cloned()
        .ok_or_else(|| WorkflowError::ActionNotFound(format!("{action}/repetitions/{rep}")))
}

pub(crate) async fn get_repetition(
    State(api): State<WorkflowApi>,
    Path((workflow, run, action, rep)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let (name, _, actions) = load(&api, &workflow, &run).await?;
    let a = find_repetition(&actions, &action, &rep)?;
    Ok(Json(view::repetition_resource(
        &name,
        &run,
        &a,
        &base(&api, &headers, &name),
    ))
    .into_response())
}

pub(crate) async fn repetition_content(
    State(api): State<WorkflowApi>,
    Path((workflow, run, action, rep, which)): Path<(String, String, String, String, String)>,
) -> Result<Response> {
    let (_, _, actions) = load(&api, &workflow, &run).await?;
    let a = find_repetition(&actions, &action, &rep)?;
    content_response(view::content(&a.document, &which), &which)
}
