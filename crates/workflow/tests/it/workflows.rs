//! Complete workflows written the way Logic Apps users write them (tests/data/*), run end to
//! end and compared with the run history we expect.
use std::path::PathBuf;
use std::time::Duration;

use crate::common::*;
use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use skybridge_workflow::definition::{self, WorkflowOptions};
use skybridge_workflow::history::{StoredAction, StoredRun};
use skybridge_workflow::http::{WorkflowApi, router};
use skybridge_workflow::{EngineConfig, callback};
use tower::ServiceExt;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data(name).join("expected.json")).unwrap())
        .unwrap()
}

fn load(h: &Harness, name: &str) -> String {
    let w = definition::load_path(&data(name), &WorkflowOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let wf_name = w.name.clone();
    h.engine.add_workflow(w);
    h.engine
        .set_access_key(&wf_name, b"test-key-0123456789".to_vec());
    wf_name
}

/// Checks `actual` contains everything `expected` states (objects compared key by key).
fn contains(actual: &Value, expected: &Value, at: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (k, ev) in e {
                let av = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k} missing in {actual}"));
                contains(av, ev, &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(actual, expected, "at {at}"),
    }
}

fn compare(name: &str, run: &StoredRun, actions: &[StoredAction], exp: &Value) {
    contains(&run.document, &exp["run"], &format!("{name}.run"));
    if let Some(o) = exp.get("outputs") {
        contains(&run.document["outputs"], o, &format!("{name}.outputs"));
    }
    for (action, e) in exp["actions"].as_object().unwrap() {
        contains(doc_of(actions, action), e, &format!("{name}.{action}"));
    }
    if let Some(Value::Object(reps)) = exp.get("repetitions") {
        for (action, n) in reps {
            let count = actions
                .iter()
                .filter(|a| a.name == *action && !a.repetition.is_empty())
                .count();
            assert_eq!(
                count as u64,
                n.as_u64().unwrap(),
                "{name}: repetitions of {action}"
            );
        }
    }
}

/// Invokes a Request workflow over the router and returns the run id.
async fn invoke(h: &Harness, name: &str, exp: &Value) -> String {
    let app = router(WorkflowApi::new(
        h.engine.clone(),
        None,
        Some("https://app.example".into()),
    ));
    let wf = h.engine.workflow(name).unwrap();
    let trigger = &wf.definition.triggers[0].name;
    let url = callback::callback_url(
        "",
        &h.engine.access_key(name).unwrap(),
        name,
        trigger,
        exp["relative_path"].as_str(),
    );
    let req = Request::builder()
        .method("POST")
        .uri(url)
        .header("content-type", "application/json")
        .body(Body::from(exp["trigger_body"].to_string()))
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let run_id = res.headers()["x-ms-workflow-run-id"]
        .to_str()
        .unwrap()
        .to_string();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(
        status,
        exp["response"]["status"].as_u64().unwrap() as u16,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    if let Some(body) = exp["response"].get("body") {
        let actual: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(&actual, body);
    }
    run_id
}

async fn finished(h: &Harness, name: &str, run: &str) -> (StoredRun, Vec<StoredAction>) {
    for _ in 0..500 {
        let (r, a) = h.stored(name, run).await;
        if r.document["status"] != "Running" {
            return (r, a);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("run {run} did not finish");
}

#[tokio::test]
async fn request_workflows() {
    for name in ["order-intake", "try-catch", "fan-out"] {
        let h = sqlite_harness().await;
        let wf_name = load(&h, name);
        let exp = expected(name);
        let run = invoke(&h, &wf_name, &exp).await;
        let (r, actions) = finished(&h, &wf_name, &run).await;
        compare(name, &r, &actions, &exp);
    }
}

#[tokio::test(start_paused = true)]
async fn recurrence_workflow_fires_on_schedule() {
    let h = harness_with(EngineConfig::default(), None).await;
    let name = load(&h, "nightly-report");
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    h.engine.start_recurrences(stop);
    // The clock starts at 2026-01-01T00:00Z; the schedule says 02:00 daily.
    tokio::time::sleep(Duration::from_secs(2 * 3600 + 60)).await;
    let runs = h
        .engine
        .list_runs(
            &name,
            &skybridge_store::WorkflowRunQuery {
                top: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(runs.len(), 1, "one run by 02:01");
    assert_eq!(
        runs[0].document["trigger"]["scheduledTime"],
        "2026-01-01T02:00:00Z"
    );
    let (r, actions) = finished(&h, &name, &runs[0].run_id).await;
    compare("nightly-report", &r, &actions, &expected("nightly-report"));
    tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    let runs = h
        .engine
        .list_runs(
            &name,
            &skybridge_store::WorkflowRunQuery {
                top: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(runs.len(), 2, "and again the next night");
    assert_eq!(
        runs[0].document["trigger"]["scheduledTime"], "2026-01-02T02:00:00Z",
        "newest first"
    );
    stop_tx.send(true).unwrap();
    tokio::time::sleep(Duration::from_secs(48 * 3600)).await;
    let runs = h
        .engine
        .list_runs(
            &name,
            &skybridge_store::WorkflowRunQuery {
                top: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(runs.len(), 2, "stopped");
    let _ = json!(null);
}
