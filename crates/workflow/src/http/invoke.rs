//! Request-trigger callbacks: SAS check, method and relative path, body decoding and schema,
//! then a run; the answer is 202 at once without a Response action, else the Response (504
//! after the response timeout, 502 when the run ends without answering).

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use super::WorkflowApi;
use crate::callback;
use crate::definition::TriggerKind;
use crate::engine::{RunHandle, TriggerRequest};
use crate::error::WorkflowError;

pub(crate) async fn invoke(
    State(api): State<WorkflowApi>,
    Path((workflow, trigger)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    method: Method,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(r) => return too_large(&api, r),
    };
    handle(&api, &workflow, &trigger, "", query, method, headers, body)
        .await
        .unwrap_or_else(|e| e.into_response())
}

pub(crate) async fn invoke_with_path(
    State(api): State<WorkflowApi>,
    Path((workflow, trigger, path)): Path<(String, String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    method: Method,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(r) => return too_large(&api, r),
    };
    handle(
        &api, &workflow, &trigger, &path, query, method, headers, body,
    )
    .await
    .unwrap_or_else(|e| e.into_response())
}

/// A body that could not be read: over the limit, or broken off.
fn too_large(api: &WorkflowApi, r: BytesRejection) -> Response {
    let limit = api.engine.config().limits.max_body_bytes;
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        WorkflowError::TooLarge {
            size: limit.saturating_add(1),
            limit,
        }
        .into_response()
    } else {
        bad(
            "InvalidRequestContent",
            format!("The request content could not be read: {r}."),
        )
        .into_response()
    }
}

/// `user-agent` → `User-Agent`, as the runtime shows header names.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn bad(code: &str, message: impl Into<String>) -> WorkflowError {
    WorkflowError::BadRequest {
        code: code.into(),
        message: message.into(),
    }
}

/// The body as the trigger exposes it.
fn decode_request_body(
    bytes: &Bytes,
    content_type: Option<&str>,
) -> Result<Option<Value>, WorkflowError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if ct.contains("json") {
        return serde_json::from_slice(bytes).map(Some).map_err(|e| {
            bad(
                "InvalidRequestContent",
                format!("The request content is not valid JSON: {e}."),
            )
        });
    }
    if ct.starts_with("application/x-www-form-urlencoded") {
        let form: Vec<Value> = form_urlencoded::parse(bytes)
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        return Ok(Some(json!({
            "$content-type": content_type.unwrap_or_default(),
            "$content": base64::engine::general_purpose::STANDARD.encode(bytes),
            "$formdata": form,
        })));
    }
    Ok(crate::engine::actions::decode_body(bytes, content_type))
}

#[allow(clippy::too_many_arguments)]
async fn handle(
    api: &WorkflowApi,
    workflow: &str,
    trigger_name: &str,
    rest: &str,
    query: Vec<(String, String)>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WorkflowError> {
    let wf = api.workflow(workflow)?;
    let trigger =
        wf.definition
            .trigger(trigger_name)
            .ok_or_else(|| WorkflowError::TriggerNotFound {
                workflow: wf.name.clone(),
                trigger: trigger_name.to_string(),
            })?;
    let TriggerKind::Request {
        method: allowed,
        relative_path,
        schema,
        validate_schema,
    } = &trigger.kind
    else {
        return Err(bad(
            "TriggerIsNotRequest",
            format!(
                "The trigger '{}' is not a Request trigger and cannot be invoked.",
                trigger.name
            ),
        ));
    };
    // Shared access signature: exactly one way of authorizing.
    let q = |k: &str| {
        query
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    };
    let has_bearer = headers.contains_key(http::header::AUTHORIZATION);
    let Some(sig) = q("sig") else {
        return Err(WorkflowError::SignatureRequired);
    };
    if has_bearer {
        return Err(bad(
            "DirectApiRequestHasMoreThanOneAuthorization",
            "The request has both SAS authentication scheme and 'Bearer' authorization scheme. Only one scheme should be used.",
        ));
    }
    let key = api
        .engine
        .access_key(&wf.name)
        .ok_or(WorkflowError::SignatureInvalid)?;
    if !callback::verify(
        &key,
        &wf.name,
        &trigger.name,
        q("sp").unwrap_or(""),
        q("sv").unwrap_or(""),
        sig,
    ) {
        return Err(WorkflowError::SignatureInvalid);
    }
    if let Some(m) = allowed
        && !m.eq_ignore_ascii_case(method.as_str())
    {
        return Err(bad(
            "TriggerRequestMethodNotValid",
            format!(
                "The HTTP method for this request is not valid: expected '{m}' and actual '{method}'."
            ),
        ));
    }
    let params = match relative_path {
        Some(t) => callback::match_relative_path(t, rest).ok_or_else(|| {
            bad(
                "TriggerRelativePathNotValid",
                format!(
                    "The request path '{rest}' does not match the trigger's relative path '{t}'."
                ),
            )
        })?,
        None if rest.trim_matches('/').is_empty() => Vec::new(),
        None => {
            return Err(bad(
                "TriggerRelativePathNotValid",
                format!(
                    "The trigger '{}' has no relative path; '{rest}' is not expected.",
                    trigger.name
                ),
            ));
        }
    };
    let limit = api.engine.config().limits.max_body_bytes;
    if body.len() > limit {
        return Err(WorkflowError::TooLarge {
            size: body.len(),
            limit,
        });
    }
    let mut header_list: Vec<(String, String)> = Vec::new();
    for (k, v) in &headers {
        let name = title_case(k.as_str());
        let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
        match header_list.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            None => header_list.push((name, value)),
        }
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let decoded = decode_request_body(&body, content_type)?;
    if *validate_schema && let Some(schema) = schema {
        let errors = crate::schema::validate(schema, decoded.as_ref().unwrap_or(&Value::Null));
        if !errors.is_empty() {
            let details = errors
                .iter()
                .map(|e| format!("{} Path '{}'.", e.message, e.path))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(bad(
                "TriggerInputSchemaMismatch",
                format!(
                    "The input body for trigger '{}' of type 'Request' did not match its schema definition. Error details: '{details}'.",
                    trigger.name
                ),
            ));
        }
    }
    let queries = query
        .into_iter()
        .filter(|(k, _)| {
            !["api-version", "sp", "sv", "sig"]
                .iter()
                .any(|s| k.eq_ignore_ascii_case(s))
        })
        .collect();
    let request = TriggerRequest {
        method: method.to_string(),
        headers: header_list,
        queries,
        relative_path_parameters: params,
        body: decoded,
        wait_for_response: true,
        scheduled_time: None,
    };
    let trigger_name = trigger.name.clone();
    let handle = api.engine.start(&wf.name, &trigger_name, request).await?;
    Ok(answer(api, &wf.name, handle).await)
}

fn run_headers(workflow: &str, h: &RunHandle) -> Vec<(&'static str, String)> {
    vec![
        ("x-ms-workflow-run-id", h.run_id.clone()),
        ("x-ms-correlation-id", h.correlation_id.clone()),
        ("x-ms-client-tracking-id", h.client_tracking_id.clone()),
        ("x-ms-trigger-history-name", h.run_id.clone()),
        ("x-ms-workflow-name", workflow.to_string()),
        ("x-ms-tracking-id", h.correlation_id.clone()),
        ("x-ms-request-id", format!(":{}", h.correlation_id)),
    ]
}

fn with_headers(mut r: Response, headers: &[(&'static str, String)]) -> Response {
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            r.headers_mut().insert(*k, v);
        }
    }
    r
}

async fn answer(api: &WorkflowApi, workflow: &str, mut handle: RunHandle) -> Response {
    let headers = run_headers(workflow, &handle);
    let Some(rx) = handle.response.take() else {
        return with_headers(StatusCode::ACCEPTED.into_response(), &headers);
    };
    let timeout = api.engine.config().response_timeout;
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(msg)) => {
            let status = StatusCode::from_u16(msg.status).unwrap_or(StatusCode::OK);
            let mut r = Response::builder().status(status);
            for (k, v) in &msg.headers {
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(k.as_bytes()),
                    HeaderValue::from_str(v),
                ) {
                    r = r.header(name, value);
                }
            }
            let r = r
                .body(Body::from(msg.body))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
            with_headers(r, &headers)
        }
        Ok(Err(_)) => {
            let e = json!({"error": {"code": "NoResponse", "message": format!("The server did not receive a response from an upstream server. Request tracking id '{}'.", handle.correlation_id)}});
            with_headers(
                (StatusCode::BAD_GATEWAY, axum::Json(e)).into_response(),
                &headers,
            )
        }
        Err(_) => {
            let e = json!({"error": {"code": "GatewayTimeout", "message": format!("The server did not receive a timely response from the upstream server. Request tracking id '{}'.", handle.correlation_id)}});
            with_headers(
                (StatusCode::GATEWAY_TIMEOUT, axum::Json(e)).into_response(),
                &headers,
            )
        }
    }
}
