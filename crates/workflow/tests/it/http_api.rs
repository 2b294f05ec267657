//! Request-trigger round trips and the management API over the axum router.
use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use skybridge_workflow::EngineConfig;
use skybridge_workflow::http::{WorkflowApi, router};
use tower::ServiceExt;

const ORIGIN: &str = "https://app.workflows.example";

async fn setup(config: EngineConfig) -> (Harness, axum::Router) {
    let h = harness_with(config, None).await;
    h.add("echo", json!({
        "definition": {
            "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {"method": "POST", "schema": {"type": "object", "required": ["name"]}}, "operationOptions": "EnableSchemaValidation"}},
            "actions": {
                "Greet": {"type": "Compose", "inputs": "Hello @{triggerBody()['name']}"},
                "Reply": {"type": "Response", "kind": "Http", "inputs": {"statusCode": 201, "headers": {"X-Run": "@workflow()['run']['name']"}, "body": {"message": "@outputs('Greet')", "q": "@triggerOutputs()?['queries']?['q']"}}, "runAfter": {"Greet": ["Succeeded"]}}
            }
        },
        "kind": "Stateful"
    }));
    h.add("fire", wf(json!({"Loop": {"type": "Foreach", "foreach": "@range(0, 3)", "actions": {"Item": {"type": "Compose", "inputs": "@item()"}}}})));
    h.add("paths", json!({"definition": {
        "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {"method": "GET", "relativePath": "orders/{id}/lines/{line}"}}},
        "actions": {"Reply": {"type": "Response", "inputs": {"body": "@triggerOutputs()['relativePathParameters']"}}}
    }}));
    h.add("broken", wf(json!({
        "Fail": {"type": "Compose", "inputs": "@div(1, 0)"},
        "Reply": {"type": "Response", "inputs": {"statusCode": 200}, "runAfter": {"Fail": ["Succeeded"]}}
    })));
    h.add("slow", wf(json!({
        "Pause": {"type": "Wait", "inputs": {"interval": {"count": 10, "unit": "Minute"}}},
        "Reply": {"type": "Response", "inputs": {"statusCode": 200}, "runAfter": {"Pause": ["Succeeded"]}}
    })));
    for w in ["echo", "fire", "paths", "broken", "slow"] {
        h.engine
            .set_access_key(w, format!("key-of-{w}-0123456789abcdef").into_bytes());
    }
    let app = router(WorkflowApi::new(
        h.engine.clone(),
        None,
        Some(ORIGIN.into()),
    ));
    (h, app)
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, http::HeaderMap, Value) {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, v)
}

const M: &str = "/runtime/webhooks/workflow/api/management/workflows";

async fn callback(app: &axum::Router, wf: &str) -> String {
    let (st, _, info) = call(
        app,
        "POST",
        &format!("{M}/{wf}/triggers/manual/listCallbackUrl"),
        None,
        &[],
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{info}");
    let url = info["value"].as_str().unwrap();
    assert!(url.starts_with(ORIGIN));
    url.trim_start_matches(ORIGIN).to_string()
}

#[tokio::test]
async fn request_response_round_trip() {
    let (h, app) = setup(EngineConfig::default()).await;
    let url = callback(&app, "echo").await;
    let (st, headers, body) = call(
        &app,
        "POST",
        &format!("{url}&q=search"),
        Some(json!({"name": "Ada"})),
        &[],
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(body["message"], "Hello Ada");
    assert_eq!(body["q"], "search");
    let run_id = headers["x-ms-workflow-run-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(headers["x-run"].to_str().unwrap(), run_id);
    assert!(run_id.ends_with("CU00") && run_id.len() == 33);
    // The run is in history once it ends.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (st, _, run) = call(&app, "GET", &format!("{M}/echo/runs/{run_id}"), None, &[]).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(run["properties"]["status"], "Succeeded");
    assert_eq!(run["properties"]["trigger"]["name"], "manual");
    let link = run["properties"]["trigger"]["outputsLink"]["uri"]
        .as_str()
        .unwrap()
        .trim_start_matches(ORIGIN)
        .to_string();
    let (_, _, outputs) = call(&app, "GET", &link, None, &[]).await;
    assert_eq!(outputs["body"], json!({"name": "Ada"}));
    assert_eq!(outputs["queries"], json!({"q": "search"}));
    assert_eq!(outputs["headers"]["Content-Type"], "application/json");
    let (_, _, actions) = call(
        &app,
        "GET",
        &format!("{M}/echo/runs/{run_id}/actions"),
        None,
        &[],
    )
    .await;
    let names: Vec<&str> = actions["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Greet", "Reply"]);
    let (_, _, greet) = call(
        &app,
        "GET",
        &format!("{M}/echo/runs/{run_id}/actions/Greet"),
        None,
        &[],
    )
    .await;
    assert_eq!(greet["properties"]["status"], "Succeeded");
    assert_eq!(greet["properties"]["code"], "OK");
    let link = greet["properties"]["outputsLink"]["uri"]
        .as_str()
        .unwrap()
        .trim_start_matches(ORIGIN)
        .to_string();
    let (_, _, out) = call(&app, "GET", &link, None, &[]).await;
    assert_eq!(out, json!("Hello Ada"));
    let (_, _, list) = call(
        &app,
        "GET",
        &format!("{M}/echo/runs?$filter=status%20eq%20%27Succeeded%27&$top=5"),
        None,
        &[],
    )
    .await;
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    let _ = h;
}

#[tokio::test]
async fn no_response_action_answers_202() {
    let (_h, app) = setup(EngineConfig::default()).await;
    let url = callback(&app, "fire").await;
    let (st, headers, _) = call(
        &app,
        "POST",
        &url,
        Some(json!({})),
        &[("x-ms-client-tracking-id", "my-id")],
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED);
    assert_eq!(headers["x-ms-client-tracking-id"], "my-id");
    let run_id = headers["x-ms-workflow-run-id"]
        .to_str()
        .unwrap()
        .to_string();
    let mut done = Value::Null;
    for _ in 0..100 {
        let (_, _, run) = call(&app, "GET", &format!("{M}/fire/runs/{run_id}"), None, &[]).await;
        if run["properties"]["status"] == "Succeeded" {
            done = run;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        done["properties"]["correlation"]["clientTrackingId"],
        "my-id"
    );
    let (_, _, reps) = call(
        &app,
        "GET",
        &format!("{M}/fire/runs/{run_id}/actions/Item/repetitions"),
        None,
        &[],
    )
    .await;
    let reps = reps["value"].as_array().unwrap().clone();
    assert_eq!(reps.len(), 3);
    assert_eq!(reps[2]["name"], "000002");
    assert_eq!(
        reps[2]["properties"]["repetitionIndexes"],
        json!([{"scopeName": "Loop", "itemIndex": 2}])
    );
    let (_, _, rep) = call(
        &app,
        "GET",
        &format!("{M}/fire/runs/{run_id}/actions/Item/repetitions/000001/contents/outputs"),
        None,
        &[],
    )
    .await;
    assert_eq!(rep, json!(1));
    let (_, _, item) = call(
        &app,
        "GET",
        &format!("{M}/fire/runs/{run_id}/actions/Item"),
        None,
        &[],
    )
    .await;
    assert_eq!(item["properties"]["repetitionCount"], 3);
}

#[tokio::test]
async fn signatures_methods_paths_and_schemas() {
    let (_h, app) = setup(EngineConfig::default()).await;
    let url = callback(&app, "echo").await;
    let tampered = url.replace("sig=", "sig=x");
    let (st, _, body) = call(&app, "POST", &tampered, Some(json!({"name": "a"})), &[]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body["error"]["code"],
        "DirectApiInvalidAuthorizationSignature"
    );
    let unsigned = url.split("&sig=").next().unwrap().to_string();
    let (st, _, body) = call(&app, "POST", &unsigned, Some(json!({"name": "a"})), &[]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "DirectApiAuthorizationRequired");
    let (st, _, body) = call(
        &app,
        "POST",
        &url,
        Some(json!({"name": "a"})),
        &[("authorization", "Bearer x")],
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["code"],
        "DirectApiRequestHasMoreThanOneAuthorization"
    );
    // Another workflow's signature does not open this one.
    let other = callback(&app, "fire").await;
    let sig = other.split("sig=").nth(1).unwrap();
    let (st, _, _) = call(
        &app,
        "POST",
        &format!("{unsigned}&sig={sig}"),
        Some(json!({"name": "a"})),
        &[],
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _, body) = call(&app, "GET", &url, None, &[]).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "TriggerRequestMethodNotValid");
    let (st, _, body) = call(&app, "POST", &url, Some(json!({"nom": "a"})), &[]).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "TriggerInputSchemaMismatch");
    let req = Request::builder()
        .method("POST")
        .uri(&url)
        .header("content-type", "application/json")
        .body(Body::from("{broken"))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Relative paths.
    let (_, _, info) = call(
        &app,
        "POST",
        &format!("{M}/paths/triggers/manual/listCallbackUrl"),
        None,
        &[],
    )
    .await;
    assert_eq!(info["relativePath"], "orders/{id}/lines/{line}");
    let base = info["basePath"]
        .as_str()
        .unwrap()
        .trim_start_matches(ORIGIN)
        .replace("/orders/{id}/lines/{line}", "");
    let q = info["value"]
        .as_str()
        .unwrap()
        .split('?')
        .nth(1)
        .unwrap()
        .to_string();
    let (st, _, body) = call(
        &app,
        "GET",
        &format!("{base}/orders/42/lines/a%20b?{q}"),
        None,
        &[],
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"id": "42", "line": "a b"}));
    let (st, _, _) = call(&app, "GET", &format!("{base}/orders/42?{q}"), None, &[]).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _, body) = call(
        &app,
        "POST",
        "/api/nope/triggers/manual/invoke?sig=x",
        None,
        &[],
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "WorkflowNotFound");
}

#[tokio::test]
async fn failures_before_the_response_and_huge_bodies() {
    let mut config = EngineConfig::default();
    config.limits.max_body_bytes = 1024;
    let (_h, app) = setup(config).await;
    let url = callback(&app, "broken").await;
    let (st, headers, body) = call(&app, "POST", &url, None, &[]).await;
    assert_eq!(st, StatusCode::BAD_GATEWAY);
    assert_eq!(body["error"]["code"], "NoResponse");
    assert!(headers.contains_key("x-ms-workflow-run-id"));
    let url = callback(&app, "echo").await;
    let big = json!({"name": "x".repeat(5000)});
    let (st, _, body) = call(&app, "POST", &url, Some(big), &[]).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "RequestEntityTooLarge");
}

#[tokio::test(start_paused = true)]
async fn slow_workflows_answer_504() {
    let (_h, app) = setup(EngineConfig::default()).await;
    let url = callback(&app, "slow").await;
    let (st, _, body) = call(&app, "POST", &url, None, &[]).await;
    assert_eq!(st, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(body["error"]["code"], "GatewayTimeout");
}

#[tokio::test]
async fn manual_runs_cancel_and_concurrent_isolation() {
    let (h, app) = setup(EngineConfig::default()).await;
    let (st, headers, _) = call(
        &app,
        "POST",
        &format!("{M}/slow/triggers/manual/run"),
        Some(json!({"a": 1})),
        &[],
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let run_id = headers["x-ms-workflow-run-id"]
        .to_str()
        .unwrap()
        .to_string();
    let (_, _, run) = call(&app, "GET", &format!("{M}/slow/runs/{run_id}"), None, &[]).await;
    assert_eq!(run["properties"]["status"], "Running");
    let (st, _, _) = call(
        &app,
        "POST",
        &format!("{M}/slow/runs/{run_id}/cancel"),
        None,
        &[],
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let mut status = Value::Null;
    for _ in 0..100 {
        let (_, _, run) = call(&app, "GET", &format!("{M}/slow/runs/{run_id}"), None, &[]).await;
        status = run["properties"]["status"].clone();
        if status != "Running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(status, "Cancelled");
    // Fifty concurrent callers, every other one failing, each gets its own answer.
    let echo = callback(&app, "echo").await;
    let broken = callback(&app, "broken").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let app = app.clone();
        let url = if i % 2 == 0 {
            echo.clone()
        } else {
            broken.clone()
        };
        tasks.push(tokio::spawn(async move {
            (
                i,
                call(
                    &app,
                    "POST",
                    &url,
                    Some(json!({"name": format!("n{i}")})),
                    &[],
                )
                .await,
            )
        }));
    }
    for t in tasks {
        let (i, (st, _, body)) = t.await.unwrap();
        if i % 2 == 0 {
            assert_eq!(st, StatusCode::CREATED);
            assert_eq!(body["message"], format!("Hello n{i}"));
        } else {
            assert_eq!(st, StatusCode::BAD_GATEWAY);
        }
    }
    let (_, _, list) = call(&app, "GET", &format!("{M}/echo/runs?$top=100"), None, &[]).await;
    assert_eq!(list["value"].as_array().unwrap().len(), 25);
    let (_, _, wfs) = call(&app, "GET", M, None, &[]).await;
    assert_eq!(wfs["value"].as_array().unwrap().len(), 5);
    let _ = h;
}
