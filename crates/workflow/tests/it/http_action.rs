//! The Http action: request shape, authentication, retry policies on a paused clock, the 202
//! polling pattern, and a real socket round trip.
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::common::*;
use serde_json::{Value, json};
use skybridge_workflow::EngineConfig;

async fn run_http(
    script: Arc<Scripted>,
    action: Value,
) -> (
    skybridge_workflow::history::RunSummary,
    Vec<skybridge_workflow::history::StoredAction>,
    u64,
) {
    let h = harness_with(EngineConfig::default(), Some(script)).await;
    h.add("w", wf(json!({"Call": action})));
    let start = tokio::time::Instant::now();
    let (s, recs) = h.run("w", None).await;
    (s, recs, start.elapsed().as_secs())
}

fn get(extra: Value) -> Value {
    let mut a = json!({"type": "Http", "inputs": {"method": "GET", "uri": "https://api.example.test/orders"}});
    if let Value::Object(o) = extra {
        for (k, v) in o {
            a["inputs"][k] = v;
        }
    }
    a
}

#[tokio::test(start_paused = true)]
async fn default_policy_retries_with_the_exponential_formula() {
    let script = Scripted::new(vec![
        resp(500, &[], ""),
        resp(503, &[("x-ms-request-id", "r1")], ""),
        resp(
            200,
            &[("Content-Type", "application/json")],
            r#"{"ok":true}"#,
        ),
    ]);
    let (s, recs, secs) = run_http(script.clone(), get(json!({}))).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    let call = doc_of(&recs, "Call");
    assert_eq!(call["code"], "OK");
    assert_eq!(call["outputs"]["body"], json!({"ok": true}));
    let history = call["retryHistory"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["code"], "InternalServerError");
    assert_eq!(history[1]["serviceRequestId"], "r1");
    // Retry 1 waits 5–7 s, retry 2 waits 7–14 s.
    assert!((12..=21).contains(&secs), "{secs}");
    assert_eq!(script.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn retries_run_out() {
    let script = Scripted::new((0..6).map(|_| resp(503, &[], "busy")).collect());
    let (s, recs, secs) = run_http(script.clone(), get(json!({}))).await;
    assert_eq!(s.status.as_str(), "Failed");
    let call = doc_of(&recs, "Call");
    assert_eq!(call["code"], "ServiceUnavailable");
    assert_eq!(call["outputs"]["statusCode"], 503);
    assert_eq!(call["outputs"]["body"], "busy");
    assert_eq!(call["retryHistory"].as_array().unwrap().len(), 4);
    assert!((54..=105).contains(&secs), "{secs}");
    assert_eq!(script.calls.load(Ordering::SeqCst), 5);
}

#[tokio::test(start_paused = true)]
async fn policies_none_fixed_retry_after_and_no_retry_on_4xx() {
    let script = Scripted::new(vec![resp(500, &[], ""), resp(200, &[], "")]);
    let (s, _, _) = run_http(
        script.clone(),
        get(json!({"retryPolicy": {"type": "none"}})),
    )
    .await;
    assert_eq!(s.status.as_str(), "Failed");
    assert_eq!(script.calls.load(Ordering::SeqCst), 1);

    let script = Scripted::new(vec![
        resp(500, &[], ""),
        resp(500, &[], ""),
        resp(200, &[], ""),
    ]);
    let (s, _, secs) = run_http(
        script.clone(),
        get(json!({"retryPolicy": {"type": "fixed", "count": 2, "interval": "PT30S"}})),
    )
    .await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(secs, 60);

    let script = Scripted::new(vec![
        resp(429, &[("Retry-After", "120")], ""),
        resp(200, &[], ""),
    ]);
    let (s, _, secs) = run_http(script.clone(), get(json!({}))).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert!(secs >= 120, "{secs}");

    let script = Scripted::new(vec![resp(
        404,
        &[("Content-Type", "text/plain")],
        "missing",
    )]);
    let (s, recs, _) = run_http(script.clone(), get(json!({}))).await;
    assert_eq!(s.status.as_str(), "Failed");
    assert_eq!(doc_of(&recs, "Call")["code"], "NotFound");
    assert_eq!(doc_of(&recs, "Call")["outputs"]["body"], "missing");
    assert_eq!(script.calls.load(Ordering::SeqCst), 1);

    let script = Scripted::new(vec![Err("connection refused".into()), resp(200, &[], "")]);
    let (s, recs, _) = run_http(script.clone(), get(json!({}))).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(
        doc_of(&recs, "Call")["retryHistory"][0]["error"]["code"],
        "HttpRequestFailed"
    );

    let script = Scripted::new(
        (0..5)
            .map(|_| Err("connection refused".to_string()))
            .collect(),
    );
    let (s, recs, _) = run_http(script.clone(), get(json!({}))).await;
    assert_eq!(s.status.as_str(), "Failed");
    assert!(
        doc_of(&recs, "Call")["error"]["message"]
            .as_str()
            .unwrap()
            .contains("connection refused")
    );
}

#[tokio::test(start_paused = true)]
async fn asynchronous_pattern() {
    let script = Scripted::new(vec![
        resp(
            202,
            &[("Location", "/operations/1"), ("Retry-After", "5")],
            "",
        ),
        resp(
            202,
            &[("Location", "https://api.example.test/operations/1")],
            "",
        ),
        resp(
            200,
            &[("Content-Type", "application/json")],
            r#"{"done":true}"#,
        ),
    ]);
    let (s, recs, secs) = run_http(script.clone(), get(json!({}))).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(
        doc_of(&recs, "Call")["outputs"]["body"],
        json!({"done": true})
    );
    assert_eq!(secs, 15, "5 s from Retry-After, then the 10 s default");
    let reqs = script.requests.lock().unwrap().clone();
    assert_eq!(reqs[1].url, "https://api.example.test/operations/1");
    assert_eq!(reqs[1].method, "GET");

    let script = Scripted::new(vec![resp(202, &[("Location", "/operations/1")], "")]);
    let mut action = get(json!({}));
    action["operationOptions"] = json!("DisableAsyncPattern");
    let (s, recs, _) = run_http(script.clone(), action).await;
    assert_eq!(s.status.as_str(), "Succeeded");
    assert_eq!(doc_of(&recs, "Call")["code"], "Accepted");

    // An operation that never finishes is cut off by limit.timeout.
    let script = Scripted::new(
        (0..100)
            .map(|_| resp(202, &[("Location", "/op")], ""))
            .collect(),
    );
    let mut action = get(json!({}));
    action["limit"] = json!({"timeout": "PT2M"});
    let (s, recs, _) = run_http(script, action).await;
    assert_eq!(s.status.as_str(), "TimedOut");
    assert_eq!(doc_of(&recs, "Call")["code"], "ActionTimedOut");
}

#[tokio::test]
async fn request_shape_and_authentication() {
    let script = Scripted::new(vec![
        resp(201, &[], ""),
        resp(200, &[], ""),
        resp(200, &[], ""),
    ]);
    let h = harness_with(EngineConfig::default(), Some(script.clone())).await;
    h.add("w", wf(json!({
        "Post": {"type": "Http", "inputs": {
            "method": "post",
            "uri": "https://api.example.test/orders",
            "queries": {"api-version": "2024-01-01", "q": "a b&c"},
            "headers": {"X-Custom": "1"},
            "body": {"id": "@triggerBody()['id']"},
            "authentication": {"type": "Basic", "username": "u", "password": "p@ss"}
        }},
        "Raw": {"type": "Http", "inputs": {"method": "GET", "uri": "http://api.example.test/", "body": "plain", "authentication": {"type": "Raw", "value": "Bearer abc"}}, "operationOptions": "SuppressWorkflowHeaders", "runAfter": {"Post": ["Succeeded"]}},
        "Msi": {"type": "Http", "inputs": {"method": "GET", "uri": "https://vault.example.test/", "authentication": {"type": "ManagedServiceIdentity", "audience": "https://vault.azure.net"}}, "runAfter": {"Raw": ["Succeeded"]}},
        "Bad_uri": {"type": "Http", "inputs": {"method": "GET", "uri": "ftp://x"}, "runAfter": {"Msi": ["Failed"]}}
    })));
    let (s, recs) = h.run("w", Some(json!({"id": 7}))).await;
    assert_eq!(s.status.as_str(), "Failed");
    let reqs = script.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 2, "the MSI call never leaves");
    let post = &reqs[0];
    assert_eq!(post.method, "POST");
    assert_eq!(
        post.url,
        "https://api.example.test/orders?api-version=2024-01-01&q=a+b%26c"
    );
    let header = |r: &skybridge_workflow::engine::OutboundRequest, n: &str| {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header(post, "authorization").unwrap(), "Basic dTpwQHNz");
    assert_eq!(header(post, "content-type").unwrap(), "application/json");
    assert_eq!(header(post, "x-custom").unwrap(), "1");
    assert_eq!(header(post, "x-ms-workflow-name").unwrap(), "w");
    assert_eq!(post.body, bytes::Bytes::from(r#"{"id":7}"#));
    assert_eq!(header(&reqs[1], "authorization").unwrap(), "Bearer abc");
    assert_eq!(header(&reqs[1], "content-type").unwrap(), "text/plain");
    assert!(header(&reqs[1], "x-ms-workflow-name").is_none());
    let recorded = &doc_of(&recs, "Post")["inputs"]["authentication"];
    assert_eq!(recorded["password"], "*sanitized*");
    assert_eq!(
        doc_of(&recs, "Raw")["inputs"]["authentication"]["value"],
        "*sanitized*"
    );
    let msi = doc_of(&recs, "Msi");
    assert_eq!(
        msi["error"]["message"],
        "The authentication type 'ManagedServiceIdentity' is not available yet in Skybridge."
    );
    assert!(
        doc_of(&recs, "Bad_uri")["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not valid")
    );
}

/// An authenticator answering from a script: each call pops the next answer.
struct ScriptedAuth(std::sync::Mutex<Vec<Result<&'static str, (bool, &'static str)>>>);

#[async_trait::async_trait]
impl skybridge_workflow::engine::HttpAuthenticator for ScriptedAuth {
    async fn authenticate(
        &self,
        ctx: &skybridge_workflow::engine::AuthContext,
        _: &str,
        _: &Value,
    ) -> Result<
        skybridge_workflow::engine::Authenticated,
        skybridge_workflow::engine::AuthenticationFailure,
    > {
        use skybridge_workflow::engine::*;
        match self.0.lock().unwrap().pop().unwrap() {
            Ok(token) => Ok(Authenticated {
                applied: AppliedAuth::Authorization(format!("Bearer {token}")),
                steps: vec![AuthenticationStep {
                    step: "managed identity token".into(),
                    target: "http://identity.test/msi/token".into(),
                    detail: format!("system-assigned identity of {}", ctx.workflow),
                    duration_ms: 1.25,
                }],
            }),
            Err((transient, message)) => Err(AuthenticationFailure {
                message: message.into(),
                transient,
            }),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn token_steps_are_recorded_and_transient_token_failures_retried() {
    let script = Scripted::new(vec![resp(200, &[], "")]);
    let mut answers = vec![
        Err((true, "vault sign: HTTP failure: connection refused")),
        Ok("t0ken"),
        Err((
            false,
            "token request: invalid_client (AADSTS700027): no such key",
        )),
    ];
    answers.reverse();
    let h = harness_with(EngineConfig::default(), Some(script.clone())).await;
    let h = Harness {
        engine: h
            .engine
            .with_authenticator(Arc::new(ScriptedAuth(std::sync::Mutex::new(answers)))),
    };
    let msi = json!({"type": "ManagedServiceIdentity", "audience": "https://vault.azure.net"});
    h.add("w", wf(json!({
        "Call": {"type": "Http", "inputs": {"method": "GET", "uri": "https://api.example.test/", "authentication": msi}},
        "Refused": {"type": "Http", "inputs": {"method": "GET", "uri": "https://api.example.test/", "authentication": msi}, "runAfter": {"Call": ["Succeeded"]}}
    })));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Failed");
    let call = doc_of(&recs, "Call");
    assert_eq!(call["status"], "Succeeded");
    let history = call["retryHistory"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["code"], "BadRequest");
    assert_eq!(history[0]["error"]["code"], "InvalidAuthentication");
    assert_eq!(
        history[0]["error"]["message"],
        "vault sign: HTTP failure: connection refused"
    );
    assert_eq!(
        call["authenticationSteps"],
        json!([{
            "step": "managed identity token",
            "target": "http://identity.test/msi/token",
            "detail": "system-assigned identity of w",
            "durationMs": 1.25
        }])
    );
    let reqs = script.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 1, "the refused call never leaves");
    assert!(
        reqs[0]
            .headers
            .contains(&("Authorization".to_string(), "Bearer t0ken".to_string()))
    );
    assert!(!call.to_string().contains("t0ken"), "no token in history");
    let refused = doc_of(&recs, "Refused");
    assert_eq!(refused["code"], "BadRequest");
    assert_eq!(refused["error"]["code"], "InvalidAuthentication");
    assert_eq!(
        refused["error"]["message"],
        "token request: invalid_client (AADSTS700027): no such key"
    );
    assert!(
        refused.get("retryHistory").is_none(),
        "a refusal is not retried"
    );
}

#[tokio::test]
async fn real_socket_round_trip() {
    use axum::routing::{get, post};
    let app = axum::Router::new()
        .route(
            "/hello",
            get(|| async { axum::Json(json!({"hello": "world"})) }),
        )
        .route(
            "/echo",
            post(|body: String| async move { ([("content-type", "text/plain")], body) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let h = sqlite_harness().await;
    h.add("w", wf(json!({
        "Hello": {"type": "Http", "inputs": {"method": "GET", "uri": format!("http://{addr}/hello")}},
        "Echo": {"type": "Http", "inputs": {"method": "POST", "uri": format!("http://{addr}/echo"), "body": "@body('Hello')['hello']"}, "runAfter": {"Hello": ["Succeeded"]}},
        "Down": {"type": "Http", "inputs": {"method": "GET", "uri": "http://127.0.0.1:9/", "retryPolicy": {"type": "none"}}}
    })));
    let (s, recs) = h.run("w", None).await;
    assert_eq!(s.status.as_str(), "Failed");
    assert_eq!(
        doc_of(&recs, "Hello")["outputs"]["body"],
        json!({"hello": "world"})
    );
    assert_eq!(doc_of(&recs, "Echo")["outputs"]["body"], "world");
    assert_eq!(doc_of(&recs, "Down")["status"], "Failed");
}
