//! The Http action's request side: method, uri, headers, queries, body, authentication, the
//! retry policy with its history, and the asynchronous 202 + `Location` polling pattern
//! (`operationOptions: DisableAsyncPattern` turns it off).

mod auth;
pub mod retry;
pub mod transport;

use std::time::Duration;

use serde_json::{Map, Value, json};

pub use auth::{
    AppliedAuth, AuthContext, Authenticated, AuthenticationFailure, AuthenticationStep,
    HttpAuthenticator, NoExtraAuthentication,
};
pub use transport::{HttpTransport, OutboundRequest, OutboundResponse, ReqwestTransport};

use crate::definition::{Action, field_ci};
use crate::engine::actions::{decode_body, encode_body, header_pairs, text_of};
use crate::engine::outcome::{self, Outcome};
use crate::engine::run::RunState;
use crate::history::sanitize_authentication;
use crate::status::Status;
use crate::time::format_time;
use retry::{RetryPolicy, random_unit, retryable_status};

/// Longest URI the action accepts (the runtime's 2 KB limit... generously 8 KB for queries).
const MAX_URI: usize = 8 * 1024;
/// Polls of one asynchronous operation before giving up.
const MAX_POLLS: u32 = 100_000;

fn bad(inputs: &Value, code: &str, message: impl Into<String>) -> Outcome {
    Outcome::bad_request(code, message).with_inputs(inputs.clone())
}

/// Seconds from a `Retry-After` header (delta-seconds only).
fn retry_after(r: &OutboundResponse) -> Option<Duration> {
    r.header("retry-after")?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Runs an Http action with evaluated inputs.
pub(crate) async fn http_action(run: &RunState, action: &Action, inputs: Value) -> Outcome {
    let mut recorded = inputs.clone();
    sanitize_authentication(&mut recorded);
    let Some(method) = field_ci(&inputs, "method")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
    else {
        return bad(
            &recorded,
            "InvalidTemplate",
            format!("The Http action '{}' needs 'inputs.method'.", action.name),
        );
    };
    if ![
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE",
    ]
    .contains(&method.as_str())
    {
        return bad(
            &recorded,
            "InvalidTemplate",
            format!(
                "The method '{method}' of Http action '{}' is not valid.",
                action.name
            ),
        );
    }
    let Some(uri) = field_ci(&inputs, "uri").and_then(Value::as_str) else {
        return bad(
            &recorded,
            "InvalidTemplate",
            format!("The Http action '{}' needs 'inputs.uri'.", action.name),
        );
    };
    if uri.len() > MAX_URI {
        return bad(
            &recorded,
            "InvalidTemplate",
            format!(
                "The URI of Http action '{}' is longer than {MAX_URI} characters.",
                action.name
            ),
        );
    }
    let mut url = match reqwest::Url::parse(uri) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => u,
        _ => {
            return bad(
                &recorded,
                "InvalidTemplate",
                format!(
                    "The provided 'Http' action URI '{uri}' is not valid: it must be an absolute http or https URI."
                ),
            );
        }
    };
    if let Some(Value::Object(q)) = field_ci(&inputs, "queries") {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in q {
            pairs.append_pair(k, &text_of(v));
        }
    }
    let policy = match RetryPolicy::parse(field_ci(&inputs, "retryPolicy")) {
        Ok(p) => p,
        Err(m) => return bad(&recorded, "InvalidTemplate", m),
    };
    let ctx = AuthContext {
        workflow: run.workflow.name.clone(),
        app: run.workflow.app.clone(),
        identity_resource: run.workflow.identity_resource.clone(),
        action: action.name.clone(),
        uri: url.to_string(),
    };
    let mut headers = header_pairs(field_ci(&inputs, "headers"));
    let (body, content_type) = match encode_body(field_ci(&inputs, "body").unwrap_or(&Value::Null))
    {
        Ok(b) => b,
        Err(m) => return bad(&recorded, "InvalidTemplate", m),
    };
    if let Some(ct) = content_type
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), ct.replace("; charset=utf-8", "")));
    }
    if let Some(cookie) = field_ci(&inputs, "cookie").and_then(Value::as_str) {
        headers.push(("Cookie".into(), cookie.to_string()));
    }
    if !action.has_option("SuppressWorkflowHeaders") {
        headers.extend([
            ("x-ms-workflow-name".to_string(), run.workflow.name.clone()),
            ("x-ms-workflow-run-id".to_string(), run.run_id.clone()),
            (
                "x-ms-workflow-operation-name".to_string(),
                action.name.clone(),
            ),
            (
                "x-ms-client-tracking-id".to_string(),
                run.client_tracking_id.clone(),
            ),
            (
                "x-ms-correlation-id".to_string(),
                run.correlation_id.clone(),
            ),
        ]);
    }
    let max_body = run.engine.config.limits.max_body_bytes;
    let transport = run.engine.transport.clone();
    let authentication = field_ci(&inputs, "authentication");
    let mut history = Vec::new();
    let mut attempt = 0u32;
    // Each attempt authenticates again (credentials cache their tokens), so a token that
    // expired during the back-off is renewed and a transient token failure is retried.
    let (mut response, request, client, steps) = loop {
        let started = run.now();
        let authenticated =
            match auth::apply(&*run.engine.authenticator, &ctx, authentication).await {
                Ok(a) => a,
                Err(failure) => {
                    if !failure.transient || attempt >= policy.retries() {
                        let mut o = bad(&recorded, "InvalidAuthentication", failure.message);
                        o.retry_history = history;
                        return o;
                    }
                    attempt += 1;
                    history.push(retry_entry(
                        started,
                        run.now(),
                        "BadRequest".into(),
                        Some(outcome::error("InvalidAuthentication", failure.message)),
                        None,
                    ));
                    tokio::time::sleep(policy.delay(attempt, random_unit())).await;
                    continue;
                }
            };
        let (authorization, client) = match authenticated.applied {
            AppliedAuth::Nothing => (None, None),
            AppliedAuth::Authorization(h) => (Some(h), None),
            AppliedAuth::Client(c, h) => (h, Some(c)),
        };
        let mut request_headers = headers.clone();
        if let Some(a) = authorization {
            request_headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
            request_headers.push(("Authorization".into(), a));
        }
        let request = OutboundRequest {
            method: method.clone(),
            url: url.to_string(),
            headers: request_headers,
            body: body.clone(),
        };
        let result = transport
            .send(request.clone(), client.as_ref(), max_body)
            .await;
        let retry = match &result {
            Ok(r) => retryable_status(r.status),
            Err(_) => true,
        };
        if !retry || attempt >= policy.retries() {
            break (result, request, client, authenticated.steps);
        }
        attempt += 1;
        let (code, error) = match &result {
            Ok(r) => (outcome::http_status_name(r.status), None),
            Err(e) => (
                "BadRequest".to_string(),
                Some(outcome::error("HttpRequestFailed", e.clone())),
            ),
        };
        let service_id = result
            .as_ref()
            .ok()
            .and_then(|r| r.header("x-ms-request-id"))
            .map(str::to_string);
        history.push(retry_entry(started, run.now(), code, error, service_id));
        let mut wait = policy.delay(attempt, random_unit());
        if let Ok(r) = &result
            && r.status == 429
            && let Some(ra) = retry_after(r)
        {
            wait = wait.max(ra);
        }
        tokio::time::sleep(wait).await;
    };
    // The asynchronous pattern: poll Location until the operation stops answering 202.
    if !action.has_option("DisableAsyncPattern") {
        let mut polls = 0;
        while let Ok(r) = &response {
            let location = match (r.status, r.header("location")) {
                (202, Some(l)) => l.to_string(),
                _ => break,
            };
            polls += 1;
            if polls > MAX_POLLS {
                break;
            }
            let next = match url.join(&location) {
                Ok(u) => u.to_string(),
                Err(_) => break,
            };
            tokio::time::sleep(retry_after(r).unwrap_or(run.engine.config.async_poll_interval))
                .await;
            let mut poll_headers: Vec<(String, String)> = request
                .headers
                .iter()
                .filter(|(k, _)| {
                    k.eq_ignore_ascii_case("authorization")
                        || k.to_ascii_lowercase().starts_with("x-ms-")
                })
                .cloned()
                .collect();
            poll_headers.push(("Accept".into(), "application/json".into()));
            let poll = OutboundRequest {
                method: "GET".into(),
                url: next,
                headers: poll_headers,
                body: bytes::Bytes::new(),
            };
            response = transport.send(poll, client.as_ref(), max_body).await;
        }
    }
    let mut o = match response {
        Err(e) => Outcome::failed(
            "BadRequest",
            "HttpRequestFailed",
            format!("Http request failed: {e}."),
        ),
        Ok(r) => {
            let mut h = Map::new();
            for (k, v) in &r.headers {
                match h.get_mut(k) {
                    Some(Value::String(existing)) => {
                        existing.push(',');
                        existing.push_str(v);
                    }
                    _ => {
                        h.insert(k.clone(), json!(v));
                    }
                }
            }
            let mut outputs = json!({"statusCode": r.status, "headers": h});
            if let Some(b) = decode_body(&r.body, r.header("content-type")) {
                outputs["body"] = b;
            }
            let status = if (200..300).contains(&r.status) {
                Status::Succeeded
            } else {
                Status::Failed
            };
            Outcome {
                outputs: Some(outputs),
                ..Outcome::new(status, &outcome::http_status_name(r.status))
            }
        }
    };
    o.inputs = Some(recorded);
    o.retry_history = history;
    o.authentication_steps = steps.iter().map(AuthenticationStep::to_json).collect();
    o
}

/// One `retryHistory` entry.
fn retry_entry(
    started: std::time::SystemTime,
    ended: std::time::SystemTime,
    code: String,
    error: Option<Value>,
    service_request_id: Option<String>,
) -> Value {
    let mut entry = Map::new();
    entry.insert("startTime".into(), json!(format_time(started)));
    entry.insert("endTime".into(), json!(format_time(ended)));
    entry.insert("code".into(), json!(code));
    entry.insert(
        "clientRequestId".into(),
        json!(uuid::Uuid::new_v4().to_string()),
    );
    if let Some(e) = error {
        entry.insert("error".into(), e);
    }
    if let Some(id) = service_request_id {
        entry.insert("serviceRequestId".into(), json!(id));
    }
    Value::Object(entry)
}
